package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/esgen/esgen/eventstore"
)

// Runner applies the global log of a store to one projection: it holds the projection's lease,
// reads from its checkpoint (catch-up, then live), hands the events of its types in log order
// to the handler, and commits the handler's writes together with a compare-and-set checkpoint
// update, in batches bounded by count and time. See the package documentation.
//
// Several instances may run the same projection: the lease lets one apply at a time, and a
// former holder's late commit fails its epoch check. A Runner is safe for concurrent use; Run
// may be called once at a time.
type Runner[Tx any] struct {
	log    eventstore.LogReader
	target Target[Tx]
	h      Handler[Tx]
	name   string
	types  []string
	cfg    config
	tel    *telemetry
	logger *slog.Logger

	running sync.Mutex
}

// NewRunner returns a runner of h over the log of log, keeping its state in target.
func NewRunner[Tx any](log eventstore.LogReader, target Target[Tx], h Handler[Tx], opts ...Option) (*Runner[Tx], error) {
	if log == nil || target == nil || h == nil {
		return nil, fmt.Errorf("%w: NewRunner needs a log reader, a target and a handler, got nil", ErrInvalidConfig)
	}
	name := h.Name()
	if name == "" {
		return nil, fmt.Errorf("%w: the handler's Name is empty; a projection needs a name, the key of its checkpoint", ErrInvalidConfig)
	}
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	if c.owner == "" {
		c.owner = defaultOwner()
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	tel, err := newTelemetry(&c, name)
	if err != nil {
		return nil, fmt.Errorf("projection %s: create instruments: %w", name, err)
	}
	return &Runner[Tx]{
		log:    log,
		target: target,
		h:      h,
		name:   name,
		types:  slices.Clone(h.EventTypes()),
		cfg:    c,
		tel:    tel,
		logger: c.log.With("projection", name, "owner", c.owner),
	}, nil
}

// Name returns the projection's name.
func (r *Runner[Tx]) Name() string { return r.name }

// Owner returns the name this runner holds leases under.
func (r *Runner[Tx]) Owner() string { return r.cfg.owner }

// Run applies events until ctx is done, then releases its lease and returns nil. It waits for
// the lease while another instance holds it, resumes from the checkpoint after every failure
// of the target or store (retrying with backoff), and returns early only with a
// [*HaltedError] under the [Halt] policy or with an error of configuration.
func (r *Runner[Tx]) Run(ctx context.Context) error {
	if !r.running.TryLock() {
		return fmt.Errorf("%w: Run is already running on this runner; create another runner for another instance", ErrInvalidConfig)
	}
	defer r.running.Unlock()
	failures := 0
	for {
		lease, err := r.acquire(ctx, r.name)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		r.logger.Info("projection lease acquired", "epoch", lease.Epoch)
		err = r.runLeased(ctx, lease)
		if ctx.Err() != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if rerr := r.target.Release(rctx, lease); rerr != nil {
				r.logger.Warn("projection lease release failed", "error", rerr)
			}
			cancel()
			return nil
		}
		switch {
		case errors.Is(err, ErrHalted):
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = r.target.Release(rctx, lease)
			cancel()
			return err
		case errors.Is(err, ErrFenced), errors.Is(err, ErrLeaseLost):
			r.logger.Warn("projection lease lost; waiting to claim it again", "epoch", lease.Epoch, "error", err)
			failures = 0
		default:
			failures++
			r.logger.Error("projection runner failed; retrying", "error", err, "failures", failures)
			if !sleep(ctx, backoff(r.cfg.retry, failures)) {
				return nil
			}
		}
	}
}

// acquire claims the lease named key, waiting while another owner holds it.
func (r *Runner[Tx]) acquire(ctx context.Context, key string) (Lease, error) {
	failures := 0
	for {
		l, err := r.target.Claim(ctx, key, r.cfg.owner, r.cfg.leaseTTL)
		if err == nil {
			return l, nil
		}
		wait := r.cfg.leaseTTL / 4
		if !errors.Is(err, ErrLeaseHeld) {
			if ctx.Err() != nil {
				return Lease{}, ctx.Err()
			}
			failures++
			r.logger.Warn("projection lease claim failed; retrying", "error", err)
			wait = backoff(r.cfg.retry, failures)
		}
		if !sleep(ctx, jitter(wait)) {
			return Lease{}, ctx.Err()
		}
	}
}

// keepLease renews l every third of the TTL until ctx ends, and cancels with ErrLeaseLost when
// the lease is lost, or when renewals kept failing until the lease may have expired (judged
// conservatively with the local monotonic clock from before the last successful claim or
// renewal: the target's clock decides expiry, this only makes the runner stop early).
func (r *Runner[Tx]) keepLease(ctx context.Context, cancel context.CancelCauseFunc, l Lease, claimedAt time.Time) {
	ttl := r.cfg.leaseTTL
	deadline := claimedAt.Add(ttl)
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sent := time.Now()
		rctx, rcancel := context.WithDeadline(ctx, deadline)
		nl, err := r.target.Renew(rctx, l, ttl)
		rcancel()
		if err == nil {
			l = nl
			deadline = sent.Add(ttl)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrLeaseLost) || time.Now().After(deadline) {
			cancel(fmt.Errorf("%w: %w", ErrLeaseLost, err))
			return
		}
		r.logger.Warn("projection lease renewal failed; retrying", "error", err)
	}
}

// runLeased applies events while the lease is held.
func (r *Runner[Tx]) runLeased(parent context.Context, lease Lease) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.keepLease(ctx, cancel, lease, time.Now().Add(-r.cfg.leaseTTL/10))
	}()
	defer wg.Wait()
	defer cancel(nil)

	s := &session[Tx]{r: r, lease: lease, requireActive: true}
	failures := 0
	for {
		cp, err := r.target.LoadCheckpoint(ctx, r.name)
		if err == nil {
			if cp.Version != s.version {
				// A rebuild swapped versions: failures counted against the old version's
				// handler (its tables may be gone) say nothing about the new one.
				s.fail = nil
			}
			s.version = cp.Version
			if r.cfg.progress != nil {
				s.progress = newTracker(r.name, cp.Version, cp.Position, r.cfg.progress).add
			}
			err = s.follow(ctx, cp.Position)
		}
		if cause := context.Cause(ctx); cause != nil {
			if errors.Is(cause, ErrLeaseLost) {
				return cause
			}
			return ctx.Err()
		}
		switch {
		case errors.Is(err, ErrHalted), errors.Is(err, ErrFenced):
			return err
		case errors.Is(err, ErrCheckpointMoved), errors.Is(err, ErrNotActive), errors.Is(err, errReload):
			r.logger.Debug("projection reloading its checkpoint", "reason", err)
			failures = 0
		default:
			failures++
			r.logger.Error("projection batch failed; resuming from the checkpoint", "error", err, "failures", failures)
			if !sleep(ctx, backoff(r.cfg.retry, failures)) {
				return ctx.Err()
			}
		}
	}
}

// errReload makes a session reload its checkpoint and read again.
var errReload = errors.New("projection: reload the checkpoint")

// failure tracks the event whose handler last failed.
type failure struct {
	pos      eventstore.Position
	attempts int
	err      error
}

// session applies events for one projection version under one lease.
type session[Tx any] struct {
	r             *Runner[Tx]
	lease         Lease
	version       int
	requireActive bool
	fail          *failure
	splitUntil    eventstore.Position // apply one event per unit up to here (deferred write failed)
	progress      func(n int, last *eventstore.Event)
}

type item struct {
	e   eventstore.Event
	err error
}

// follow subscribes from pos and applies events until an error.
func (s *session[Tx]) follow(ctx context.Context, pos eventstore.Position) error {
	r := s.r
	pctx, pcancel := context.WithCancel(ctx)
	ch := make(chan item, 2*r.cfg.batchSize)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		opts := eventstore.ReadAllOptions{After: pos, Types: r.types, PageSize: r.cfg.pageSize, PollInterval: r.cfg.pollInterval}
		for e, err := range r.log.Subscribe(pctx, opts) {
			select {
			case ch <- item{e, err}:
			case <-pctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		pcancel()
		for range ch {
		}
		<-done
	}()

	batch := make([]eventstore.Event, 0, r.cfg.batchSize)
	for {
		var it item
		var ok bool
		select {
		case it, ok = <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if !ok {
			return fmt.Errorf("projection %s: the store's subscription ended without an error; resuming", r.name)
		}
		if it.err != nil {
			return fmt.Errorf("projection %s: read the log after %s: %w", r.name, pos, it.err)
		}
		batch = append(batch[:0], it.e)
		var pending error
	fill:
		for len(batch) < r.cfg.batchSize {
			select {
			case it, ok = <-ch:
				if !ok {
					pending = fmt.Errorf("projection %s: the store's subscription ended without an error; resuming", r.name)
					break fill
				}
				if it.err != nil {
					pending = fmt.Errorf("projection %s: read the log: %w", r.name, it.err)
					break fill
				}
				batch = append(batch, it.e)
			default:
				break fill
			}
		}
		var err error
		pos, err = s.apply(ctx, pos, batch)
		if err != nil {
			return err
		}
		if pending != nil {
			return pending
		}
	}
}

// apply applies events (read after from) and returns the new checkpoint.
func (s *session[Tx]) apply(ctx context.Context, from eventstore.Position, events []eventstore.Event) (eventstore.Position, error) {
	r := s.r
	hctx := WithVersion(ctx, s.version)
	for len(events) > 0 {
		if err := context.Cause(ctx); err != nil {
			return from, err
		}
		n := len(events)
		if f := s.fail; f != nil {
			idx := slices.IndexFunc(events, func(e eventstore.Event) bool { return e.Position == f.pos })
			switch {
			case idx == 0 && f.attempts >= r.cfg.retry.MaxAttempts:
				if err := s.giveUp(ctx, from, &events[0]); err != nil {
					return from, err
				}
				from = events[0].Position
				events = events[1:]
				continue
			case idx == 0:
				n = 1
			case idx > 0:
				n = idx
			}
		}
		if !s.splitUntil.IsZero() {
			if s.splitUntil.Less(events[0].Position) {
				s.splitUntil = eventstore.Position{}
			} else {
				n = 1
			}
		}
		start := time.Now()
		spanCtx, span := r.tel.tracer.Start(hctx, "projection.batch", trace.WithAttributes(
			attribute.String("esgen.projection", r.name), attribute.Int("esgen.projection.version", s.version)))
		unit, err := r.target.Begin(spanCtx)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
			span.End()
			return from, fmt.Errorf("projection %s: begin: %w", r.name, err)
		}
		applied := 0
		var herr error
		for applied < n {
			e := &events[applied]
			if err := r.h.Handle(spanCtx, unit.Tx(), e); err != nil {
				herr = err
				break
			}
			applied++
			if time.Since(start) > r.cfg.maxBatchDur {
				break
			}
		}
		if herr != nil {
			_ = unit.Rollback(context.WithoutCancel(ctx))
			span.SetStatus(codes.Error, herr.Error())
			span.End()
			if cerr := context.Cause(ctx); cerr != nil {
				return from, cerr // stopped or lost the lease: not the event's fault
			}
			if transient(r.target, herr) {
				return from, fmt.Errorf("projection %s: transient failure applying event %s: %w", r.name, events[applied].ID, herr)
			}
			if err := s.handlerFailed(ctx, &events[applied], herr, applied == 0); err != nil {
				return from, err
			}
			continue
		}
		to := events[applied-1].Position
		err = unit.Advance(spanCtx, Advance{Projection: r.name, Version: s.version, From: from, To: to,
			Lease: s.lease, RequireActive: s.requireActive, Events: applied})
		if err == nil {
			err = unit.Commit(spanCtx)
		}
		if err != nil && errors.Is(err, ErrDeferredWrite) && !transient(r.target, err) {
			// A queued write of one of these events failed: find which, one event per unit.
			_ = unit.Rollback(context.WithoutCancel(ctx))
			span.SetStatus(codes.Error, err.Error())
			span.End()
			if applied == 1 {
				if err := s.handlerFailed(ctx, &events[0], err, true); err != nil {
					return from, err
				}
			} else {
				s.splitUntil = to
			}
			continue
		}
		if err != nil {
			_ = unit.Rollback(context.WithoutCancel(ctx))
			span.SetStatus(codes.Error, err.Error())
			span.End()
			if errors.Is(err, ErrFenced) || errors.Is(err, ErrCheckpointMoved) || errors.Is(err, ErrNotActive) {
				r.tel.fenced.Add(ctx, 1, r.tel.attrs)
			}
			return from, fmt.Errorf("projection %s: commit up to %s: %w", r.name, to, err)
		}
		span.SetAttributes(attribute.Int("esgen.projection.events", applied))
		span.End()
		if s.fail != nil && !to.Less(s.fail.pos) {
			s.fail = nil
		}
		last := &events[applied-1]
		r.tel.applied.Add(ctx, int64(applied), r.tel.attrs)
		r.tel.batchDur.Record(ctx, time.Since(start).Seconds(), r.tel.attrs)
		if !last.RecordedAt.IsZero() {
			r.tel.lag.Record(ctx, time.Since(last.RecordedAt).Seconds(), r.tel.attrs)
		}
		if s.progress != nil {
			s.progress(applied, last)
		}
		from = to
		events = events[applied:]
	}
	return from, nil
}

// handlerFailed records a failed handler call for e; when e was the first event of its unit
// and has attempts left, it waits the backoff before the retry.
func (s *session[Tx]) handlerFailed(ctx context.Context, e *eventstore.Event, herr error, first bool) error {
	r := s.r
	s.noteFailure(e, herr)
	if s.fail.attempts >= r.cfg.retry.MaxAttempts {
		return nil
	}
	r.tel.retries.Add(ctx, 1, r.tel.attrs)
	r.logger.Warn("projection handler failed; retrying", "event_id", e.ID, "position", e.Position,
		"type", e.Type, "attempt", s.fail.attempts, "error", herr)
	if !first {
		return nil // the events before it are committed first, then it is retried alone
	}
	if !sleep(ctx, backoff(r.cfg.retry, s.fail.attempts)) {
		return context.Cause(ctx)
	}
	return nil
}

// noteFailure counts a failed handler call for e.
func (s *session[Tx]) noteFailure(e *eventstore.Event, err error) {
	if s.fail != nil && s.fail.pos == e.Position {
		s.fail.attempts++
		s.fail.err = err
		return
	}
	s.fail = &failure{pos: e.Position, attempts: 1, err: err}
}

// giveUp applies the failure policy to e, whose handler failed its last attempt.
func (s *session[Tx]) giveUp(ctx context.Context, from eventstore.Position, e *eventstore.Event) error {
	r := s.r
	herr := &HandlerError{Projection: r.name, Event: e, Attempts: s.fail.attempts, Err: s.fail.err}
	if r.cfg.policy == Halt {
		r.logger.Error("projection halted on a failing event", "event_id", e.ID, "position", e.Position, "error", herr)
		return &HaltedError{Failure: herr}
	}
	unit, err := r.target.Begin(ctx)
	if err != nil {
		return fmt.Errorf("projection %s: begin parking: %w", r.name, err)
	}
	err = unit.Park(ctx, DeadLetter{Projection: r.name, Version: s.version, Event: *e, Error: s.fail.err.Error(), Attempts: s.fail.attempts})
	if err == nil {
		err = unit.Advance(ctx, Advance{Projection: r.name, Version: s.version, From: from, To: e.Position,
			Lease: s.lease, RequireActive: s.requireActive})
	}
	if err == nil {
		err = unit.Commit(ctx)
	}
	if err != nil {
		_ = unit.Rollback(context.WithoutCancel(ctx))
		return fmt.Errorf("projection %s: park event %s: %w", r.name, e.ID, err)
	}
	s.fail = nil
	r.tel.deadLetter.Add(ctx, 1, r.tel.attrs)
	r.logger.Error("projection parked a failing event as a dead letter", "event_id", e.ID, "position", e.Position,
		"stream", e.StreamID, "type", e.Type, "attempts", herr.Attempts, "error", herr.Err)
	if s.progress != nil {
		s.progress(0, e)
	}
	return nil
}

// backoff returns the delay before retry number n (from 1) of r, with jitter.
func backoff(r Retry, n int) time.Duration {
	d := r.InitialBackoff
	for i := 1; i < n && d < r.MaxBackoff; i++ {
		d *= 2
	}
	if d > r.MaxBackoff {
		d = r.MaxBackoff
	}
	return jitter(d)
}

// jitter returns a random duration between d/2 and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}

// sleep waits for d or until ctx is done, reporting whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
