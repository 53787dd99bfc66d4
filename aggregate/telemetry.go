package aggregate

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

const scope = "github.com/esgen/esgen/aggregate"

// telemetry holds a repository's OpenTelemetry instruments. A failure to create an
// instrument leaves the no-op one in its place: telemetry never stops the repository.
type telemetry struct {
	tracer     trace.Tracer
	typeAttr   attribute.KeyValue
	loadDur    metric.Float64Histogram
	loaded     metric.Int64Counter
	saveDur    metric.Float64Histogram
	saved      metric.Int64Counter
	conflicts  metric.Int64Counter
	repeated   metric.Int64Counter
	fallbacks  metric.Int64Counter
	snapshots  metric.Int64Counter
	snapFailed metric.Int64Counter
}

func newTelemetry(typeName string, tp trace.TracerProvider, mp metric.MeterProvider) telemetry {
	m := mp.Meter(scope)
	t := telemetry{tracer: tp.Tracer(scope), typeAttr: attribute.String("esgen.aggregate.type", typeName)}
	t.loadDur, _ = m.Float64Histogram("esgen.aggregate.load.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to load an aggregate (snapshot read plus stream replay)."))
	t.loaded, _ = m.Int64Counter("esgen.aggregate.load.events", metric.WithUnit("{event}"),
		metric.WithDescription("Events replayed while loading aggregates."))
	t.saveDur, _ = m.Float64Histogram("esgen.aggregate.save.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to append an aggregate's recorded events."))
	t.saved, _ = m.Int64Counter("esgen.aggregate.save.events", metric.WithUnit("{event}"),
		metric.WithDescription("Events saved by aggregate repositories."))
	t.conflicts, _ = m.Int64Counter("esgen.aggregate.conflicts", metric.WithUnit("{conflict}"),
		metric.WithDescription("Version conflicts met by Update (each one is retried or returned)."))
	t.repeated, _ = m.Int64Counter("esgen.aggregate.commands.repeated", metric.WithUnit("{command}"),
		metric.WithDescription("Commands recognised as already applied (idempotent retries)."))
	t.fallbacks, _ = m.Int64Counter("esgen.aggregate.snapshot.fallbacks", metric.WithUnit("{load}"),
		metric.WithDescription("Loads that could not use a snapshot and replayed the stream."))
	t.snapshots, _ = m.Int64Counter("esgen.aggregate.snapshot.writes", metric.WithUnit("{snapshot}"),
		metric.WithDescription("Snapshots written after saves."))
	t.snapFailed, _ = m.Int64Counter("esgen.aggregate.snapshot.failures", metric.WithUnit("{snapshot}"),
		metric.WithDescription("Snapshots that could not be taken or written (the saves succeeded)."))
	return t
}

func (t *telemetry) start(ctx context.Context, name, aggID, streamID string) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
		t.typeAttr, attribute.String("esgen.aggregate.id", aggID), attribute.String("esgen.stream.id", streamID)))
}

func (t *telemetry) add(ctx context.Context, c metric.Int64Counter, n int64, attrs ...attribute.KeyValue) {
	if c == nil {
		return
	}
	c.Add(ctx, n, metric.WithAttributes(append(attrs, t.typeAttr)...))
}

func (t *telemetry) since(ctx context.Context, h metric.Float64Histogram, start time.Time, attrs ...attribute.KeyValue) {
	if h == nil {
		return
	}
	h.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(append(attrs, t.typeAttr)...))
}

// end finishes span, recording err as its status.
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
