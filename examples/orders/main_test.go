package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esgen/esgen/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// demo --database-url runs the scenario on PostgreSQL, in a schema it recreates, so running
// it twice gives the same output twice.
func TestDemoOnPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	want, err := os.ReadFile(filepath.Join("app", "testdata", "demo.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		var out, errb bytes.Buffer
		if code := run(t.Context(), []string{"demo", "--database-url", url}, &out, &errb); code != 0 {
			t.Fatalf("run %d: demo exited %d: %s", attempt, code, errb.String())
		}
		if !strings.HasPrefix(out.String(), "esgen orders demo on PostgreSQL") || !strings.HasSuffix(out.String(), string(want)) {
			t.Fatalf("run %d printed:\n%s\nwant the PostgreSQL header and app/testdata/demo.golden", attempt, out.String())
		}
	}
}

func TestCommands(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	ctx := t.Context()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo"}, &out, &errb); code != 0 {
		t.Fatalf("demo exited %d: %s", code, errb.String())
	}
	want, err := os.ReadFile(filepath.Join("app", "testdata", "demo.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), string(want)) {
		t.Fatalf("demo printed:\n%s\nwant it to end with app/testdata/demo.golden:\n%s", out.String(), want)
	}

	dir := t.TempDir()
	out.Reset()
	if code := run(ctx, []string{"rebuild", "--data-dir", dir, "audit_log"}, &out, &errb); code != 0 {
		t.Fatalf("rebuild exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "audit_log rebuilt") || !strings.Contains(out.String(), "version 2 is now serving") {
		t.Fatalf("rebuild printed %q", out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"status", "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("status exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "order_status") || !strings.Contains(out.String(), "audit_log") {
		t.Fatalf("status printed %q", out.String())
	}

	for _, args := range [][]string{{}, {"bogus"}, {"demo", "--bogus"}} {
		errb.Reset()
		if code := run(ctx, args, &out, &errb); code != 2 {
			t.Errorf("orders %v exited %d, want 2 (usage)", args, code)
		}
	}
	if code := run(ctx, []string{"rebuild", "--data-dir", dir, "nope"}, &out, &errb); code != 1 {
		t.Errorf("rebuild of an unknown projection exited %d, want 1", code)
	}
}
