package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/postgres"
)

const benchEvents = 20_000

// BenchmarkCatchUp measures projection catch-up into a PostgreSQL read model: the runner
// (decode, handler upsert per event, checkpoint compare-and-set per batch of 500), with and
// without deferred writes (one round trip per batch), beside
// raw baselines applying the same upserts with plain SQL in transactions of 500, reading the
// log through the store or from memory. Each op applies the whole log of 20,000 events into
// a fresh table; events/s is the figure to compare.
func BenchmarkCatchUp(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	for i := 0; i < benchEvents; i += 100 {
		evs := make([]eventstore.EventData, 100)
		for j := range evs {
			evs[j] = ptest.Deposit(int64(j%9 + 1))
		}
		if _, err := e.store.Append(ctx, fmt.Sprintf("acct-%d", (i/100)%250), eventstore.Any, evs...); err != nil {
			b.Fatal(err)
		}
	}
	ptest.Settle(ctx, b, e.store)
	_, last, err := ptest.Fold(ctx, e.store, nil)
	if err != nil {
		b.Fatal(err)
	}
	var all []eventstore.Event
	for ev, err := range e.store.ReadAll(ctx, eventstore.ReadAllOptions{Types: []string{ptest.DepositedType}}) {
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, ev)
	}
	seq := 0
	freshTable := func(b *testing.B) int {
		seq++
		if err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error { return model{e.pool}.Prepare(ctx, tx, seq+1) }); err != nil {
			b.Fatal(err)
		}
		return seq + 1
	}
	upsert := func(ctx context.Context, tx pgx.Tx, v int, stream string, amount int64) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+table(v)+` AS l (stream, count, sum) VALUES ($1, 1, $2)
			ON CONFLICT (stream) DO UPDATE SET count = l.count + 1, sum = l.sum + $2`, stream, amount)
		return err
	}
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(benchEvents*b.N)/time.Since(start).Seconds(), "events/s")
	}

	runner := func(b *testing.B, target *postgres.Target) {
		start := time.Now()
		batches := 0
		defer func() { b.ReportMetric(float64(batches)/float64(b.N), "batches/op") }()
		for range b.N {
			v := freshTable(b)
			name := fmt.Sprintf("bench_%d", v)
			caught := make(chan struct{})
			h := ptest.NewLedgerProjection[pgx.Tx](name, &ptest.Ledger[pgx.Tx]{Model: versioned{v, e}})
			r, err := projection.NewRunner(e.store, target, h, projection.WithLogger(slog.New(slog.DiscardHandler)),
				projection.WithProgress(func(p projection.Progress) {
					batches++
					if !p.Position.Less(last) {
						select {
						case <-caught:
						default:
							close(caught)
						}
					}
				}))
			if err != nil {
				b.Fatal(err)
			}
			rctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- r.Run(rctx) }()
			<-caught
			stop()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	}
	deferred, err := postgres.New(ctx, e.pool, postgres.WithDeferredWrites())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("runner", func(b *testing.B) { runner(b, e.target) })
	b.Run("runner-deferred-writes", func(b *testing.B) { runner(b, deferred) })

	b.Run("raw-sql-read-from-store", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			v := freshTable(b)
			var batch []eventstore.Event
			flush := func() {
				err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
					for i := range batch {
						var d ptest.Deposited
						if err := json.Unmarshal(batch[i].Data, &d); err != nil {
							return err
						}
						if err := upsert(ctx, tx, v, batch[i].StreamID, d.Amount); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
			for ev, err := range e.store.ReadAll(ctx, eventstore.ReadAllOptions{Types: []string{ptest.DepositedType}}) {
				if err != nil {
					b.Fatal(err)
				}
				batch = append(batch, ev)
				if len(batch) == 500 {
					flush()
				}
			}
			flush()
		}
		report(b, start)
	})

	b.Run("raw-sql-from-memory", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			v := freshTable(b)
			for i := 0; i < len(all); i += 500 {
				err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
					for _, ev := range all[i:min(i+500, len(all))] {
						var d ptest.Deposited
						if err := json.Unmarshal(ev.Data, &d); err != nil {
							return err
						}
						if err := upsert(ctx, tx, v, ev.StreamID, d.Amount); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b, start)
	})
}

// versioned is the model writing to one fixed table version, whatever the context says.
type versioned struct {
	v int
	e env
}

func (m versioned) Add(ctx context.Context, tx pgx.Tx, ev *eventstore.Event, amount int64) error {
	return model{m.e.pool}.Add(projection.WithVersion(ctx, m.v), tx, ev, amount)
}
func (m versioned) Rows(ctx context.Context, v int) (map[string]ptest.Row, error) {
	return model{m.e.pool}.Rows(ctx, m.v)
}
func (m versioned) Prepare(ctx context.Context, tx pgx.Tx, v int) error { return nil }
func (m versioned) Drop(ctx context.Context, tx pgx.Tx, v int) error    { return nil }
func (m versioned) Clear(ctx context.Context, tx pgx.Tx, v int) error   { return nil }
