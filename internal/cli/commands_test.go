package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// project creates a folder with esgen.yaml (extra YAML appended) and the
// contracts of schema/testdata/contracts/ok; it returns the config path.
func project(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "esgen.yaml")
	if err := os.WriteFile(cfg, []byte("contracts: contracts\n"+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	copyDir(t, "../../schema/testdata/contracts/ok", filepath.Join(dir, "contracts"))
	return cfg
}

func copyDir(t *testing.T, src, dst string) {
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

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runEnv runs the CLI with a fixed environment.
func runEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

type cliCase struct {
	name           string
	args           []string
	code           int
	stdout, stderr string
}

func (c cliCase) check(t *testing.T, code int, out, errs string) {
	t.Helper()
	if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errs, c.stderr) {
		t.Fatalf("%v: exit %d (want %d)\nstdout: %s\nstderr: %s", c.args, code, c.code, out, errs)
	}
}

func TestInit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []cliCase{
		{"fresh", []string{"init", "--dir", dir}, ExitOK, "wrote", ""},
		{"exists", []string{"init", "--dir", dir}, ExitUsage, "", "already exists"},
		{"force", []string{"init", "--dir", dir, "--force"}, ExitOK, "wrote", ""},
	} {
		code, out, errs := runCLI(t, c.args...)
		c.check(t, code, out, errs)
	}
	// The written file is a valid configuration with an empty contracts folder.
	code, out, errs := runCLI(t, "check", "--config", filepath.Join(dir, "esgen.yaml"))
	if code != ExitOK || !strings.Contains(out, "ok: 0 events") {
		t.Fatalf("check after init: %d %s %s", code, out, errs)
	}
}

func TestCompat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v1 := filepath.Join(dir, "v1.avsc")
	v2 := filepath.Join(dir, "v2.avsc")
	bad := filepath.Join(dir, "bad.avsc")
	enum1 := filepath.Join(dir, "e1.avsc")
	enum2 := filepath.Join(dir, "e2.avsc")
	write(t, v1, `{"type":"record","name":"E","fields":[{"name":"a","type":"int"}]}`)
	write(t, v2, `{"type":"record","name":"E","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}`)
	write(t, bad, `{"type":"record","name":"E","fields":[{"name":"a","type":"int","default":"x"}]}`)
	write(t, enum1, `{"type":"enum","name":"S","symbols":["A","B"]}`)
	write(t, enum2, `{"type":"enum","name":"S","symbols":["A","B","C"]}`)
	for _, c := range []cliCase{
		{"forward ok", []string{"compat", "--level", "FORWARD", v1, v2}, ExitOK, "compatible", ""},
		{"backward broken", []string{"compat", "--level", "BACKWARD", v1, v2}, ExitFindings, "E.b", ""},
		{"full broken", []string{"compat", "--level", "FULL", v1, v2}, ExitFindings, v2 + " cannot read data written with " + v1, ""},
		{"enum backward", []string{"compat", "--level", "BACKWARD", enum1, enum2}, ExitOK, "compatible", ""},
		{"enum forward", []string{"compat", "--level", "FORWARD_TRANSITIVE", enum1, enum2}, ExitFindings, "MISSING_ENUM_SYMBOL", ""},
		{"primitive promotion", []string{"compat", "--level", "BACKWARD", writeTemp(t, `"int"`), writeTemp(t, `"double"`)}, ExitOK, "compatible", ""},
		{"none", []string{"compat", "--level", "NONE", v2, v1}, ExitOK, "compatible", ""},
		{"invalid schema", []string{"compat", "--level", "BACKWARD", v1, bad}, ExitUsage, "", "$.fields[0].default"},
		{"missing file", []string{"compat", v1, filepath.Join(dir, "nope.avsc")}, ExitUsage, "", "cannot read " + filepath.Join(dir, "nope.avsc")},
		{"unknown level", []string{"compat", "--level", "SIDEWAYS", v1, v2}, ExitUsage, "", "SIDEWAYS"},
		{"one file", []string{"compat", "--level", "BACKWARD", v1}, ExitUsage, "", "at least two"},
		{"bad format", []string{"compat", "--format", "xml", v1, v2}, ExitUsage, "", "--format"},
		{"help", []string{"compat", "--help"}, ExitOK, "FILE... NEW", ""},
		{"shared types", []string{"compat", "--types", "../../schema/testdata/contracts/ok/_types", "../../schema/testdata/contracts/ok/OrderCreated/v1.avsc", "../../schema/testdata/contracts/ok/OrderCreated/v2.avsc"}, ExitOK, "compatible", ""},
		{"shared types missing", []string{"compat", "../../schema/testdata/contracts/ok/OrderCreated/v1.avsc", "../../schema/testdata/contracts/ok/OrderCreated/v2.avsc"}, ExitUsage, "", `unknown type "orders.types.Money"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errs := runCLI(t, c.args...)
			c.check(t, code, out, errs)
		})
	}
	code, out, _ := runCLI(t, "compat", "--level", "BACKWARD", "--format", "json", v1, v2)
	var rep struct {
		Compatible bool
		Findings   []struct {
			Older, Newer        int
			Path, Rule, Message string
			OlderFile           string `json:"older_file"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitFindings {
		t.Fatalf("json: %v %d %s", err, code, out)
	}
	if rep.Compatible || len(rep.Findings) != 1 || rep.Findings[0].Path != "E.b" || rep.Findings[0].OlderFile != v1 || rep.Findings[0].Rule != "READER_FIELD_MISSING_DEFAULT" {
		t.Fatalf("report %+v", rep)
	}
}

func writeTemp(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "s.avsc")
	write(t, f, body)
	return f
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ok := project(t, "")
	incompatible := project(t, "compatibility: FULL\n")
	// OrderCreated v2 adds fields with defaults; v3 drops one FULL still needs.
	write(t, filepath.Join(filepath.Dir(incompatible), "contracts", "OrderCreated", "v3.avsc"),
		`{"type":"record","name":"OrderCreated","namespace":"orders","fields":[{"name":"order_id","type":"string"},{"name":"total","type":"orders.types.Money"}]}`)
	invalid := project(t, "")
	write(t, filepath.Join(filepath.Dir(invalid), "contracts", "OrderShipped", "v3.avsc"), `{"type":"record"}`)
	badCfg := project(t, "compatibility: SOMETIMES\n")
	typo := project(t, "events:\n  orders.OrderCreatd: {compatibility: NONE}\n")
	for _, c := range []cliCase{
		{"ok", []string{"check", "--config", ok}, ExitOK, "ok: 2 events, 3 versions", ""},
		{"incompatible", []string{"check", "--config", incompatible}, ExitFindings, "orders.OrderCreated at FULL: v2 cannot read data written with v3 (forward): OrderCreated.customer_id", ""},
		{"invalid contracts", []string{"check", "--config", invalid}, ExitUsage, "", "OrderShipped/v3.avsc"},
		{"bad config", []string{"check", "--config", badCfg}, ExitUsage, "", "SOMETIMES"},
		{"unknown event override", []string{"check", "--config", typo}, ExitUsage, "", "events.orders.OrderCreatd: no event named"},
		{"no config", []string{"check", "--config", filepath.Join(t.TempDir(), "esgen.yaml")}, ExitUsage, "", "esgen init"},
		{"args", []string{"check", "extra"}, ExitUsage, "", "takes no arguments"},
		{"registry unset", []string{"check", "--config", ok, "--registry"}, ExitUsage, "", "registry.url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errs := runCLI(t, c.args...)
			c.check(t, code, out, errs)
		})
	}
	code, out, _ := runCLI(t, "check", "--config", incompatible, "--format", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitFindings || rep.OK || len(rep.Findings) == 0 || rep.Findings[0].Newer != 3 {
		t.Fatalf("json: %v %d %s", err, code, out)
	}
}

func TestCheckAgainstGitRef(t *testing.T) {
	t.Parallel()
	cfg := project(t, "")
	dir := filepath.Dir(cfg)
	gitRun(t, dir, "init", "-q", "-b", "main")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-q", "-m", "contracts")
	code, out, errs := runCLI(t, "check", "--config", cfg, "--against", "main")
	if code != ExitOK || !strings.Contains(out, "compared with main") {
		t.Fatalf("unchanged: %d %s %s", code, out, errs)
	}
	v1 := filepath.Join(dir, "contracts", "OrderShipped", "v1.avsc")
	write(t, v1, `{"type":"record","name":"OrderShipped","namespace":"orders","fields":[{"name":"order_id","type":"string"}]}`)
	code, out, errs = runCLI(t, "check", "--config", cfg, "--against", "main")
	if code != ExitFindings || !strings.Contains(out, v1) || !strings.Contains(out, "[edited]") {
		t.Fatalf("edited: %d %s %s", code, out, errs)
	}
	os.RemoveAll(filepath.Join(dir, "contracts", "OrderShipped"))
	code, out, _ = runCLI(t, "check", "--config", cfg, "--against", "main", "--format", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitFindings || len(rep.Violations) != 1 || rep.Violations[0].Kind != "removed" {
		t.Fatalf("removed: %v %d %s", err, code, out)
	}
	code, _, errs = runCLI(t, "check", "--config", cfg, "--against", "no-such-ref")
	if code != ExitUsage || !strings.Contains(errs, "unknown git ref") {
		t.Fatalf("bad ref: %d %s", code, errs)
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

func TestPushPullAndCheckRegistry(t *testing.T) {
	t.Parallel()
	fake := srfake.New()
	defer fake.Close()
	cfg := project(t, "registry:\n  url: ${SR_URL}\n  retries: -1\n")
	env := map[string]string{"SR_URL": fake.URL()}
	steps := []cliCase{
		{"dry run", []string{"push", "--config", cfg, "--dry-run"}, ExitOK, "would register 3 versions", ""},
		{"push", []string{"push", "--config", cfg}, ExitOK, "registered 3 versions", ""},
		{"push again", []string{"push", "--config", cfg}, ExitOK, "registered 0 versions", ""},
		{"check registry", []string{"check", "--config", cfg, "--registry"}, ExitOK, "compared with registry", ""},
		{"pull same", []string{"pull", "--config", cfg}, ExitOK, "0 files written, 3 files unchanged, 0 conflicts", ""},
	}
	for _, c := range steps {
		code, out, errs := runEnv(t, env, c.args...)
		c.check(t, code, out, errs)
	}
	if n := fake.SubjectExists("orders.OrderShipped"); !n {
		t.Fatal("OrderShipped not registered")
	}
	// A local edit of a published version: check --registry and pull report it, push refuses.
	v1 := filepath.Join(filepath.Dir(cfg), "contracts", "OrderShipped", "v1.avsc")
	write(t, v1, `{"type":"record","name":"OrderShipped","namespace":"orders","fields":[{"name":"order_id","type":"string"}]}`)
	for _, c := range []cliCase{
		{"check drift", []string{"check", "--config", cfg, "--registry"}, ExitFindings, v1, ""},
		{"pull conflict", []string{"pull", "--config", cfg}, ExitFindings, "differs  " + v1, ""},
		{"push drift", []string{"push", "--config", cfg}, ExitFindings, "refused", ""},
		{"push json", []string{"push", "--config", cfg, "--format", "json"}, ExitFindings, `"errors": [`, ""},
	} {
		code, out, errs := runEnv(t, env, c.args...)
		c.check(t, code, out, errs)
	}
	// Pull into a fresh project writes every version.
	fresh := filepath.Join(t.TempDir(), "esgen.yaml")
	write(t, fresh, "registry: {url: "+fake.URL()+"}\n")
	code, out, errs := runEnv(t, nil, "pull", "--config", fresh, "--dry-run")
	if code != ExitOK || !strings.Contains(out, "3 files to write") || fileExists(filepath.Join(filepath.Dir(fresh), "contracts")) {
		t.Fatalf("dry-run pull: %d %s %s", code, out, errs)
	}
	code, out, errs = runEnv(t, nil, "pull", "--config", fresh)
	if code != ExitOK || !strings.Contains(out, "3 files written") {
		t.Fatalf("fresh pull: %d %s %s", code, out, errs)
	}
	code, out, errs = runEnv(t, nil, "check", "--config", fresh)
	if code != ExitOK {
		t.Fatalf("check after pull: %d %s %s", code, out, errs)
	}
}

func TestRegistryFailuresExitTwo(t *testing.T) {
	t.Parallel()
	fake := srfake.New(srfake.WithAuth("Bearer right"))
	defer fake.Close()
	cfg := project(t, "registry:\n  url: "+fake.URL()+"\n  auth: {token_env: SR_TOKEN}\n  retries: -1\n")
	for _, c := range []cliCase{
		{"wrong token", []string{"push", "--config", cfg}, ExitUsage, "", "refused the credentials"},
		{"pull wrong token", []string{"pull", "--config", cfg}, ExitUsage, "", "registry.auth"},
	} {
		code, out, errs := runEnv(t, map[string]string{"SR_TOKEN": "wrong-token"}, c.args...)
		c.check(t, code, out, errs)
		if strings.Contains(out+errs, "wrong-token") {
			t.Fatalf("token printed: %s %s", out, errs)
		}
	}
	code, _, errs := runEnv(t, nil, "push", "--config", cfg)
	if code != ExitUsage || !strings.Contains(errs, "SR_TOKEN") {
		t.Fatalf("unset token: %d %s", code, errs)
	}
	code, out, errs := runEnv(t, map[string]string{"SR_TOKEN": "right"}, "push", "--config", cfg)
	if code != ExitOK {
		t.Fatalf("right token: %d %s %s", code, out, errs)
	}
}
