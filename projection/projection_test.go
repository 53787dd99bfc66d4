package projection_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/esgen/esgen/eventstore"
	esmemory "github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/memory"
)

func TestVersionedName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    int
		want string
	}{{0, "order_status"}, {1, "order_status"}, {2, "order_status_v2"}, {13, "order_status_v13"}} {
		if got := projection.VersionedName("order_status", tc.v); got != tc.want {
			t.Errorf("VersionedName(order_status, %d) = %q, want %q", tc.v, got, tc.want)
		}
		if got := projection.Table(projection.WithVersion(context.Background(), tc.v), "order_status"); got != tc.want {
			t.Errorf("Table at version %d = %q, want %q", tc.v, got, tc.want)
		}
	}
	if v := projection.VersionFrom(context.Background()); v != 1 {
		t.Errorf("VersionFrom without a version = %d, want 1", v)
	}
}

type nopHandler struct{ fail func(*eventstore.Event) error }

func (nopHandler) Name() string         { return "p" }
func (nopHandler) EventTypes() []string { return nil }
func (h nopHandler) Handle(_ context.Context, _ projection.NoTx, e *eventstore.Event) error {
	if h.fail != nil {
		return h.fail(e)
	}
	return nil
}

func TestNewRunnerRejectsBadConfig(t *testing.T) {
	t.Parallel()
	store, target := esmemory.New(), projection.Target[projection.NoTx](memory.New())
	for name, opt := range map[string]projection.Option{
		"batch size 0":        projection.WithBatchSize(0),
		"zero batch duration": projection.WithMaxBatchDuration(0),
		"tiny lease":          projection.WithLeaseTTL(time.Millisecond),
		"no attempts":         projection.WithRetry(projection.Retry{MaxAttempts: 0}),
		"backoff max < init":  projection.WithRetry(projection.Retry{MaxAttempts: 1, InitialBackoff: time.Second, MaxBackoff: time.Millisecond}),
	} {
		if _, err := projection.NewRunner(store, target, projection.Handler[projection.NoTx](nopHandler{}), opt); !errors.Is(err, projection.ErrInvalidConfig) {
			t.Errorf("%s: NewRunner returned %v, want ErrInvalidConfig", name, err)
		}
	}
	if _, err := projection.NewRunner[projection.NoTx](store, target, nil); !errors.Is(err, projection.ErrInvalidConfig) {
		t.Errorf("nil handler: %v, want ErrInvalidConfig", err)
	}
}

// TestMetrics checks the instruments a runner records: applied events, batches, retries and
// dead letters.
func TestMetrics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := esmemory.New()
	for i := range 30 {
		if _, err := store.Append(ctx, fmt.Sprintf("s-%d", i%3), eventstore.Any, eventstore.EventData{Type: "t", Data: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	head, _ := store.Head(ctx)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	done := make(chan struct{})
	var once sync.Once
	h := nopHandler{fail: func(e *eventstore.Event) error {
		if e.Data[0] == 7 {
			return errors.New("poison")
		}
		return nil
	}}
	r, err := projection.NewRunner(store, projection.Target[projection.NoTx](memory.New()), projection.Handler[projection.NoTx](h),
		projection.WithMeterProvider(mp), projection.WithLogger(slog.New(slog.DiscardHandler)),
		projection.WithRetry(projection.Retry{MaxAttempts: 2, MaxBackoff: time.Millisecond}),
		projection.WithProgress(func(p projection.Progress) {
			if !p.Position.Less(head) {
				once.Do(func() { close(done) })
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ended := make(chan error)
	go func() { ended <- r.Run(runCtx) }()
	<-done
	stop()
	if err := <-ended; err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	hist := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					hist[m.Name] += p.Count
				}
			}
		}
	}
	if sums["esgen.projection.events.applied"] != 29 || sums["esgen.projection.dead_letters"] != 1 || sums["esgen.projection.retries"] != 1 {
		t.Fatalf("counters %v: want 29 applied, 1 dead letter, 1 retry", sums)
	}
	if hist["esgen.projection.batch.duration"] == 0 {
		t.Fatal("no batch duration recorded")
	}
}
