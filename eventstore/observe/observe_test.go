package observe_test

import (
	"context"
	"errors"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/eventstore/observe"
	"github.com/esgen/esgen/eventstore/storetest"
)

// The decorator must not change the store's behaviour.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) eventstore.Store {
		s := memory.New()
		t.Cleanup(func() { _ = s.Close() })
		w, err := observe.Wrap(s)
		if err != nil {
			t.Fatal(err)
		}
		return w
	})
}

func TestTelemetry(t *testing.T) {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	st, err := observe.Wrap(memory.New(), observe.WithTracerProvider(tp), observe.WithMeterProvider(mp), observe.WithBackend("memory"))
	if err != nil {
		t.Fatal(err)
	}

	// A caller span: its trace context must land on the appended events.
	ctx, parent := tp.Tracer("test").Start(ctx, "request")
	ev := eventstore.EventData{Type: "T", Data: []byte("x")}
	if _, err := st.Append(ctx, "s-1", eventstore.NoStream, ev, ev); err != nil {
		t.Fatal(err)
	}
	_, err = st.Append(ctx, "s-1", eventstore.NoStream, ev)
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("second append: got %v, want a version conflict", err)
	}
	parent.End()

	n := 0
	for e, err := range st.ReadStream(ctx, "s-1", eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		want := parent.SpanContext().TraceID().String()
		if tp := e.Metadata.TraceParent; len(tp) < 35 || tp[3:35] != want {
			t.Errorf("event %d traceparent = %q, want trace ID %s", e.Version, tp, want)
		}
	}
	if n != 2 {
		t.Fatalf("read %d events, want 2", n)
	}

	names := map[string]int{}
	for _, s := range spans.Ended() {
		names[s.Name()]++
	}
	if names["eventstore.append"] != 2 || names["eventstore.read_stream"] != 1 {
		t.Errorf("spans = %v, want 2 appends and 1 read_stream", names)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range d.DataPoints {
					sums[m.Name] += p.Value
				}
			}
		}
	}
	for name, want := range map[string]int64{
		"esgen.eventstore.events.appended":  2,
		"esgen.eventstore.append.conflicts": 1,
		"esgen.eventstore.events.read":      2,
	} {
		if sums[name] != want {
			t.Errorf("%s = %d, want %d", name, sums[name], want)
		}
	}
}
