package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/sqlite"
)

// The test binary doubles as a helper process: with ESGEN_SQLITE_HELPER set it runs the
// helper instead of the tests, so the tests can hold a database from another process and
// kill it.
func TestMain(m *testing.M) {
	if mode := os.Getenv("ESGEN_SQLITE_HELPER"); mode != "" {
		os.Exit(helper(mode, os.Getenv("ESGEN_SQLITE_PATH")))
	}
	os.Exit(m.Run())
}

// helper "hold" opens the store, says "ready" and waits for stdin to close; "append"
// appends one event at a time to stream "s" and prints each acknowledged version, until
// it is killed.
func helper(mode, path string) int {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.WithMigrate())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	switch mode {
	case "hold":
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
	case "append":
		info, err := st.StreamInfo(ctx, "s")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for v := info.Version; ; v++ {
			e := eventstore.EventData{Type: "Tick", Data: []byte(strconv.FormatUint(v+1, 10))}
			res, err := st.Append(ctx, "s", eventstore.Exactly(v), e)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Println(res.LastVersion)
		}
	case "project":
		if err := project(ctx, st); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// project appends deposits to five accounts and, after each, projects every event after its
// checkpoint into a totals table, committing each event's effect and the new checkpoint in
// one WriteTx (with a compare-and-set on the checkpoint). It prints a line per round.
func project(ctx context.Context, st *sqlite.Store) error {
	err := st.WriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS totals (account TEXT PRIMARY KEY, total INTEGER NOT NULL) STRICT;
			CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL) STRICT;
			INSERT OR IGNORE INTO checkpoint VALUES (1, 0)`)
		return err
	})
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		deposit := eventstore.EventData{Type: "Deposited", Data: []byte(strconv.Itoa(i%7 + 1))}
		if _, err := st.Append(ctx, fmt.Sprintf("acct-%d", i%5), eventstore.Any, deposit); err != nil {
			return err
		}
		var cp uint64
		if err := st.DB().QueryRowContext(ctx, `SELECT position FROM checkpoint`).Scan(&cp); err != nil {
			return err
		}
		for e, err := range st.ReadAll(ctx, eventstore.ReadAllOptions{After: eventstore.Position{Pos: cp}}) {
			if err != nil {
				return err
			}
			amount, err := strconv.Atoi(string(e.Data))
			if err != nil {
				return err
			}
			err = st.WriteTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO totals VALUES (?, ?)
					ON CONFLICT (account) DO UPDATE SET total = total + excluded.total`, e.StreamID, amount); err != nil {
					return err
				}
				res, err := tx.ExecContext(ctx, `UPDATE checkpoint SET position = ? WHERE position = ?`, e.Position.Pos, cp)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("checkpoint moved under the projection: expected %d", cp)
				}
				return nil
			})
			if err != nil {
				return err
			}
			cp = e.Position.Pos
		}
		fmt.Println(i)
	}
}

// startHelper runs the helper on path and returns it with its stdout lines.
func startHelper(t *testing.T, mode, path string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ESGEN_SQLITE_HELPER="+mode, "ESGEN_SQLITE_PATH="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, stdin, bufio.NewScanner(stdout)
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	st, err := sqlite.Open(ctx, path, sqlite.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	want := []eventstore.EventData{ev("A", "1"), {Type: "B", Data: []byte("2"), Metadata: eventstore.Metadata{CorrelationID: "c"}}}
	if _, err := st.Append(ctx, "s", eventstore.NoStream, want...); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// No WithMigrate: the schema is current, so the store is usable at once.
	st2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	got := collect(t, st2.ReadStream(ctx, "s", eventstore.ReadStreamOptions{}))
	if len(got) != 2 || got[0].ID != want[0].ID || string(got[1].Data) != "2" || got[1].Metadata.CorrelationID != "c" {
		t.Fatalf("after reopen: %+v", got)
	}
	res, err := st2.Append(ctx, "s", eventstore.Exactly(2), ev("C", "3"))
	if err != nil || res.LastVersion != 3 || res.Position.Pos != 3 {
		t.Fatalf("append after reopen: %+v, %v", res, err)
	}
}

func TestLockedBySecondStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	st := openAt(t, path)
	_, err := sqlite.Open(ctx, path)
	if !errors.Is(err, sqlite.ErrLocked) {
		t.Fatalf("second Open: want ErrLocked, got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "this process") {
		t.Fatalf("message %q should name the file and say this process holds it", msg)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	st2.Close()
}

func TestLockedByAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	cmd, stdin, out := startHelper(t, "hold", path)
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("helper did not get ready: %q %v", out.Text(), out.Err())
	}
	_, err := sqlite.Open(ctx, path)
	if !errors.Is(err, sqlite.ErrLocked) {
		t.Fatalf("Open while another process holds it: want ErrLocked, got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, fmt.Sprintf("process %d", cmd.Process.Pid)) {
		t.Fatalf("message %q should name the file and the holding process %d", msg, cmd.Process.Pid)
	}
	// A clean exit releases the lock.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after the other process exited: %v", err)
	}
	st.Close()
}

// TestKilledWriterLosesNothingAcknowledged kills a writing process at random points: every
// append it acknowledged is in the file afterwards, the stream is gap-free, and the lock it
// held does not outlive it.
func TestKilledWriterLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	rounds := 5
	if testing.Short() {
		rounds = 2
	}
	var acked uint64
	for round := range rounds {
		cmd, _, out := startHelper(t, "append", path)
		stopAfter := 5 + round*7
		for i := 0; i < stopAfter && out.Scan(); i++ {
			v, err := strconv.ParseUint(out.Text(), 10, 64)
			if err != nil {
				t.Fatalf("helper printed %q", out.Text())
			}
			acked = v
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("round %d: Open after SIGKILL: %v", round, err)
		}
		got := collect(t, st.ReadStream(ctx, "s", eventstore.ReadStreamOptions{}))
		st.Close()
		if uint64(len(got)) < acked {
			t.Fatalf("round %d: %d events in the file, but %d were acknowledged", round, len(got), acked)
		}
		if !slices.Equal(versions(got), seq(1, uint64(len(got)))) || !slices.Equal(positions(got), seq(1, uint64(len(got)))) {
			t.Fatalf("round %d: versions %v positions %v, want gap-free", round, versions(got), positions(got))
		}
		for _, e := range got {
			if string(e.Data) != strconv.FormatUint(e.Version, 10) {
				t.Fatalf("round %d: version %d holds %q", round, e.Version, e.Data)
			}
		}
	}
}

// TestKilledProjectionIsExactlyOnce SIGKILLs a process that appends and projects at random
// points, 20 times: each time, the read model written through WriteTx equals the fold of
// the events up to its checkpoint, so no event's effect was lost or applied twice.
func TestKilledProjectionIsExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	var cp uint64
	for round := range rounds {
		cmd, _, out := startHelper(t, "project", path)
		for range 1 + rng.Intn(30) {
			if !out.Scan() {
				t.Fatalf("round %d: helper stopped: %v", round, out.Err())
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("round %d: Open after SIGKILL: %v", round, err)
		}
		if err := st.DB().QueryRowContext(ctx, `SELECT position FROM checkpoint`).Scan(&cp); err != nil {
			t.Fatal(err)
		}
		fold := map[string]int{}
		for e, err := range st.ReadAll(ctx, eventstore.ReadAllOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Position.Pos > cp {
				break
			}
			n, _ := strconv.Atoi(string(e.Data))
			fold[e.StreamID] += n
		}
		model := map[string]int{}
		rows, err := st.DB().QueryContext(ctx, `SELECT account, total FROM totals`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var acct string
			var total int
			if err := rows.Scan(&acct, &total); err != nil {
				t.Fatal(err)
			}
			model[acct] = total
		}
		rows.Close()
		st.Close()
		if !maps.Equal(model, fold) {
			t.Fatalf("round %d (checkpoint %d): read model %v, fold of the events %v", round, cp, model, fold)
		}
	}
	if cp < uint64(rounds) {
		t.Fatalf("the projection reached only position %d in %d rounds", cp, rounds)
	}
}

func TestReadOnlyFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	st := openAt(t, path)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(ctx, path)
	if !errors.Is(err, sqlite.ErrReadOnly) {
		t.Fatalf("want ErrReadOnly, got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "read-only") {
		t.Fatalf("message %q should name the file and say it is read-only", msg)
	}
}

func TestReadOnlyDirectory(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories; TestReadOnlyFile covers the file case")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	_, err := sqlite.Open(t.Context(), filepath.Join(dir, "events.db"))
	if !errors.Is(err, sqlite.ErrReadOnly) {
		t.Fatalf("want ErrReadOnly, got %v", err)
	}
}

func TestNotADatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		dir     bool
	}{
		{"text file", "order-1,created\norder-2,created\n", false},
		{"short file", "hi", false},
		{"directory", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "events.db")
			var err error
			if tc.dir {
				err = os.Mkdir(path, 0o755)
			} else {
				err = os.WriteFile(path, []byte(tc.content), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = sqlite.Open(t.Context(), path)
			if !errors.Is(err, sqlite.ErrNotDatabase) || !strings.Contains(err.Error(), path) {
				t.Fatalf("want ErrNotDatabase naming %s, got %v", path, err)
			}
			if !tc.dir {
				if b, _ := os.ReadFile(path); string(b) != tc.content {
					t.Fatal("the file was modified")
				}
			}
		})
	}
}

func TestMissingDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := sqlite.Open(t.Context(), filepath.Join(dir, "events.db"))
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("want an error saying %s does not exist, got %v", dir, err)
	}
}

// setSchemaVersion rewrites the recorded schema version behind the store's back.
func setSchemaVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE esgen_schema SET version = ? WHERE component = 'eventstore'`, v); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.db")
	st := openAt(t, path)
	st.Close()
	setSchemaVersion(t, path, sqlite.SchemaVersion+1)
	for _, opts := range [][]sqlite.Option{nil, {sqlite.WithMigrate()}} {
		_, err := sqlite.Open(t.Context(), path, opts...)
		if !errors.Is(err, sqlite.ErrSchemaTooNew) {
			t.Fatalf("want ErrSchemaTooNew, got %v", err)
		}
		var sv *sqlite.SchemaVersionError
		if !errors.As(err, &sv) || sv.Found != sqlite.SchemaVersion+1 || sv.Supported != sqlite.SchemaVersion || !strings.Contains(err.Error(), "upgrade esgen") {
			t.Fatalf("error %v should carry the versions and say to upgrade esgen", err)
		}
	}
	// The refused file was left alone and the lock released.
	setSchemaVersion(t, path, sqlite.SchemaVersion)
	openAt(t, path)
}

func TestMigrateExplicitly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Append(ctx, "s", eventstore.Any, ev("A", "1"))
	if !errors.Is(err, sqlite.ErrSchemaOutdated) || !strings.Contains(err.Error(), "Migrate") {
		t.Fatalf("append before Migrate: want ErrSchemaOutdated mentioning Migrate, got %v", err)
	}
	if _, err := st.Head(ctx); !errors.Is(err, sqlite.ErrSchemaOutdated) {
		t.Fatalf("head before Migrate: %v", err)
	}
	for range 2 { // Migrate is idempotent
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Append(ctx, "s", eventstore.Any, ev("A", "1")); err != nil {
		t.Fatalf("append after Migrate: %v", err)
	}
}

func TestSettingsApplied(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []sqlite.Option
		wantSync   int
		wantBusyMS int
	}{
		{"defaults", nil, 2, 5000},
		{"normal sync, 250ms busy", []sqlite.Option{sqlite.WithSynchronous(sqlite.SynchronousNormal), sqlite.WithBusyTimeout(250e6)}, 1, 250},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := open(t, tc.opts...)
			pragma := func(q interface {
				QueryRowContext(context.Context, string, ...any) *sql.Row
			}, name string) string {
				var v string
				if err := q.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
					t.Fatalf("PRAGMA %s: %v", name, err)
				}
				return v
			}
			writer := map[string]string{}
			err := st.WriteTx(t.Context(), func(tx *sql.Tx) error {
				for _, p := range []string{"journal_mode", "synchronous", "busy_timeout", "foreign_keys", "query_only"} {
					writer[p] = pragma(tx, p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"journal_mode": "wal", "synchronous": strconv.Itoa(tc.wantSync), "busy_timeout": strconv.Itoa(tc.wantBusyMS), "foreign_keys": "1", "query_only": "0"}
			for p, w := range want {
				if writer[p] != w {
					t.Errorf("writer PRAGMA %s = %s, want %s", p, writer[p], w)
				}
			}
			wantR := map[string]string{"journal_mode": "wal", "busy_timeout": strconv.Itoa(tc.wantBusyMS), "foreign_keys": "1", "query_only": "1"}
			for p, w := range wantR {
				if got := pragma(st.DB(), p); got != w {
					t.Errorf("reader PRAGMA %s = %s, want %s", p, got, w)
				}
			}
		})
	}
}

func TestWriteTxAndDB(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := open(t)
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE nope (x INTEGER)`); err == nil {
		t.Fatal("DB() accepted a write; it must be read-only")
	}
	err := st.WriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE orders (id TEXT PRIMARY KEY, total INTEGER) STRICT`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = st.WriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders VALUES ('o-1', 5)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteTx returned %v, want fn's error", err)
	}
	var n int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rolled-back row visible: n=%d err=%v", n, err)
	}
	err = st.WriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO orders VALUES ('o-1', 5)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("committed row: n=%d err=%v", n, err)
	}
}

// TestForeignWriteLock: a program that opens the file directly (not through a Store) and
// holds a write transaction makes Open and writes fail with ErrLocked after the busy
// timeout, not hang or fail obscurely.
func TestForeignWriteLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	st := openAt(t, path, sqlite.WithBusyTimeout(50*time.Millisecond))
	if _, err := st.Append(ctx, "s", eventstore.Any, ev("A", "1")); err != nil {
		t.Fatal(err)
	}
	foreign, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	conn, err := foreign.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, err = st.Append(ctx, "s", eventstore.Any, ev("A", "2"))
	if !errors.Is(err, sqlite.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("append while another connection holds the write lock: want ErrLocked naming the file, got %v", err)
	}
	if err := st.WriteTx(ctx, func(*sql.Tx) error { return nil }); !errors.Is(err, sqlite.ErrLocked) {
		t.Fatalf("WriteTx: want ErrLocked, got %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(ctx, path, sqlite.WithBusyTimeout(50*time.Millisecond))
	if !errors.Is(err, sqlite.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open while another connection holds the write lock: want ErrLocked naming the file, got %v", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	st2 := openAt(t, path)
	if got := collect(t, st2.ReadStream(ctx, "s", eventstore.ReadStreamOptions{})); len(got) != 1 {
		t.Fatalf("%d events after the failed append, want 1", len(got))
	}
}

// TestPathNeedingEscapes: the file lands exactly at the given path even when the path holds
// characters that mean something in a URI.
func TestPathNeedingEscapes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e&_pragma=x")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.db")
	st := openAt(t, path)
	if _, err := st.Append(ctx, "s", eventstore.Any, ev("A", "1")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"events.db", "events.db.lock"}) {
		t.Fatalf("files in %s: %v, want events.db and its lock", dir, names)
	}
	if got := collect(t, openAt(t, path).ReadAll(ctx, eventstore.ReadAllOptions{})); len(got) != 1 {
		t.Fatalf("reopened store holds %d events, want 1", len(got))
	}
}

// TestAnotherApplicationsDatabase: a file with its own "events" table is not migrated over.
func TestAnotherApplicationsDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = sqlite.Open(t.Context(), path, sqlite.WithMigrate())
	if err == nil || !strings.Contains(err.Error(), "events") || !strings.Contains(err.Error(), "own file") {
		t.Fatalf("want an error saying the file has a foreign events table, got %v", err)
	}
}
