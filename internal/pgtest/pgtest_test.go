package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabaseIsFreshAndIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	urls := []string{NewDatabase(t), NewDatabase(t)}
	if urls[0] == urls[1] {
		t.Fatalf("two calls returned the same database %q", urls[0])
	}
	for i, u := range urls {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatalf("connect to %s: %v", u, err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("database %d has %d tables, want a fresh empty one", i, n)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE only_here (id int)"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerSettings(t *testing.T) {
	t.Parallel()
	if os.Getenv(EnvURL) != "" {
		t.Log("using the external server from " + EnvURL + "; its settings are its own")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var maxConns, version int
	if err := conn.QueryRow(ctx, "SELECT current_setting('max_connections')::int, current_setting('server_version_num')::int").Scan(&maxConns, &version); err != nil {
		t.Fatal(err)
	}
	if version < 130000 {
		t.Errorf("server version %d; want PostgreSQL 13 or newer (xid8, DROP DATABASE ... WITH (FORCE))", version)
	}
	if os.Getenv(EnvURL) == "" && maxConns < 300 {
		t.Errorf("max_connections = %d, want at least 300 for concurrency tests", maxConns)
	}
}

func TestDatabaseDroppedOnCleanup(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("inner", func(t *testing.T) {
		u := NewDatabase(t)
		cfg, err := pgx.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		name = cfg.Database
	})
	admin, _, _, err := prepare("check")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if name == "" || n != 0 {
		t.Fatalf("database %q still exists after its test ended (count %d)", name, n)
	}
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	tests := []struct{ test, prefix string }{
		{"TestX", "t_testx_7_"},
		{"TestAppend/Concurrent Writers-3", "t_testappend_concurrent_writers_3_7_"},
		{strings.Repeat("Ü", 100), "t_" + strings.Repeat("_", 34) + "_7_"},
	}
	for _, tc := range tests {
		got := databaseName(tc.test, 7)
		if !strings.HasPrefix(got, tc.prefix) || len(got) > 63 {
			t.Errorf("databaseName(%q) = %q, want prefix %q and at most 63 bytes", tc.test, got, tc.prefix)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, want string }{
		{"postgres://u:p@h:5/postgres?sslmode=disable", "postgres://u:p@h:5/t1?sslmode=disable"},
		{"postgres://postgres@/postgres?host=%2Ftmp%2Fx&port=5", "postgres://postgres@/t1?host=%2Ftmp%2Fx&port=5"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=t1"},
	}
	for _, tc := range tests {
		if got := withDatabase(tc.base, "t1"); got != tc.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}

func TestRemoveStale(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dead := filepath.Join(base, dirPrefix+"dead")
	alive := filepath.Join(base, dirPrefix+"alive")
	for dir, pid := range map[string]int{dead: 1 << 30, alive: os.Getpid()} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removeStale(base, "pg_ctl", "")
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("directory of a dead owner still exists (stat: %v)", err)
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("directory of a live owner was removed: %v", err)
	}
}

func TestFindBinariesMessage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, _, err := findBinaries(filepath.Join(t.TempDir(), "*", "bin"))
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Errorf("findBinaries without binaries = %v, want an error saying how to install PostgreSQL", err)
	}
}

func TestFindBinariesPrefersNewestVersion(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "13"} {
		bin := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "pg_ctl"} {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	initdb, pgCtl, err := findBinaries(filepath.Join(root, "*", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "15", "bin"); filepath.Dir(initdb) != want || filepath.Dir(pgCtl) != want {
		t.Errorf("found %s and %s, want both in %s", initdb, pgCtl, want)
	}
}

// A server whose test process died is stopped and removed by the next start.
func TestRemoveStaleStopsOrphanedServer(t *testing.T) {
	t.Parallel()
	if os.Getenv(EnvURL) != "" {
		t.Log("also checking the throwaway server although " + EnvURL + " is set")
	}
	ctx := context.Background()
	srv, err := startServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.stop() })
	pidFile := filepath.Join(srv.dir, "data", "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil || !processAlive(postmaster) {
		t.Fatalf("postmaster pid %q not running (%v)", b, err)
	}
	// Pretend the owning test process crashed.
	if err := os.WriteFile(filepath.Join(srv.dir, ownerFile), []byte(strconv.Itoa(1<<30)), 0o644); err != nil {
		t.Fatal(err)
	}
	removeStale(filepath.Dir(srv.dir), srv.pgCtl, srv.asUser)
	if _, err := os.Stat(srv.dir); !os.IsNotExist(err) {
		t.Errorf("orphaned server directory %s still exists (stat: %v)", srv.dir, err)
	}
	conn, err := pgx.Connect(ctx, srv.url("postgres"))
	if err == nil {
		conn.Close(ctx)
		t.Errorf("orphaned server still accepts connections")
	}
}
