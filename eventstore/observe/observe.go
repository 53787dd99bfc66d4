package observe

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/esgen/esgen/eventstore"
)

const scope = "github.com/esgen/esgen/eventstore/observe"

// Option configures [Wrap].
type Option func(*config)

type config struct {
	tp      trace.TracerProvider
	mp      metric.MeterProvider
	log     *slog.Logger
	backend string
}

// WithTracerProvider sets the tracer provider (default: otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the meter provider (default: otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithLogger sets the logger for failures (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithBackend names the backend in telemetry attributes (db.system), e.g. "postgresql".
func WithBackend(name string) Option { return func(c *config) { c.backend = name } }

// Store is an instrumented eventstore.Store.
type Store struct {
	eventstore.Store
	tracer trace.Tracer
	log    *slog.Logger

	appendDur   metric.Float64Histogram
	appended    metric.Int64Counter
	readEvents  metric.Int64Counter
	conflicts   metric.Int64Counter
	duplicates  metric.Int64Counter
	failures    metric.Int64Counter
	propagator  propagation.TraceContext
	backendAttr attribute.KeyValue
}

// Wrap instruments s. The returned Store forwards every call to s.
func Wrap(s eventstore.Store, opts ...Option) (*Store, error) {
	c := config{backend: "esgen"}
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	m := c.mp.Meter(scope)
	w := &Store{
		Store:       s,
		tracer:      c.tp.Tracer(scope),
		log:         c.log,
		backendAttr: attribute.String("db.system", c.backend),
	}
	var err error
	mk := func(e error) {
		if err == nil {
			err = e
		}
	}
	var e error
	w.appendDur, e = m.Float64Histogram("esgen.eventstore.append.duration",
		metric.WithUnit("s"), metric.WithDescription("Time to append one batch of events, including conflicts and failures."))
	mk(e)
	w.appended, e = m.Int64Counter("esgen.eventstore.events.appended",
		metric.WithUnit("{event}"), metric.WithDescription("Events committed by appends (retried duplicates excluded)."))
	mk(e)
	w.readEvents, e = m.Int64Counter("esgen.eventstore.events.read",
		metric.WithUnit("{event}"), metric.WithDescription("Events returned by stream and log reads and subscriptions."))
	mk(e)
	w.conflicts, e = m.Int64Counter("esgen.eventstore.append.conflicts",
		metric.WithUnit("{append}"), metric.WithDescription("Appends rejected by the expected-version check."))
	mk(e)
	w.duplicates, e = m.Int64Counter("esgen.eventstore.append.duplicates",
		metric.WithUnit("{append}"), metric.WithDescription("Appends recognised as retries of committed appends and answered without writing."))
	mk(e)
	w.failures, e = m.Int64Counter("esgen.eventstore.failures",
		metric.WithUnit("{call}"), metric.WithDescription("Store calls that failed for another reason than a version conflict."))
	mk(e)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Unwrap returns the instrumented store.
func (w *Store) Unwrap() eventstore.Store { return w.Store }

// Append implements eventstore.Appender.
func (w *Store) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	ctx, span := w.tracer.Start(ctx, "eventstore.append", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(w.backendAttr, attribute.String("esgen.stream_id", streamID),
			attribute.String("esgen.expected_version", expected.String()), attribute.Int("esgen.events", len(events))))
	defer span.End()

	if sc := span.SpanContext(); sc.IsValid() {
		carrier := propagation.MapCarrier{}
		w.propagator.Inject(ctx, carrier)
		var withTrace []eventstore.EventData
		for i := range events {
			if events[i].Metadata.TraceParent != "" {
				continue
			}
			if withTrace == nil {
				withTrace = append([]eventstore.EventData(nil), events...)
			}
			withTrace[i].Metadata.TraceParent = carrier.Get("traceparent")
			withTrace[i].Metadata.TraceState = carrier.Get("tracestate")
		}
		if withTrace != nil {
			events = withTrace
		}
	}

	start := time.Now()
	res, err := w.Store.Append(ctx, streamID, expected, events...)
	outcome := "ok"
	switch {
	case err == nil && res.Duplicate:
		outcome = "duplicate"
		w.duplicates.Add(ctx, 1, metric.WithAttributes(w.backendAttr))
	case err == nil:
		w.appended.Add(ctx, int64(len(events)), metric.WithAttributes(w.backendAttr))
		span.SetAttributes(attribute.Int64("esgen.last_version", int64(res.LastVersion)))
	case errors.Is(err, eventstore.ErrWrongExpectedVersion):
		outcome = "conflict"
		w.conflicts.Add(ctx, 1, metric.WithAttributes(w.backendAttr))
		span.SetStatus(codes.Error, "wrong expected version")
	default:
		outcome = "error"
		w.fail(ctx, span, "append", err, slog.String("stream_id", streamID))
	}
	w.appendDur.Record(ctx, time.Since(start).Seconds(),
		metric.WithAttributes(w.backendAttr, attribute.String("outcome", outcome)))
	return res, err
}

// ReadStream implements eventstore.StreamReader.
func (w *Store) ReadStream(ctx context.Context, streamID string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return w.counted(ctx, "eventstore.read_stream", []attribute.KeyValue{attribute.String("esgen.stream_id", streamID)},
		func(ctx context.Context) iter.Seq2[eventstore.Event, error] {
			return w.Store.ReadStream(ctx, streamID, opts)
		})
}

// ReadAll implements eventstore.LogReader.
func (w *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return w.counted(ctx, "eventstore.read_all", []attribute.KeyValue{attribute.String("esgen.after", opts.After.String())},
		func(ctx context.Context) iter.Seq2[eventstore.Event, error] { return w.Store.ReadAll(ctx, opts) })
}

// Subscribe implements eventstore.LogReader. A subscription is long-lived, so it gets no
// span; events it delivers are counted.
func (w *Store) Subscribe(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for e, err := range w.Store.Subscribe(ctx, opts) {
			if err == nil {
				w.readEvents.Add(ctx, 1, metric.WithAttributes(w.backendAttr, attribute.String("op", "subscribe")))
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// Delete implements eventstore.Store.
func (w *Store) Delete(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return w.simple(ctx, "eventstore.delete", streamID, func(ctx context.Context) error { return w.Store.Delete(ctx, streamID, expected) })
}

// Tombstone implements eventstore.Store.
func (w *Store) Tombstone(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return w.simple(ctx, "eventstore.tombstone", streamID, func(ctx context.Context) error { return w.Store.Tombstone(ctx, streamID, expected) })
}

func (w *Store) simple(ctx context.Context, name, streamID string, f func(context.Context) error) error {
	ctx, span := w.tracer.Start(ctx, name, trace.WithAttributes(w.backendAttr, attribute.String("esgen.stream_id", streamID)))
	defer span.End()
	err := f(ctx)
	if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion) && !errors.Is(err, eventstore.ErrStreamNotFound) {
		w.fail(ctx, span, name, err, slog.String("stream_id", streamID))
	}
	return err
}

func (w *Store) counted(ctx context.Context, name string, attrs []attribute.KeyValue, read func(context.Context) iter.Seq2[eventstore.Event, error]) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		ctx, span := w.tracer.Start(ctx, name, trace.WithAttributes(append(attrs, w.backendAttr)...))
		defer span.End()
		n := int64(0)
		defer func() {
			span.SetAttributes(attribute.Int64("esgen.events", n))
			w.readEvents.Add(ctx, n, metric.WithAttributes(w.backendAttr, attribute.String("op", name)))
		}()
		for e, err := range read(ctx) {
			if err != nil {
				if !errors.Is(err, eventstore.ErrStreamNotFound) {
					w.fail(ctx, span, name, err)
				}
				yield(e, err)
				return
			}
			n++
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (w *Store) fail(ctx context.Context, span trace.Span, op string, err error, attrs ...slog.Attr) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	w.failures.Add(ctx, 1, metric.WithAttributes(w.backendAttr, attribute.String("op", op)))
	if errors.Is(err, context.Canceled) {
		return
	}
	w.log.LogAttrs(ctx, slog.LevelWarn, "eventstore call failed", append(attrs, slog.String("op", op), slog.Any("error", err))...)
}
