package aggregate

import (
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures a [Repository].
type Option func(*config)

type config struct {
	snapshots    SnapshotStore
	policy       SnapshotPolicy
	snapshotType string
	retry        RetryPolicy
	log          *slog.Logger
	tp           trace.TracerProvider
	mp           metric.MeterProvider
}

// RetryPolicy bounds how [Repository.Update] retries a decision after a concurrent writer
// changed the aggregate (a version conflict). Attempt n (from 1) that conflicts waits a
// random duration between 0 and min(MaxBackoff, InitialBackoff·2^(n-1)) ("full jitter")
// before reloading and deciding again.
type RetryPolicy struct {
	// MaxAttempts is how many times the decision runs at most; 1 disables retries.
	MaxAttempts int
	// InitialBackoff is the upper bound of the first wait.
	InitialBackoff time.Duration
	// MaxBackoff caps every wait.
	MaxBackoff time.Duration
}

// DefaultRetryPolicy is used unless [WithRetry] gives another: 10 attempts, waits bounded
// by 2ms, 4ms, 8ms, ... up to 500ms.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, InitialBackoff: 2 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
}

// Validate reports what is wrong with p.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("retry policy: MaxAttempts is %d; it must be at least 1 (1 disables retries)", p.MaxAttempts)
	case p.InitialBackoff < 0 || p.MaxBackoff < 0:
		return fmt.Errorf("retry policy: negative backoff (initial %v, max %v)", p.InitialBackoff, p.MaxBackoff)
	case p.MaxBackoff < p.InitialBackoff:
		return fmt.Errorf("retry policy: MaxBackoff %v is below InitialBackoff %v", p.MaxBackoff, p.InitialBackoff)
	}
	return nil
}

// backoffCap returns the upper bound of the wait after the given failed attempt (from 1).
func (p RetryPolicy) backoffCap(attempt int) time.Duration {
	d := p.InitialBackoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.MaxBackoff)
}

// WithSnapshots makes the repository load aggregates from their latest snapshot in store
// and take a new snapshot after every save for which policy returns true (see
// [EveryNEvents]). The aggregate type must implement [Snapshotter]. Snapshots are written
// after the save has committed, never inside it: a snapshot that cannot be written is
// logged and the save still succeeds.
func WithSnapshots(store SnapshotStore, policy SnapshotPolicy) Option {
	return func(c *config) { c.snapshots, c.policy = store, policy }
}

// WithSnapshotType names the repository's snapshots (default: the aggregate type's Name).
// Use it when two repositories of one aggregate type keep different snapshots.
func WithSnapshotType(name string) Option { return func(c *config) { c.snapshotType = name } }

// WithRetry sets how [Repository.Update] retries on version conflicts (default:
// [DefaultRetryPolicy]).
func WithRetry(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// WithLogger sets the logger (default: slog.Default()). The repository logs snapshot
// fallbacks and failures at Warn, conflicts and retried commands at Debug and Info.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithTracerProvider sets the OpenTelemetry tracer provider (default:
// otel.GetTracerProvider(), a no-op until an SDK is installed).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the OpenTelemetry meter provider (default: otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }
