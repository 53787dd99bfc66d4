package postgres_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/postgres"
)

func TestSuiteDeferredWrites(t *testing.T) {
	t.Parallel()
	ptest.Run(t, func(t *testing.T) ptest.Fixture[pgx.Tx] {
		e := newEnv(t)
		target, err := postgres.New(t.Context(), e.pool, postgres.WithDeferredWrites())
		if err != nil {
			t.Fatal(err)
		}
		return ptest.Fixture[pgx.Tx]{Store: e.store, Target: target, Model: model{e.pool}}
	})
}

// TestDeferredWriteFailureIsParked: a statement that fails only when the queue is sent
// (a CHECK violation) is traced to its event, which is parked; the rest is applied once.
func TestDeferredWriteFailureIsParked(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	if _, err := e.pool.Exec(ctx, `ALTER TABLE ledger ADD CONSTRAINT non_negative CHECK (sum >= 0)`); err != nil {
		t.Fatal(err)
	}
	target, err := postgres.New(ctx, e.pool, postgres.WithDeferredWrites())
	if err != nil {
		t.Fatal(err)
	}
	ptest.AppendDeposits(ctx, t, e.store, "acct", 4, 60)
	if _, err := e.store.Append(ctx, "acct-bad", eventstore.Any, ptest.Deposit(1), ptest.Deposit(ptest.PoisonAmount), ptest.Deposit(2)); err != nil {
		t.Fatal(err)
	}
	ptest.AppendDeposits(ctx, t, e.store, "acct", 4, 60)
	h := &ptest.Ledger[pgx.Tx]{Model: model{e.pool}}
	h.Fixed.Store(true) // the handler does not refuse the poison: the database does
	sig := ptest.NewSignal()
	r, err := projection.NewRunner(e.store, target, ptest.NewLedgerProjection[pgx.Tx]("ledger", h),
		projection.WithRetry(projection.Retry{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}),
		projection.WithProgress(sig.Progress), projection.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	ptest.Settle(ctx, t, e.store)
	_, last, _ := ptest.Fold(ctx, e.store, nil)
	sig.WaitFor(t, "catch-up past the failing write", ptest.CaughtUp(ctx, t, target, "ledger", last))
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	dls, err := r.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].Event.StreamID != "acct-bad" || dls[0].Event.Version != 2 || dls[0].Attempts != 2 {
		t.Fatalf("dead letters %+v, want acct-bad version 2 after 2 attempts", dls)
	}
	ptest.CheckModel(ctx, t, ptest.Fixture[pgx.Tx]{Store: e.store, Target: target, Model: model{e.pool}}, 1,
		func(a int64) bool { return a == ptest.PoisonAmount })
}

// TestSuiteAtLeastOnce runs the scenarios for an external sink (an in-memory model with
// idempotent upserts) whose checkpoint lives in PostgreSQL.
func TestSuiteAtLeastOnce(t *testing.T) {
	t.Parallel()
	ptest.Run(t, func(t *testing.T) ptest.Fixture[projection.NoTx] {
		e := newEnv(t)
		return ptest.Fixture[projection.NoTx]{Store: e.store, Target: projection.AtLeastOnce[pgx.Tx](e.target), Model: ptest.NewMemoryModel()}
	})
}
