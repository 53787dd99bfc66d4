package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/esgen/esgen/eventstore"
	espg "github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/internal/pgtest"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// model is the ledger read model in PostgreSQL: one table per version, updated by counting
// (not idempotent), so a double application shows.
type model struct{ pool *pgxpool.Pool }

func table(v int) string { return pgx.Identifier{projection.VersionedName("ledger", v)}.Sanitize() }

func (m model) Add(ctx context.Context, tx pgx.Tx, ev *eventstore.Event, amount int64) error {
	t := table(projection.VersionFrom(ctx))
	_, err := tx.Exec(ctx, `INSERT INTO `+t+` AS l (stream, count, sum) VALUES ($1, 1, $2)
		ON CONFLICT (stream) DO UPDATE SET count = l.count + 1, sum = l.sum + $2`, ev.StreamID, amount)
	return err
}

func (m model) Rows(ctx context.Context, v int) (map[string]ptest.Row, error) {
	rows, err := m.pool.Query(ctx, `SELECT stream, count, sum FROM `+table(v))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]ptest.Row{}
	for rows.Next() {
		var s string
		var r ptest.Row
		if err := rows.Scan(&s, &r.Count, &r.Sum); err != nil {
			return nil, err
		}
		out[s] = r
	}
	return out, rows.Err()
}

func (m model) Prepare(ctx context.Context, tx pgx.Tx, v int) error {
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table(v)+` (stream text PRIMARY KEY, count bigint NOT NULL, sum bigint NOT NULL)`)
	return err
}

func (m model) Drop(ctx context.Context, tx pgx.Tx, v int) error {
	_, err := tx.Exec(ctx, `DROP TABLE `+table(v))
	return err
}

func (m model) Clear(ctx context.Context, tx pgx.Tx, v int) error {
	_, err := tx.Exec(ctx, `TRUNCATE `+table(v))
	return err
}

// env is a database with a store, a target and the version-1 read model.
type env struct {
	url    string
	pool   *pgxpool.Pool
	store  *espg.Store
	target *postgres.Target
}

func newEnv(t testing.TB) env {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := espg.New(ctx, pool, espg.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	target, err := postgres.New(ctx, pool, postgres.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return model{pool}.Prepare(ctx, tx, 1) }); err != nil {
		t.Fatal(err)
	}
	return env{url: url, pool: pool, store: store, target: target}
}

func TestSuite(t *testing.T) {
	t.Parallel()
	ptest.Run(t, func(t *testing.T) ptest.Fixture[pgx.Tx] {
		e := newEnv(t)
		return ptest.Fixture[pgx.Tx]{Store: e.store, Target: e.target, Model: model{e.pool}}
	})
}

func TestNewRequiresMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := postgres.New(ctx, pool, postgres.WithSchema("other")); err == nil || !errorsIs(err, postgres.ErrNotMigrated) {
		t.Fatalf("New on an empty database: %v, want ErrNotMigrated", err)
	}
	if _, err := postgres.New(ctx, pool, postgres.WithSchema("bad-name")); err == nil {
		t.Fatal("New accepted an invalid schema name")
	}
	for range 2 { // idempotent
		if _, err := postgres.New(ctx, pool, postgres.WithSchema("other"), postgres.WithMigrate()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := postgres.New(ctx, pool, postgres.WithSchema("other")); err != nil {
		t.Fatalf("New after migrating: %v", err)
	}
}

// TestLeaseUsesDatabaseClock: a lease claimed for a TTL is held until the database's clock
// passes it, and a new claim after that bumps the epoch.
func TestLeaseUsesDatabaseClock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	l, err := e.target.Claim(ctx, "p", "a", 3600_000_000_000) // an hour
	if err != nil {
		t.Fatal(err)
	}
	var inHour bool
	if err := e.pool.QueryRow(ctx, `SELECT expires_at BETWEEN clock_timestamp() + interval '59 minutes' AND clock_timestamp() + interval '61 minutes' FROM esgen.projection_leases WHERE key = 'p'`).Scan(&inHour); err != nil {
		t.Fatal(err)
	}
	if !inHour {
		t.Fatal("lease expiry is not an hour from the database's now")
	}
	if _, err := e.target.Claim(ctx, "p", "b", 1000); !errorsIs(err, projection.ErrLeaseHeld) {
		t.Fatalf("second owner's claim: %v, want ErrLeaseHeld", err)
	}
	// Expire it by the database clock.
	if _, err := e.pool.Exec(ctx, `UPDATE esgen.projection_leases SET expires_at = clock_timestamp() - interval '1 second' WHERE key = 'p'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.target.Renew(ctx, l, 1000); !errorsIs(err, projection.ErrLeaseLost) {
		t.Fatalf("renewing an expired lease: %v, want ErrLeaseLost", err)
	}
	l2, err := e.target.Claim(ctx, "p", "b", 1_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Epoch != l.Epoch+1 || l2.Owner != "b" {
		t.Fatalf("claim after expiry: %+v, want owner b at epoch %d", l2, l.Epoch+1)
	}
	u, err := e.target.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Rollback(ctx)
	if _, err := e.target.LoadCheckpoint(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	err = u.Advance(ctx, projection.Advance{Projection: "p", Version: 1, To: eventstore.Position{Pos: 1}, Lease: l})
	if !errorsIs(err, projection.ErrFenced) {
		t.Fatalf("advance with the old epoch: %v, want ErrFenced", err)
	}
}

// TestTransientErrorsAreNotAttempts: serialization failures in the handler are retried
// without counting toward the dead-letter limit.
func TestTransientErrorsAreNotAttempts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	ptest.AppendDeposits(ctx, t, e.store, "acct", 3, 30)
	var failures atomic.Int64
	h := &ptest.Ledger[pgx.Tx]{Model: model{e.pool}, Hook: func(_ context.Context, ev *eventstore.Event) error {
		if ev.StreamID == "acct-1" && failures.Add(1) <= 6 {
			return fmt.Errorf("update: %w", &pgconn.PgError{Code: "40001", Message: "could not serialize access"})
		}
		return nil
	}}
	sig := ptest.NewSignal()
	r, err := projection.NewRunner(e.store, e.target, ptest.NewLedgerProjection[pgx.Tx]("ledger", h),
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
	sig.WaitFor(t, "catch-up through transient failures", ptest.CaughtUp(ctx, t, e.target, "ledger", last))
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := e.target.CountDeadLetters(ctx, "ledger"); n != 0 || failures.Load() < 6 {
		t.Fatalf("%d dead letters after %d transient failures, want none", n, failures.Load())
	}
	ptest.CheckModel(ctx, t, ptest.Fixture[pgx.Tx]{Store: e.store, Target: e.target, Model: model{e.pool}}, 1, nil)
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40P01"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("handler bug"), false},
		{pgx.ErrTxClosed, true},
	} {
		if got := e.target.Transient(tc.err); got != tc.want {
			t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
