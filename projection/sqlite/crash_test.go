package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	essqlite "github.com/esgen/esgen/eventstore/sqlite"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/sqlite"
)

const crashPathEnv = "ESGEN_PROJECTION_CRASH_PATH"

// TestCrashSafety kills a process applying the projection with SIGKILL at random points, 20
// times, restarting it each time, then checks that the read model equals the fold of the
// whole log: no event lost, none applied twice.
func TestCrashSafety(t *testing.T) {
	if ptest.IsCrashChild() {
		crashChild(t)
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.db")
	store, _ := open(t, path)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	killed := ptest.RunCrash(t, ptest.Crash{
		Iterations: 20,
		TestName:   "TestCrashSafety",
		Env:        []string{crashPathEnv + "=" + path},
		Append: func(ctx context.Context, n int) {
			// The file admits one process at a time: open it only to append.
			s, err := essqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ptest.AppendDeposits(ctx, t, s, "acct", 13, n)
		},
	})
	t.Logf("%d of 20 kills landed while the child was applying", killed)
	ctx := t.Context()
	store, target := open(t, path)
	defer store.Close()
	sig := ptest.NewSignal()
	r, err := projection.NewRunner(store, target, ptest.NewLedgerProjection[*sql.Tx]("ledger", &ptest.Ledger[*sql.Tx]{Model: model{store.DB()}}),
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
	ptest.CheckModel(ctx, t, ptest.Fixture[*sql.Tx]{Store: store, Target: target, Model: model{store.DB()}}, 1, nil)
}

// crashChild runs the projection until it is killed.
func crashChild(t *testing.T) {
	ctx := context.Background()
	store, err := essqlite.Open(ctx, os.Getenv(crashPathEnv))
	if err != nil {
		t.Fatal(err)
	}
	target, err := sqlite.FromStore(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	h := &ptest.Ledger[*sql.Tx]{Model: model{store.DB()}, Hook: ptest.ChildHook()}
	r, err := projection.NewRunner(store, target, ptest.NewLedgerProjection[*sql.Tx]("ledger", h),
		projection.WithLeaseTTL(300*time.Millisecond), projection.WithBatchSize(ptest.ChildBatchSize()),
		projection.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Fatalf("the child's runner returned %v; it should run until killed", r.Run(ctx))
}
