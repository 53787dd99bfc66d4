package projection

import (
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

const scope = "github.com/esgen/esgen/projection"

// telemetry holds the runner's instruments.
type telemetry struct {
	tracer     trace.Tracer
	applied    metric.Int64Counter
	batchDur   metric.Float64Histogram
	lag        metric.Float64Gauge
	retries    metric.Int64Counter
	deadLetter metric.Int64Counter
	fenced     metric.Int64Counter
	attrs      metric.MeasurementOption
}

func newTelemetry(c *config, projection string) (*telemetry, error) {
	mp, tp := c.mp, c.tp
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(scope)
	t := &telemetry{
		tracer: tp.Tracer(scope),
		attrs:  metric.WithAttributes(attribute.String("esgen.projection", projection)),
	}
	var errs []error
	var err error
	t.applied, err = m.Int64Counter("esgen.projection.events.applied",
		metric.WithUnit("{event}"), metric.WithDescription("Events applied by the projection's handler and committed with its checkpoint."))
	errs = append(errs, err)
	t.batchDur, err = m.Float64Histogram("esgen.projection.batch.duration",
		metric.WithUnit("s"), metric.WithDescription("Time to apply and commit one batch of events."))
	errs = append(errs, err)
	t.lag, err = m.Float64Gauge("esgen.projection.lag",
		metric.WithUnit("s"), metric.WithDescription("Age of the last event committed by the projection when it was committed."))
	errs = append(errs, err)
	t.retries, err = m.Int64Counter("esgen.projection.retries",
		metric.WithUnit("{attempt}"), metric.WithDescription("Handler calls that failed and will be retried."))
	errs = append(errs, err)
	t.deadLetter, err = m.Int64Counter("esgen.projection.dead_letters",
		metric.WithUnit("{event}"), metric.WithDescription("Events parked as dead letters after their last retry."))
	errs = append(errs, err)
	t.fenced, err = m.Int64Counter("esgen.projection.fenced",
		metric.WithUnit("{batch}"), metric.WithDescription("Batches rolled back because the lease was lost or the checkpoint moved."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}
