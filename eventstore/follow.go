package eventstore

import (
	"context"
	"iter"
	"sync"
	"time"
)

// Signal is a broadcast wake-up: every waiter on the channel returned by [Signal.C] is woken
// by the next [Signal.Notify]. The zero value is ready to use. Backends use it to wake
// subscribers after a commit.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel that is closed by the next Notify. Take it before looking for new
// events, so a commit between the look and the wait is not missed.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Notify wakes every current waiter.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Follow implements [LogReader.Subscribe] on top of a ReadAll-style function: it reads
// everything after opts.After, then waits for wake (or opts.PollInterval) and reads again,
// until ctx is done, when it yields ctx's error. wake may be nil for pure polling. Only one
// page is held at a time, so memory is bounded whatever the consumer's speed.
func Follow(ctx context.Context, opts ReadAllOptions, wake func() <-chan struct{}, readAll func(ctx context.Context, opts ReadAllOptions) iter.Seq2[Event, error]) iter.Seq2[Event, error] {
	return FollowHead(ctx, opts, wake, readAll, nil)
}

// FollowHead is [Follow] for a store that can report its head (its [LogReader.Head]). For a
// filtered subscription (Types or StreamPrefix set) it reads the head before each pass and,
// when the pass has read to the end, moves its checkpoint there, past the events that did
// not match: a subscription whose events are rare then reads each unmatched event once,
// instead of again on every wake-up. head must never report a position that ReadAll could
// not yet return, or events before it would be skipped. A nil head is plain Follow.
func FollowHead(ctx context.Context, opts ReadAllOptions, wake func() <-chan struct{}, readAll func(ctx context.Context, opts ReadAllOptions) iter.Seq2[Event, error], head func(ctx context.Context) (Position, error)) iter.Seq2[Event, error] {
	if len(opts.Types) == 0 && opts.StreamPrefix == "" {
		head = nil
	}
	return func(yield func(Event, error) bool) {
		poll := opts.PollInterval
		if poll <= 0 {
			poll = DefaultPollInterval
		}
		opts.Limit = 0
		timer := time.NewTimer(poll)
		defer timer.Stop()
		for {
			var woke <-chan struct{}
			if wake != nil {
				woke = wake()
			}
			// Everything up to h is visible now, so the pass below reads past it.
			var h Position
			if head != nil {
				if p, err := head(ctx); err == nil {
					h = p
				}
			}
			got := 0
			for e, err := range readAll(ctx, opts) {
				if err != nil {
					if ctx.Err() != nil {
						err = ctx.Err()
					}
					yield(Event{}, err)
					return
				}
				if !yield(e, nil) {
					return
				}
				opts.After = e.Position
				got++
			}
			if opts.After.Less(h) {
				opts.After = h
			}
			if got > 0 {
				continue
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(poll)
			select {
			case <-ctx.Done():
				yield(Event{}, ctx.Err())
				return
			case <-woke:
			case <-timer.C:
			}
		}
	}
}
