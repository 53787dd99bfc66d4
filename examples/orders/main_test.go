package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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

// serve shuts down gracefully: requests are answered until the signal, and the projections
// release their leases before the store closes, so the next instance takes over at once.
func TestServeReleasesLeasesOnShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, io.Discard, logs)
	}()

	addr := ""
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" {
		if m := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`).FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
	// Both projections hold their leases while serving.
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + addr + "/projections")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ps []struct{ Leased bool }
		if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil {
			t.Fatal(err)
		}
		return len(ps) == 2 && ps[0].Leased && ps[1].Leased
	})

	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d; log:\n%s", code, logs.String())
	}
	if strings.Contains(logs.String(), "release failed") {
		t.Fatalf("a lease was not released on shutdown; log:\n%s", logs.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(statusOf(t, dir)), "\n")[1:] {
		if f := strings.Fields(line); len(f) < 7 || f[6] != "-" {
			t.Errorf("after shutdown a projection still has an owner: %q", line)
		}
	}
}

func statusOf(t *testing.T, dir string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"status", "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("status exited %d: %s", code, errb.String())
	}
	return out.String()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
