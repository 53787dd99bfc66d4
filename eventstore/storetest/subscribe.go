package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

// item is one value a subscription yielded.
type item struct {
	e   eventstore.Event
	err error
}

// subscriber runs a subscription in a goroutine and hands its values over a channel.
type subscriber struct {
	s      *suite
	items  chan item
	cancel context.CancelFunc
	quit   chan struct{} // closed when the test no longer receives
	done   chan struct{}
}

func (s *suite) subscribe(t *testing.T, ctx context.Context, st eventstore.Store, opts eventstore.ReadAllOptions) *subscriber {
	t.Helper()
	if opts.PollInterval == 0 {
		opts.PollInterval = s.cfg.pollInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	sub := &subscriber{s: s, items: make(chan item), cancel: cancel, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sub.done)
		defer close(sub.items)
		for e, err := range st.Subscribe(ctx, opts) {
			select {
			case sub.items <- item{e, err}:
			case <-sub.quit:
				// Nobody listens any more; the context is cancelled, so the iterator ends soon.
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		close(sub.quit)
		<-sub.done
	})
	return sub
}

// next waits for the next value, failing t after the suite's timeout.
func (sub *subscriber) next(t *testing.T) (item, bool) {
	t.Helper()
	timer := time.NewTimer(sub.s.cfg.timeout)
	defer timer.Stop()
	select {
	case it, ok := <-sub.items:
		return it, ok
	case <-timer.C:
		t.Fatalf("subscription: nothing arrived within %v", sub.s.cfg.timeout)
		return item{}, false
	}
}

// take receives n events, failing t on an error or the end of the subscription.
func (sub *subscriber) take(t *testing.T, n int) []eventstore.Event {
	t.Helper()
	out := make([]eventstore.Event, 0, n)
	for len(out) < n {
		it, ok := sub.next(t)
		if !ok {
			t.Fatalf("subscription ended after %d of %d events", len(out), n)
		}
		if it.err != nil {
			t.Fatalf("subscription failed after %d of %d events: %v", len(out), n, it.err)
		}
		out = append(out, it.e)
	}
	return out
}

// stop cancels the subscription and checks that it ends by yielding the cancellation
// error, after any events still in flight.
func (sub *subscriber) stop(t *testing.T) []eventstore.Event {
	t.Helper()
	sub.cancel()
	var extra []eventstore.Event
	for {
		it, ok := sub.next(t)
		if !ok {
			t.Fatal("subscription ended without yielding the context's error")
		}
		if it.err != nil {
			wantIs(t, it.err, context.Canceled, "cancelled subscription")
			if _, ok := sub.next(t); ok {
				t.Error("subscription yielded a value after its error")
			}
			return extra
		}
		extra = append(extra, it.e)
	}
}

func (s *suite) testSubscribe(t *testing.T) {
	s.run(t, "catch up then follow live appends", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		var want []uuid.UUID
		for i := range 5 {
			r := mustAppend(t, ctx, st, []string{"sub-a", "sub-b"}[i%2], eventstore.Any, evs(1+i%2, "A", "x")...)
			want = append(want, r.EventIDs...)
		}
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{PageSize: 2})
		got := sub.take(t, len(want))
		if !slices.Equal(ids(got), want) {
			t.Fatalf("catch-up delivered %v, want %v", ids(got), want)
		}
		for round := range 3 {
			r := mustAppend(t, ctx, st, "sub-live", eventstore.Any, evs(round+1, "Live", "l")...)
			live := sub.take(t, len(r.EventIDs))
			if !slices.Equal(ids(live), r.EventIDs) {
				t.Fatalf("live round %d delivered %v, want %v", round, ids(live), r.EventIDs)
			}
			got = append(got, live...)
		}
		if extra := sub.stop(t); len(extra) != 0 {
			t.Errorf("subscription delivered %d unexpected events", len(extra))
		}
		if all := s.readAll(t, ctx, st, eventstore.ReadAllOptions{}); !slices.Equal(ids(got), ids(all)) {
			t.Errorf("subscription order differs from ReadAll order")
		}
	})

	s.run(t, "from a checkpoint", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "sub-c", eventstore.NoStream, evs(5, "A", "x")...)
		all := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
		if len(all) != 5 {
			t.Fatalf("ReadAll returned %d events, want 5", len(all))
		}
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{After: all[2].Position})
		got := sub.take(t, 2)
		if !slices.Equal(ids(got), ids(all[3:])) {
			t.Fatalf("subscription after %v delivered %v, want %v", all[2].Position, ids(got), ids(all[3:]))
		}
		r := mustAppend(t, ctx, st, "sub-c", eventstore.Exactly(5), ev("B", "y"))
		if got := sub.take(t, 1); got[0].ID != r.EventIDs[0] {
			t.Fatalf("live event %v, want %v", got[0].ID, r.EventIDs[0])
		}
	})

	s.run(t, "filters", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{Types: []string{"Wanted"}, StreamPrefix: "keep-"})
		var want []uuid.UUID
		for i := range 4 {
			mustAppend(t, ctx, st, "drop-1", eventstore.Any, ev("Wanted", "x"))
			mustAppend(t, ctx, st, "keep-1", eventstore.Any, ev("Unwanted", "x"))
			r := mustAppend(t, ctx, st, "keep-1", eventstore.Any, evs(i%2+1, "Wanted", "x")...)
			want = append(want, r.EventIDs...)
		}
		got := sub.take(t, len(want))
		if !slices.Equal(ids(got), want) {
			t.Fatalf("filtered subscription delivered %v, want %v", ids(got), want)
		}
		// A last matching event proves nothing else was waiting in between.
		r := mustAppend(t, ctx, st, "keep-2", eventstore.Any, ev("Wanted", "last"))
		if got := sub.take(t, 1); got[0].ID != r.EventIDs[0] {
			t.Fatalf("filtered subscription delivered %v (%s in %s), want the last event %v", got[0].ID, got[0].Type, got[0].StreamID, r.EventIDs[0])
		}
	})

	s.run(t, "from the head gets only new events", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "sub-h", eventstore.NoStream, evs(3, "Old", "x")...)
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{After: s.head(t, ctx, st)})
		r := mustAppend(t, ctx, st, "sub-h", eventstore.Exactly(3), ev("New", "y"))
		if got := sub.take(t, 1); got[0].ID != r.EventIDs[0] {
			t.Fatalf("subscription from the head delivered %v (%s), want the new event", got[0].ID, got[0].Type)
		}
	})

	s.run(t, "a stalled consumer does not block writers", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "stall-1", eventstore.NoStream, evs(3, "A", "x")...)
		// The subscriber takes one event, then stops receiving: its goroutine sits in yield.
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{PageSize: 2})
		sub.take(t, 1)
		wctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			for i := range 20 {
				if _, err := st.Append(wctx, "stall-2", eventstore.Any, evs(5, "B", "y")...); err != nil {
					done <- fmt.Errorf("append %d while a subscriber is stalled: %w", i, err)
					return
				}
			}
			done <- nil
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(s.cfg.timeout):
			t.Fatalf("appends while a subscriber is stalled in yield did not finish within %v: the subscription holds a lock while yielding", s.cfg.timeout)
		}
		got := sub.take(t, 2+100)
		if got[len(got)-1].StreamID != "stall-2" || got[len(got)-1].Version != 100 {
			t.Fatalf("after the stall the subscriber ended at %s v%d, want stall-2 v100", got[len(got)-1].StreamID, got[len(got)-1].Version)
		}
	})

	s.run(t, "cancellation ends a waiting subscription", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "sub-d", eventstore.NoStream, ev("A", "x"))
		s.settle(t, ctx, st)
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{})
		sub.take(t, 1)
		// The subscription now waits for a wake-up or its next poll; cancelling must end it.
		if extra := sub.stop(t); len(extra) != 0 {
			t.Errorf("subscription delivered %d unexpected events", len(extra))
		}
	})

	s.run(t, "cancellation ends an empty subscription", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{})
		if extra := sub.stop(t); len(extra) != 0 {
			t.Errorf("subscription on an empty store delivered %d events", len(extra))
		}
	})
}

func (s *suite) testIterators(t *testing.T) {
	// After breaking out of an iterator the store must be fully usable: no lock held, no
	// connection leaked, nothing yielded after the break (the range statement would panic).
	reads := []struct {
		name string
		read func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool)
	}{
		{"ReadStream", func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool) {
			return st.ReadStream(ctx, "it-1", eventstore.ReadStreamOptions{})
		}},
		{"ReadStream backward", func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool) {
			return st.ReadStream(ctx, "it-1", eventstore.ReadStreamOptions{Direction: eventstore.Backward})
		}},
		{"ReadAll", func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool) {
			return st.ReadAll(ctx, eventstore.ReadAllOptions{PageSize: 3})
		}},
		{"Subscribe", func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool) {
			return st.Subscribe(ctx, eventstore.ReadAllOptions{PageSize: 3, PollInterval: s.cfg.pollInterval})
		}},
	}
	for _, tc := range reads {
		s.run(t, "early break/"+tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			st := s.store(t)
			mustAppend(t, ctx, st, "it-1", eventstore.NoStream, evs(10, "A", "a")...)
			s.settle(t, ctx, st)
			// Many early breaks in a row: a leaked lock or connection would block or fail.
			for i := range 20 {
				n := 0
				for _, err := range tc.read(ctx, st) {
					if err != nil {
						t.Fatalf("round %d: %v", i, err)
					}
					n++
					if n == 1+i%4 {
						break
					}
				}
				if n != 1+i%4 {
					t.Fatalf("round %d: read %d events before breaking, want %d", i, n, 1+i%4)
				}
			}
			mustAppend(t, ctx, st, "it-1", eventstore.Exactly(10), ev("B", "b"))
			if got := readStream(t, ctx, st, "it-1", eventstore.ReadStreamOptions{}); len(got) != 11 {
				t.Fatalf("after the breaks the stream reads %d events, want 11", len(got))
			}
		})
	}
	s.testIteratorsNested(t)
}

func (s *suite) testIteratorsNested(t *testing.T) {
	// Reading and writing inside a read loop is what process managers and projections do;
	// a store that holds a lock or its only connection while yielding deadlocks here.
	for _, tc := range []struct {
		name string
		read func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool)
	}{
		{"ReadStream", func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool) {
			return st.ReadStream(ctx, "nest-1", eventstore.ReadStreamOptions{})
		}},
		{"ReadAll", func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool) {
			return st.ReadAll(ctx, eventstore.ReadAllOptions{PageSize: 2, StreamPrefix: "nest-1"})
		}},
		{"Subscribe", func(ctx context.Context, st eventstore.Store) func(func(eventstore.Event, error) bool) {
			return st.Subscribe(ctx, eventstore.ReadAllOptions{PageSize: 2, StreamPrefix: "nest-1", PollInterval: s.cfg.pollInterval})
		}},
	} {
		s.run(t, "append and read inside a read loop/"+tc.name, func(t *testing.T) {
			st := s.store(t)
			ctx, cancel := context.WithTimeout(s.ctx(t), s.cfg.timeout)
			defer cancel()
			mustAppend(t, ctx, st, "nest-1", eventstore.NoStream, evs(5, "A", "a")...)
			s.settle(t, ctx, st)
			// The loop runs in its own goroutine so that a deadlock fails the test instead of
			// hanging it.
			done := make(chan error, 1)
			go func() {
				done <- func() error {
					n := 0
					for e, err := range tc.read(ctx, st) {
						if err != nil {
							return fmt.Errorf("after %d events: %w", n, err)
						}
						n++
						if _, err := st.Append(ctx, "nest-2", eventstore.Any, ev("B", e.ID.String())); err != nil {
							return fmt.Errorf("Append inside the loop after %d events: %w", n, err)
						}
						if got, err := collect(st.ReadStream(ctx, "nest-2", eventstore.ReadStreamOptions{})); err != nil || len(got) != n {
							return fmt.Errorf("ReadStream inside the loop after %d events: %d events, %v", n, len(got), err)
						}
						if _, err := st.StreamInfo(ctx, "nest-1"); err != nil {
							return fmt.Errorf("StreamInfo inside the loop: %w", err)
						}
						if n == 5 {
							return nil
						}
					}
					return fmt.Errorf("the loop saw %d events, want 5", n)
				}()
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(s.cfg.timeout):
				t.Fatalf("appending and reading inside a %s loop did not finish within %v: the read holds a lock or connection while yielding", tc.name, s.cfg.timeout)
			}
		})
	}

	s.run(t, "cancellation during a read ends it with the context's error", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "cancel-1", eventstore.NoStream, evs(20, "A", "a")...)
		s.settle(t, ctx, st)
		for _, name := range []string{"ReadAll", "Subscribe"} {
			rctx, cancel := context.WithCancel(ctx)
			opts := eventstore.ReadAllOptions{PageSize: 2, PollInterval: s.cfg.pollInterval}
			read := st.ReadAll(rctx, opts)
			if name == "Subscribe" {
				read = st.Subscribe(rctx, opts)
			}
			n := 0
			var end error
			for _, err := range read {
				if err != nil {
					end = err
					break
				}
				n++
				if n == 1 {
					cancel()
				}
			}
			cancel()
			if !errors.Is(end, context.Canceled) {
				t.Errorf("%s cancelled after the first event: ended after %d events with %v, want context.Canceled", name, n, end)
			}
			if n >= 20 {
				t.Errorf("%s cancelled after the first event went on to read all %d events", name, n)
			}
		}
	})
}

func (s *suite) testClose(t *testing.T) {
	s.run(t, "closed store fails with ErrClosed", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "close-1", eventstore.NoStream, ev("A", "a"))
		sub := s.subscribe(t, ctx, st, eventstore.ReadAllOptions{})
		sub.take(t, 1)
		if err := st.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		// The running subscription ends with ErrClosed (or a cancellation error).
		it, ok := sub.next(t)
		if !ok {
			t.Fatal("subscription ended without an error when the store closed")
		}
		if it.err == nil {
			t.Fatalf("subscription delivered %v after Close, want an error", it.e.ID)
		}
		if !errors.Is(it.err, eventstore.ErrClosed) && !errors.Is(it.err, context.Canceled) {
			t.Errorf("subscription ended with %v, want ErrClosed", it.err)
		}
		_, err := st.Append(ctx, "close-1", eventstore.Any, ev("B", "b"))
		wantIs(t, err, eventstore.ErrClosed, "Append after Close")
		_, err = collect(st.ReadStream(ctx, "close-1", eventstore.ReadStreamOptions{}))
		wantIs(t, err, eventstore.ErrClosed, "ReadStream after Close")
		_, err = collect(st.ReadAll(ctx, eventstore.ReadAllOptions{}))
		wantIs(t, err, eventstore.ErrClosed, "ReadAll after Close")
		_, err = collect(st.Subscribe(ctx, eventstore.ReadAllOptions{}))
		wantIs(t, err, eventstore.ErrClosed, "Subscribe after Close")
		_, err = st.Head(ctx)
		wantIs(t, err, eventstore.ErrClosed, "Head after Close")
		_, err = st.StreamInfo(ctx, "close-1")
		wantIs(t, err, eventstore.ErrClosed, "StreamInfo after Close")
		wantIs(t, st.Delete(ctx, "close-1", eventstore.Any), eventstore.ErrClosed, "Delete after Close")
		wantIs(t, st.Tombstone(ctx, "close-1", eventstore.Any), eventstore.ErrClosed, "Tombstone after Close")
	})
}
