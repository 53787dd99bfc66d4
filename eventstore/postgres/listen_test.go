package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/internal/pgtest"
)

// listenerPID waits until the store's LISTEN connection other than not exists and returns
// its backend PID.
func listenerPID(t *testing.T, pool *pgxpool.Pool, not int32) int32 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var pid int32
		err := pool.QueryRow(t.Context(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> $1 LIMIT 1`, not).Scan(&pid)
		if err == nil {
			return pid
		}
		if err != pgx.ErrNoRows {
			t.Fatal(err)
		}
	}
	t.Fatal("no LISTEN connection within 30s")
	return 0
}

// When the listening connection is killed, the store reconnects and NOTIFY wakes
// subscribers again.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := newStore(t)
	writer, err := postgres.New(ctx, s.Pool(), postgres.WithSchema(s.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	got := make(chan eventstore.Event)
	go func() {
		for e, err := range s.Subscribe(ctx, eventstore.ReadAllOptions{PollInterval: time.Hour}) {
			if err != nil {
				return
			}
			got <- e
		}
	}()
	receive := func(stream string) {
		t.Helper()
		if _, err := writer.Append(ctx, stream, eventstore.NoStream, ev("x")); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.StreamID != stream {
				t.Fatalf("got %s, want %s", e.StreamID, stream)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s not delivered within 30s", stream)
		}
	}
	first := listenerPID(t, s.Pool(), 0)
	receive("before")
	var killed bool
	if err := s.Pool().QueryRow(ctx, "SELECT pg_terminate_backend($1)", first).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listener: %v, %v", killed, err)
	}
	second := listenerPID(t, s.Pool(), first)
	t.Logf("listener reconnected: backend %d replaced %d", second, first)
	receive("after-1")
	receive("after-2")
}

// The reader-stall gauge reports how long readers wait behind an open transaction.
func TestReaderStallGauge(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	reader := metric.NewManualReader()
	mp := metric.NewMeterProvider(metric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	url := pgtest.NewDatabase(t)
	s := newStoreIn(t, url, postgres.WithMeterProvider(mp))

	gauge := func() float64 {
		t.Helper()
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != "esgen.eventstore.postgres.reader_stall" {
					continue
				}
				g, ok := m.Data.(metricdata.Gauge[float64])
				if !ok || len(g.DataPoints) != 1 {
					t.Fatalf("reader_stall data %T %+v; want one float64 gauge point", m.Data, m.Data)
				}
				return g.DataPoints[0].Value
			}
		}
		t.Fatal("no esgen.eventstore.postgres.reader_stall metric collected")
		return 0
	}
	if v := gauge(); v != 0 {
		t.Fatalf("reader_stall = %v with nothing open; want 0", v)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "a", eventstore.NoStream, ev("x")); err != nil {
		t.Fatal(err)
	}
	if v := gauge(); v <= 0 {
		t.Fatalf("reader_stall = %v while an older transaction holds an event back; want > 0", v)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if v := gauge(); v != 0 {
		t.Fatalf("reader_stall = %v after the transaction ended; want 0", v)
	}
}
