package projection

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// FailurePolicy says what the runner does with an event whose handler still fails after the
// last retry.
type FailurePolicy uint8

// Failure policies.
const (
	// Park stores the event as a dead letter, advances the checkpoint past it in the same
	// transaction and goes on with the next event. The default.
	Park FailurePolicy = iota
	// Halt stops the runner: [Runner.Run] returns a [*HaltedError] and the checkpoint stays
	// before the event.
	Halt
)

// String names the policy.
func (p FailurePolicy) String() string {
	if p == Halt {
		return "halt"
	}
	return "park"
}

// Retry is the retry schedule of a failing handler: the handler is called at most
// MaxAttempts times for one event, waiting between attempts an exponentially growing delay
// (InitialBackoff, doubled each time, capped at MaxBackoff) of which a random half is jitter.
type Retry struct {
	// MaxAttempts is the number of handler calls before the failure policy applies (>= 1).
	MaxAttempts int
	// InitialBackoff is the delay after the first failure.
	InitialBackoff time.Duration
	// MaxBackoff caps the delay.
	MaxBackoff time.Duration
}

// Defaults of a [Runner].
const (
	// DefaultBatchSize is the most events applied per transaction.
	DefaultBatchSize = 500
	// DefaultMaxBatchDuration bounds how long a transaction applies events.
	DefaultMaxBatchDuration = time.Second
	// DefaultLeaseTTL is the lease time.
	DefaultLeaseTTL = 15 * time.Second
	// DefaultMaxAttempts is how many times a failing handler is called for one event.
	DefaultMaxAttempts = 5
	// DefaultInitialBackoff is the wait after a handler's first failure.
	DefaultInitialBackoff = 100 * time.Millisecond
	// DefaultMaxBackoff caps the wait between attempts.
	DefaultMaxBackoff = 10 * time.Second
	// DefaultStatusScanLimit caps the pending events Status counts.
	DefaultStatusScanLimit = 100_000
)

type config struct {
	batchSize     int
	maxBatchDur   time.Duration
	leaseTTL      time.Duration
	owner         string
	retry         Retry
	policy        FailurePolicy
	log           *slog.Logger
	mp            metric.MeterProvider
	tp            trace.TracerProvider
	pageSize      int
	pollInterval  time.Duration
	statusScanMax int
	progress      func(Progress)
}

func defaultConfig() config {
	return config{
		batchSize:   DefaultBatchSize,
		maxBatchDur: DefaultMaxBatchDuration,
		leaseTTL:    DefaultLeaseTTL,
		retry: Retry{
			MaxAttempts:    DefaultMaxAttempts,
			InitialBackoff: DefaultInitialBackoff,
			MaxBackoff:     DefaultMaxBackoff,
		},
		statusScanMax: DefaultStatusScanLimit,
	}
}

func (c *config) validate() error {
	switch {
	case c.batchSize < 1:
		return fmt.Errorf("%w: batch size is %d, want at least 1", ErrInvalidConfig, c.batchSize)
	case c.maxBatchDur <= 0:
		return fmt.Errorf("%w: max batch duration is %s, want a positive duration", ErrInvalidConfig, c.maxBatchDur)
	case c.leaseTTL < 10*time.Millisecond:
		return fmt.Errorf("%w: lease TTL is %s, want at least 10ms (seconds in production)", ErrInvalidConfig, c.leaseTTL)
	case c.retry.MaxAttempts < 1:
		return fmt.Errorf("%w: retry max attempts is %d, want at least 1", ErrInvalidConfig, c.retry.MaxAttempts)
	case c.retry.InitialBackoff < 0 || c.retry.MaxBackoff < c.retry.InitialBackoff:
		return fmt.Errorf("%w: retry backoff %s..%s, want 0 <= initial <= max", ErrInvalidConfig, c.retry.InitialBackoff, c.retry.MaxBackoff)
	case c.owner == "":
		return fmt.Errorf("%w: owner is empty; name the instance with WithOwner or leave the option out", ErrInvalidConfig)
	}
	return nil
}

// Option configures a [Runner].
type Option func(*config)

// WithBatchSize sets how many events are applied per transaction at most (default 500).
func WithBatchSize(n int) Option { return func(c *config) { c.batchSize = n } }

// WithMaxBatchDuration bounds how long one transaction stays open applying events (default
// 1s): when it is exceeded the runner commits what it applied and opens the next one. Short
// transactions matter on PostgreSQL, where an open transaction holds back every log reader.
func WithMaxBatchDuration(d time.Duration) Option { return func(c *config) { c.maxBatchDur = d } }

// WithLeaseTTL sets the lease time (default 15s). The holder renews it every third of it; when
// a holder dies, another instance takes over within TTL plus a quarter of it.
func WithLeaseTTL(d time.Duration) Option { return func(c *config) { c.leaseTTL = d } }

// WithOwner names this instance in leases (default host name, process ID and a random
// suffix). Give every instance its own name.
func WithOwner(owner string) Option { return func(c *config) { c.owner = owner } }

// WithRetry sets the retry schedule of failing handlers.
func WithRetry(r Retry) Option { return func(c *config) { c.retry = r } }

// WithFailurePolicy sets what happens after the last retry (default [Park]).
func WithFailurePolicy(p FailurePolicy) Option { return func(c *config) { c.policy = p } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithMeterProvider sets the OpenTelemetry meter provider (default otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithTracerProvider sets the OpenTelemetry tracer provider (default otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithPageSize sets how many events are read from the store per round trip (default the
// store's).
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithPollInterval bounds how long a live runner waits for a wake-up before polling the store
// (default the store's).
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.pollInterval = d } }

// WithStatusScanLimit caps how many pending events [Runner.Status] counts to compute the lag
// (default 100,000); beyond it the lag is reported as at least the cap.
func WithStatusScanLimit(n int) Option { return func(c *config) { c.statusScanMax = n } }

// WithProgress calls fn after every committed batch of the live runner (rebuilds take their
// own callback in [RebuildOptions]).
func WithProgress(fn func(Progress)) Option { return func(c *config) { c.progress = fn } }

// defaultOwner names this process.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
