package postgres_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	espg "github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/postgres"
)

const (
	crashURLEnv = "ESGEN_PROJECTION_CRASH_URL"
	crashTTLEnv = "ESGEN_PROJECTION_CRASH_TTL" // the child's lease TTL, default 300ms
)

// TestCrashSafety kills a process applying the projection with SIGKILL at random points, 20
// times, restarting it each time, then checks that the read model equals the fold of the
// whole log: no event lost, none applied twice.
func TestCrashSafety(t *testing.T) {
	if ptest.IsCrashChild() {
		crashChild(t)
		return
	}
	t.Parallel()
	e := newEnv(t)
	killed := ptest.RunCrash(t, ptest.Crash{
		Iterations: 20,
		TestName:   "TestCrashSafety",
		Env:        []string{crashURLEnv + "=" + e.url},
		Append: func(ctx context.Context, n int) {
			ptest.AppendDeposits(ctx, t, e.store, "acct", 13, n)
		},
	})
	t.Logf("%d of 20 kills landed while the child was applying", killed)
	// Finish the projection in this process (after the last child's lease expires).
	ctx := t.Context()
	sig := ptest.NewSignal()
	r, err := projection.NewRunner(e.store, e.target, ptest.NewLedgerProjection[pgx.Tx]("ledger", &ptest.Ledger[pgx.Tx]{Model: model{e.pool}}),
		projection.WithLeaseTTL(300*time.Millisecond), projection.WithProgress(sig.Progress), projection.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	ptest.Settle(ctx, t, e.store)
	_, last, err := ptest.Fold(ctx, e.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig.WaitFor(t, "the projection to finish", ptest.CaughtUp(ctx, t, e.target, "ledger", last))
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ptest.CheckModel(ctx, t, ptest.Fixture[pgx.Tx]{Store: e.store, Target: e.target, Model: model{e.pool}}, 1, nil)
}

// crashChild runs the projection until it is killed.
func crashChild(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv(crashURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	store, err := espg.New(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	target, err := postgres.New(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	ttl := 300 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv(crashTTLEnv)); err == nil {
		ttl = d
	}
	h := &ptest.Ledger[pgx.Tx]{Model: model{pool}, Hook: ptest.ChildHook()}
	r, err := projection.NewRunner(store, target, ptest.NewLedgerProjection[pgx.Tx]("ledger", h),
		projection.WithLeaseTTL(ttl), projection.WithBatchSize(ptest.ChildBatchSize()),
		projection.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Fatalf("the child's runner returned %v; it should run until killed", r.Run(ctx))
}

// TestTwoProcessesHandOver runs the projection in two processes at once: one applies while
// the other waits for the lease; the owner is killed with SIGKILL in the middle of its work
// and the other takes over. Nothing may be lost or applied twice.
func TestTwoProcessesHandOver(t *testing.T) {
	if ptest.IsCrashChild() {
		crashChild(t)
		return
	}
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	// A lease long enough that a loaded machine does not starve the owner's renewals.
	c := ptest.Crash{TestName: "TestTwoProcessesHandOver", Env: []string{crashURLEnv + "=" + e.url, crashTTLEnv + "=2s"}}
	ptest.AppendDeposits(ctx, t, e.store, "acct", 11, 400)
	first := ptest.StartChild(t, c)
	second := ptest.StartChild(t, c)
	var owner, standby *ptest.Child
	select {
	case <-first.Applying():
		owner, standby = first, second
	case <-second.Applying():
		owner, standby = second, first
	case <-time.After(time.Minute):
		t.Fatal("neither process started applying")
	}
	select {
	case <-standby.Applying():
		t.Fatal("both processes applied while one held the lease")
	default:
	}
	owner.Kill(t)
	ptest.AppendDeposits(ctx, t, e.store, "acct", 11, 200)
	select {
	case <-standby.Applying():
	case <-time.After(time.Minute):
		t.Fatal("the standby process never took over")
	}
	l, ok, err := e.target.CurrentLease(ctx, "ledger")
	if err != nil || !ok || l.Epoch < 2 {
		t.Fatalf("lease after the hand-over: %+v %v %v, want a second epoch", l, ok, err)
	}
	// Let the standby finish, then stop it the hard way too.
	ptest.Settle(ctx, t, e.store)
	_, last, _ := ptest.Fold(ctx, e.store, nil)
	sig := ptest.NewSignal()
	sig.WaitFor(t, "the standby to catch up", ptest.CaughtUp(ctx, t, e.target, "ledger", last))
	standby.Kill(t)
	ptest.CheckModel(ctx, t, ptest.Fixture[pgx.Tx]{Store: e.store, Target: e.target, Model: model{e.pool}}, 1, nil)
}
