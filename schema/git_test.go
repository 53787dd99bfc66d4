package schema

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyTree copies the files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestLoadGitRefAndImmutability(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required")
	}
	repo := t.TempDir()
	dir := filepath.Join(repo, "contracts")
	copyTree(t, "testdata/contracts/ok", dir)
	gitRun(t, repo, "init", "-q", "-b", "main")
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "contracts")

	ctx := context.Background()
	published, err := LoadGitRef(ctx, dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(published.Events) != 2 || published.Event("orders.OrderCreated").Latest().Number != 2 {
		t.Fatalf("published = %+v", published.Events)
	}

	// Reformat v1 (allowed), edit v2 (not), delete OrderShipped (not), add v3 (allowed).
	v1 := filepath.Join(dir, "OrderCreated", "v1.avsc")
	b, _ := os.ReadFile(v1)
	os.WriteFile(v1, []byte(strings.ReplaceAll(string(b), "\n", "\n\n")), 0o644)
	v2 := filepath.Join(dir, "OrderCreated", "v2.avsc")
	b, _ = os.ReadFile(v2)
	os.WriteFile(v2, []byte(strings.Replace(string(b), `"note"`, `"remark"`, 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "OrderCreated", "v3.avsc"), b, 0o644)
	os.RemoveAll(filepath.Join(dir, "OrderShipped"))

	current, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := CheckImmutable(published, current, "main")
	if len(got) != 2 {
		t.Fatalf("violations: %v", got)
	}
	if got[0].Kind != VersionEdited || got[0].File != v2 || got[0].Version != 2 || !strings.Contains(got[0].Message, "add v4") {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Kind != VersionRemoved || got[1].File != filepath.Join(dir, "OrderShipped", "v1.avsc") {
		t.Errorf("second: %+v", got[1])
	}

	if _, err := LoadGitRef(ctx, dir, "no-such-branch"); err == nil || !strings.Contains(err.Error(), "unknown git ref") {
		t.Fatalf("err = %v", err)
	}
	empty, err := LoadGitRef(ctx, filepath.Join(repo, "elsewhere"), "main")
	if err != nil || len(empty.Events) != 0 {
		t.Fatalf("absent dir: %v %v", empty, err)
	}
}
