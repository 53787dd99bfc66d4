package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StartReplicated starts a dedicated primary server set up for streaming replication and a
// hot standby following it, and returns the URLs of their "postgres" databases. Both are
// stopped and removed when tb ends. It is for tests of reads on replicas; unlike
// NewDatabase it ignores ESGEN_TEST_DATABASE_URL, since a replica cannot be created on an
// existing server, and it needs pg_basebackup beside initdb.
func StartReplicated(tb testing.TB) (primaryURL, standbyURL string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	primary, err := startServer(ctx, "wal_level = replica", "max_wal_senders = 5", "hot_standby = on")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = primary.stop() })

	bin := primary.pgCtl
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		bin = real // /usr/local/bin links into /usr/lib/postgresql/N/bin, which has pg_basebackup
	}
	basebackup := filepath.Join(filepath.Dir(bin), "pg_basebackup")
	if _, err := os.Stat(basebackup); err != nil {
		tb.Fatalf("pgtest: pg_basebackup not found beside pg_ctl (%v); %s", err, installHint)
	}
	dir, err := os.MkdirTemp(os.TempDir(), dirPrefix)
	if err != nil {
		tb.Fatalf("pgtest: create standby directory: %v", err)
	}
	standby := &server{dir: dir, pgCtl: primary.pgCtl, asUser: primary.asUser}
	tb.Cleanup(func() { _ = standby.stop() })
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	if standby.asUser != "" {
		if err := chownTo(dir, standby.asUser); err != nil {
			tb.Fatal(err)
		}
	}
	if standby.port, err = freePort(); err != nil {
		tb.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := standby.run(ctx, basebackup, "-D", data, "-R", "-X", "stream", "-h", primary.dir,
		"-p", strconv.Itoa(primary.port), "-U", "postgres", "--no-sync"); err != nil {
		tb.Fatalf("pgtest: pg_basebackup: %v\n%s\n%s", err, out, primary.logTail())
	}
	conf := strings.Join([]string{"", "# esgen pgtest standby", "port = " + strconv.Itoa(standby.port),
		"unix_socket_directories = '" + dir + "'", "hot_standby = on", ""}, "\n")
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(conf)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		tb.Fatalf("pgtest: configure standby: %v", err)
	}
	if out, err := standby.run(ctx, standby.pgCtl, "start", "-w", "-t", "120", "-D", data, "-l", standby.logPath()); err != nil {
		tb.Fatal(fmt.Errorf("pgtest: start standby: %w\n%s\n%s", err, out, standby.logTail()))
	}
	return primary.url("postgres"), standby.url("postgres")
}
