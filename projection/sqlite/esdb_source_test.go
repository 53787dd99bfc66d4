package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore/esdb"
	"github.com/esgen/esgen/eventstore/esdb/esdbtest"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/sqlite"
)

// crashESDBEnv carries the test server's connection string to the crash child.
const crashESDBEnv = "ESGEN_PROJECTION_CRASH_ESDB"

// openReadModel opens a SQLite file that holds only a read model and the projection's
// tables: the events live elsewhere (in EventStoreDB here), the checkpoint lives with the
// read model.
func openReadModel(t testing.TB, path string) (*sql.DB, *sqlite.Target) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		t.Fatal(err)
	}
	target, err := sqlite.New(ctx, db, nil, sqlite.WithMigrate())
	if err != nil {
		_ = db.Close()
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := (model{db}).Prepare(ctx, tx, 1); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return db, target
}

// TestCrashSafetyFromEventStoreDB is the exactly-once crash test with EventStoreDB as the
// source (its in-process test double, serving the parent and the child processes over gRPC)
// and the read model, with its checkpoint, in a SQLite file: the child applying the projection
// is killed with SIGKILL at random points 20 times; at the end the read model must equal the
// fold of the whole $all log.
func TestCrashSafetyFromEventStoreDB(t *testing.T) {
	if ptest.IsCrashChild() {
		crashChildFromEventStoreDB(t)
		return
	}
	t.Parallel()
	ctx := t.Context()
	srv, err := esdbtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	store, err := esdb.Open(ctx, srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	path := filepath.Join(t.TempDir(), "readmodel.db")
	db, _ := openReadModel(t, path)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	killed := ptest.RunCrash(t, ptest.Crash{
		Iterations: 20,
		TestName:   "TestCrashSafetyFromEventStoreDB",
		Env:        []string{crashESDBEnv + "=" + srv.ConnectionString(), crashPathEnv + "=" + path},
		Append: func(ctx context.Context, n int) {
			ptest.AppendDeposits(ctx, t, store, "acct", 13, n)
		},
	})
	t.Logf("%d of 20 kills landed while the child was applying", killed)

	db, target := openReadModel(t, path)
	defer db.Close()
	sig := ptest.NewSignal()
	r, err := projection.NewRunner(store, target, ptest.NewLedgerProjection[*sql.Tx]("ledger", &ptest.Ledger[*sql.Tx]{Model: model{db}}),
		projection.WithLeaseTTL(300*time.Millisecond), projection.WithProgress(sig.Progress), projection.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	ptest.Settle(ctx, t, store)
	_, last, err := ptest.Fold(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig.WaitFor(t, "the projection to finish", ptest.CaughtUp(ctx, t, target, "ledger", last))
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ptest.CheckModel(ctx, t, ptest.Fixture[*sql.Tx]{Store: store, Target: target, Model: model{db}}, 1, nil)
}

// crashChildFromEventStoreDB runs the projection from the EventStoreDB test server into the
// SQLite read model until it is killed.
func crashChildFromEventStoreDB(t *testing.T) {
	ctx := context.Background()
	store, err := esdb.Open(ctx, os.Getenv(crashESDBEnv))
	if err != nil {
		t.Fatal(err)
	}
	db, target := openReadModel(t, os.Getenv(crashPathEnv))
	h := &ptest.Ledger[*sql.Tx]{Model: model{db}, Hook: ptest.ChildHook()}
	r, err := projection.NewRunner(store, target, ptest.NewLedgerProjection[*sql.Tx]("ledger", h),
		projection.WithLeaseTTL(300*time.Millisecond), projection.WithBatchSize(ptest.ChildBatchSize()),
		projection.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Fatalf("the child's runner returned %v; it should run until killed", r.Run(ctx))
}
