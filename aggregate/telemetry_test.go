package aggregate_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/testdomain"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
)

func TestTelemetry(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var logs bytes.Buffer
	snaps := aggregate.NewMemorySnapshotStore()
	r := aggregate.NewRepository(memory.New(), testdomain.Type(),
		aggregate.WithTracerProvider(tp), aggregate.WithMeterProvider(mp),
		aggregate.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(2)))
	ctx := t.Context()
	if _, err := r.Create(ctx, "1", func(o *testdomain.Order) error { return o.Create("ada") }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, "1", func(o *testdomain.Order) error { return o.AddItem("a", 1) }); err != nil {
		t.Fatal(err)
	}
	// A snapshot the code cannot read is logged and counted.
	if err := snaps.Put(ctx, aggregate.Snapshot{StreamID: "order-1", Type: "Order", SchemaVersion: 1, StreamVersion: 2, Data: []byte("garbage")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Load(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, "1", func(o *testdomain.Order) error { return o.AddItem("a", 0) }); !errors.Is(err, testdomain.ErrBadQuantity) {
		t.Fatal(err)
	}

	names := map[string]int{}
	for _, s := range spans.Ended() {
		names[s.Name()]++
		if s.Name() == "aggregate.Update" && s.Status().Code == 1 /* codes.Error */ {
			names["failed update"]++
		}
	}
	for name, want := range map[string]int{"aggregate.Create": 1, "aggregate.Update": 2, "aggregate.Save": 2, "aggregate.Load": 3, "failed update": 1} {
		if names[name] != want {
			t.Errorf("%d spans %q, want %d (all: %v)", names[name], name, want, names)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += int64(p.Count)
				}
			}
		}
	}
	for name, want := range map[string]int64{
		"esgen.aggregate.save.events":        2,
		"esgen.aggregate.save.duration":      2,
		"esgen.aggregate.load.duration":      3,
		"esgen.aggregate.snapshot.writes":    1,
		"esgen.aggregate.snapshot.fallbacks": 2, // the Load and the failed Update
	} {
		if sums[name] != want {
			t.Errorf("metric %s = %d, want %d (all: %v)", name, sums[name], want, sums)
		}
	}
	if !strings.Contains(logs.String(), "cannot decode the snapshot") {
		t.Errorf("the snapshot fallback was not logged; logs:\n%s", logs.String())
	}
}

func TestInvalidRepository(t *testing.T) {
	t.Parallel()
	typ := testdomain.Type()
	incomplete := typ
	incomplete.Codec, incomplete.StreamID = nil, nil
	retry := aggregate.RetryPolicy{MaxAttempts: 0}
	tests := []struct {
		name string
		repo interface{ Err() error }
		want []string
	}{
		{"nil store", aggregate.NewRepository(nil, typ), []string{"event store is nil"}},
		{"incomplete type", aggregate.NewRepository(memory.New(), incomplete), []string{"Type.Codec is nil", "Type.StreamID is nil"}},
		{"bad retry", aggregate.NewRepository(memory.New(), typ, aggregate.WithRetry(retry)), []string{"MaxAttempts is 0"}},
	}
	for _, tc := range tests {
		err := tc.repo.Err()
		if !errors.Is(err, aggregate.ErrInvalidRepository) {
			t.Errorf("%s: Err() = %v, want ErrInvalidRepository", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
	}
	r := aggregate.NewRepository(nil, typ)
	if _, err := r.Load(t.Context(), "1"); !errors.Is(err, aggregate.ErrInvalidRepository) {
		t.Errorf("Load on an invalid repository: %v", err)
	}
	if _, err := r.Update(t.Context(), "1", func(*testdomain.Order) error { return nil }); !errors.Is(err, aggregate.ErrInvalidRepository) {
		t.Errorf("Update on an invalid repository: %v", err)
	}
	var store eventstore.Store = memory.New()
	notSnap := testdomain.OrderType(testdomain.NewCodec(), func() *plainOrder { return &plainOrder{} })
	rs := aggregate.NewRepository(store, notSnap, aggregate.WithSnapshots(aggregate.NewMemorySnapshotStore(), nil))
	if err := rs.Err(); !errors.Is(err, aggregate.ErrInvalidRepository) || !strings.Contains(err.Error(), "does not implement aggregate.Snapshotter") {
		t.Errorf("snapshots for a type without Snapshotter: %v", err)
	}
	// Save of an aggregate not made by a repository or Type.
	if err := aggregate.NewRepository(store, notSnap).Save(t.Context(), &plainOrder{}); !errors.Is(err, aggregate.ErrNotBound) {
		t.Errorf("Save of an aggregate not made through its Type: %v, want ErrNotBound", err)
	}
	unbound := &plainOrder{}
	if err := unbound.RecordOrderCreated(&testdomain.OrderCreated{}); !errors.Is(err, aggregate.ErrNotBound) {
		t.Errorf("Record on an unbound aggregate: %v, want ErrNotBound", err)
	}
}

// plainOrder is an Order aggregate without snapshot support.
type plainOrder struct {
	testdomain.OrderBase
}

func (*plainOrder) ApplyOrderCreated(*testdomain.OrderCreated)         {}
func (*plainOrder) ApplyItemAdded(*testdomain.ItemAdded)               {}
func (*plainOrder) ApplyPaymentProcessed(*testdomain.PaymentProcessed) {}
