package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"go.opentelemetry.io/otel/metric"
)

// ReaderStall describes how far readers of the global log are held back by an open
// transaction. Readers see only events of transactions older than the oldest transaction
// still running (the horizon); a transaction that stays open keeps events committed after it
// from every reader until it ends. Nothing is lost, but readers wait.
type ReaderStall struct {
	// Horizon is the oldest transaction ID of this database still running (see the package
	// documentation).
	Horizon uint64
	// WaitingEvents counts committed events readers cannot see yet because they are at or
	// above the horizon (counted up to 10,000).
	WaitingEvents int64
	// Duration is how long the oldest transaction holding an ID has been open, when events
	// wait behind the horizon; 0 when none wait. It bounds from above how long readers have
	// been held back.
	Duration time.Duration
	// PID is the backend process ID of that transaction (0 when unknown, e.g. a prepared
	// transaction).
	PID int32
	// State and Query are that backend's state and the start of its last statement, from
	// pg_stat_activity, to find the culprit (empty unless the role may see them:
	// pg_read_all_stats, or the same role).
	State, Query string
}

// Stalled reports whether events are waiting behind the horizon.
func (r ReaderStall) Stalled() bool { return r.WaitingEvents > 0 }

// ReaderStall measures how far readers are held back right now. Any transaction of this
// database that holds a transaction ID counts, whatever it writes (a projection's read
// model too), and so does a prepared (two-phase) transaction.
func (s *Store) ReaderStall(ctx context.Context) (ReaderStall, error) {
	if s.closed.Load() {
		return ReaderStall{}, errClosed("reader stall")
	}
	var r ReaderStall
	var pid pgtype.Int4
	var age pgtype.Float8
	var state, query pgtype.Text
	for attempt := 0; ; attempt++ {
		var unknown bool
		if err := s.pool.QueryRow(ctx, s.q.stall).Scan(&r.Horizon, &unknown, &r.WaitingEvents, &pid, &age, &state, &query); err != nil {
			return ReaderStall{}, fmt.Errorf("postgres: measure reader stall: %w", err)
		}
		if !unknown || attempt == 1 {
			break
		}
	}
	r.PID, r.State, r.Query = pid.Int32, state.String, query.String
	if r.WaitingEvents > 0 && age.Valid {
		r.Duration = time.Duration(age.Float64 * float64(time.Second))
	}
	return r, nil
}

// registerGauge registers the esgen.eventstore.postgres.reader_stall gauge, observed with
// [Store.ReaderStall] at each collection.
func (s *Store) registerGauge(mp metric.MeterProvider) error {
	m := mp.Meter("github.com/esgen/esgen/eventstore/postgres")
	g, err := m.Float64ObservableGauge("esgen.eventstore.postgres.reader_stall",
		metric.WithUnit("s"),
		metric.WithDescription("How long readers of the global log have been held back by an open transaction (0 when no committed event waits)."))
	if err != nil {
		return fmt.Errorf("postgres: register reader stall gauge: %w", err)
	}
	reg, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		r, err := s.ReaderStall(ctx)
		if err != nil {
			return err
		}
		o.ObserveFloat64(g, r.Duration.Seconds())
		return nil
	}, g)
	if err != nil {
		return fmt.Errorf("postgres: register reader stall gauge: %w", err)
	}
	s.gauge = reg
	return nil
}
