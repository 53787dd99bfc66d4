package eventstore

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// fakeLog is a minimal ReadAll implementation over a slice, recording its calls.
type fakeLog struct {
	mu     sync.Mutex
	events []Event
	afters []Position // the checkpoint of every read
	fail   error
	heads  int           // calls of head
	reads  chan Position // if set, receives the checkpoint of every read
}

func (f *fakeLog) add(n int) { f.addType(n, "T") }

func (f *fakeLog) addType(n int, typ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		p := uint64(len(f.events) + 1)
		f.events = append(f.events, Event{ID: uuid.New(), StreamID: "s", Version: p, Position: Position{Pos: p}, Type: typ})
	}
}

func (f *fakeLog) head(context.Context) (Position, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heads++
	return Position{Pos: uint64(len(f.events))}, nil
}

func (f *fakeLog) readAll(ctx context.Context, opts ReadAllOptions) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		f.mu.Lock()
		f.afters = append(f.afters, opts.After)
		if f.reads != nil {
			f.reads <- opts.After
		}
		var page []Event
		for _, e := range f.events {
			if opts.After.Less(e.Position) && opts.Matches(&e) {
				page = append(page, e)
			}
		}
		fail := f.fail
		f.mu.Unlock()
		if fail != nil {
			yield(Event{}, fail)
			return
		}
		for _, e := range page {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// follow runs Follow in a goroutine and returns its values on a channel.
func follow(t *testing.T, ctx context.Context, opts ReadAllOptions, wake func() <-chan struct{}, f *fakeLog) <-chan item {
	t.Helper()
	ch := make(chan item)
	quit := make(chan struct{})
	t.Cleanup(func() { close(quit) })
	go func() {
		defer close(ch)
		for e, err := range Follow(ctx, opts, wake, f.readAll) {
			select {
			case ch <- item{e, err}:
			case <-quit:
				return
			}
		}
	}()
	return ch
}

type item struct {
	e   Event
	err error
}

func receive(t *testing.T, ch <-chan item, n int) []item {
	t.Helper()
	var out []item
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for len(out) < n {
		select {
		case it, ok := <-ch:
			if !ok {
				t.Fatalf("Follow ended after %d of %d values", len(out), n)
			}
			out = append(out, it)
		case <-deadline.C:
			t.Fatalf("Follow delivered %d of %d values within 10s", len(out), n)
		}
	}
	return out
}

func TestFollowCatchUpThenWake(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := &fakeLog{}
	f.add(3)
	var sig Signal
	// An hour-long poll: only the wake-up can deliver the live events in time.
	ch := follow(t, ctx, ReadAllOptions{PollInterval: time.Hour, Limit: 1}, sig.C, f)
	got := receive(t, ch, 3)
	for i, it := range got {
		if it.err != nil || it.e.Version != uint64(i+1) {
			t.Fatalf("catch-up value %d = %+v, want version %d", i, it, i+1)
		}
	}
	f.add(2)
	sig.Notify()
	got = receive(t, ch, 2)
	if got[0].e.Version != 4 || got[1].e.Version != 5 {
		t.Fatalf("live values %v, %v, want versions 4, 5", got[0].e.Version, got[1].e.Version)
	}
	cancel()
	end := receive(t, ch, 1)
	if !errors.Is(end[0].err, context.Canceled) {
		t.Fatalf("after cancel Follow yielded %+v, want context.Canceled", end[0])
	}
	if _, ok := <-ch; ok {
		t.Fatal("Follow yielded after its error")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 1; i < len(f.afters); i++ {
		if f.afters[i].Less(f.afters[i-1]) {
			t.Errorf("checkpoint went backwards: %v after %v", f.afters[i], f.afters[i-1])
		}
	}
	if last := f.afters[len(f.afters)-1]; last != (Position{Pos: 5}) {
		t.Errorf("last read was after %v, want after the last delivered position 0/5", last)
	}
}

func TestFollowPollsWithoutWake(t *testing.T) {
	t.Parallel()
	f := &fakeLog{}
	ch := follow(t, t.Context(), ReadAllOptions{PollInterval: time.Millisecond}, nil, f)
	f.add(1)
	if got := receive(t, ch, 1); got[0].err != nil || got[0].e.Version != 1 {
		t.Fatalf("polled value %+v, want version 1", got[0])
	}
}

func TestFollowReaderError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	f := &fakeLog{fail: boom}
	ch := follow(t, t.Context(), ReadAllOptions{}, nil, f)
	if got := receive(t, ch, 1); !errors.Is(got[0].err, boom) {
		t.Fatalf("Follow yielded %+v, want the reader's error", got[0])
	}
	if _, ok := <-ch; ok {
		t.Fatal("Follow went on after the reader failed")
	}
}

func TestFollowCancelledReaderErrorIsContextError(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f := &fakeLog{fail: errors.New("driver: connection closed")}
	ch := follow(t, ctx, ReadAllOptions{}, nil, f)
	if got := receive(t, ch, 1); !errors.Is(got[0].err, context.Canceled) {
		t.Fatalf("Follow yielded %+v, want context.Canceled", got[0])
	}
}

func TestFollowEarlyBreak(t *testing.T) {
	t.Parallel()
	f := &fakeLog{}
	f.add(5)
	n := 0
	for _, err := range Follow(t.Context(), ReadAllOptions{}, nil, f.readAll) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("read %d values, want 2", n)
	}
}

func TestSignal(t *testing.T) {
	t.Parallel()
	var s Signal
	s.Notify() // no waiters: nothing to do
	c1, c2 := s.C(), s.C()
	if c1 != c2 {
		t.Fatal("two waiters before a Notify got different channels")
	}
	select {
	case <-c1:
		t.Fatal("channel closed before Notify")
	default:
	}
	s.Notify()
	select {
	case <-c1:
	default:
		t.Fatal("Notify did not close the channel")
	}
	select {
	case <-s.C():
		t.Fatal("a channel taken after Notify is already closed")
	default:
	}
}

func TestBeforeCommit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	if err := BeforeCommit(ctx); err != nil {
		t.Fatalf("no hook: %v", err)
	}
	boom := errors.New("boom")
	var seen context.Context
	hctx := WithBeforeCommit(ctx, func(c context.Context) error { seen = c; return boom })
	if err := BeforeCommit(hctx); !errors.Is(err, boom) {
		t.Fatalf("hook error: got %v", err)
	}
	if seen != hctx {
		t.Error("hook did not receive the append's context")
	}
	if err := BeforeCommit(WithBeforeCommit(hctx, nil)); err != nil {
		t.Fatalf("nil hook: %v", err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err      error
		is       error
		contains []string
	}{
		{&VersionConflictError{StreamID: "o-1", Expected: Exactly(3), Actual: 5, Exists: true}, ErrWrongExpectedVersion, []string{`"o-1"`, "version 3", "at version 5", "retry"}},
		{&VersionConflictError{StreamID: "o-1", Expected: StreamExists}, ErrWrongExpectedVersion, []string{"stream exists", "does not exist"}},
		{&VersionConflictError{StreamID: "o-1", Expected: Exactly(2), Actual: 4}, ErrWrongExpectedVersion, []string{"deleted (last version 4)"}},
		{&InputError{Field: "stream ID", Problem: "it is empty"}, ErrInvalidInput, []string{"stream ID", "it is empty"}},
		{&DuplicateEventError{EventID: "e-1", StreamID: "o-1", Reason: "different data"}, ErrDuplicateEventID, []string{"e-1", `"o-1"`, "different data", "fresh ID"}},
	}
	sentinels := []error{ErrWrongExpectedVersion, ErrStreamNotFound, ErrStreamDeleted, ErrDuplicateEventID, ErrInvalidInput, ErrClosed}
	for _, tc := range cases {
		msg := tc.err.Error()
		for _, s := range tc.contains {
			if !strings.Contains(msg, s) {
				t.Errorf("%q does not contain %q", msg, s)
			}
		}
		for _, s := range sentinels {
			if errors.Is(tc.err, s) != (s == tc.is) {
				t.Errorf("errors.Is(%T, %v) = %v", tc.err, s, !(s == tc.is))
			}
		}
	}
}

func TestStreamStateString(t *testing.T) {
	t.Parallel()
	want := map[StreamState]string{StreamAbsent: "absent", StreamActive: "active", StreamSoftDeleted: "deleted", StreamTombstoned: "tombstoned"}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), w)
		}
	}
}

func TestReadAllOptions(t *testing.T) {
	t.Parallel()
	e := &Event{StreamID: "order-1", Type: "Created"}
	cases := []struct {
		opts ReadAllOptions
		want bool
	}{
		{ReadAllOptions{}, true},
		{ReadAllOptions{Types: []string{"Created"}}, true},
		{ReadAllOptions{Types: []string{"Paid", "Created"}}, true},
		{ReadAllOptions{Types: []string{"Paid"}}, false},
		{ReadAllOptions{StreamPrefix: "order-"}, true},
		{ReadAllOptions{StreamPrefix: "order-1-long"}, false},
		{ReadAllOptions{StreamPrefix: "user-"}, false},
		{ReadAllOptions{StreamPrefix: "order", Types: []string{"Paid"}}, false},
	}
	for _, tc := range cases {
		if got := tc.opts.Matches(e); got != tc.want {
			t.Errorf("%+v.Matches = %v, want %v", tc.opts, got, tc.want)
		}
	}
	if (ReadAllOptions{}).PageSizeOr() != DefaultPageSize || (ReadAllOptions{PageSize: 7}).PageSizeOr() != 7 || (ReadAllOptions{PageSize: -1}).PageSizeOr() != DefaultPageSize {
		t.Error("PageSizeOr is wrong")
	}
}

func TestFollowHeadSkipsUnmatchedEventsOnce(t *testing.T) {
	t.Parallel()
	f := &fakeLog{reads: make(chan Position, 100)}
	f.addType(50, "Noise")
	var sig Signal
	ch := make(chan item)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		defer close(ch)
		opts := ReadAllOptions{Types: []string{"Rare"}, PollInterval: time.Hour}
		for e, err := range FollowHead(t.Context(), opts, sig.C, f.readAll, f.head) {
			select {
			case ch <- item{e, err}:
			case <-quit:
				return
			}
		}
	}()
	nextRead := func() Position {
		t.Helper()
		select {
		case p := <-f.reads:
			return p
		case <-time.After(10 * time.Second):
			t.Fatal("the follower did not read within 10s")
			return Position{}
		}
	}
	if p := nextRead(); p != Start {
		t.Fatalf("first read after %v, want the start", p)
	}
	// The first pass matched nothing; once woken, the follower reads after the head.
	sig.Notify()
	if p := nextRead(); p != (Position{Pos: 50}) {
		t.Fatalf("second read after %v, want after the head 0/50", p)
	}
	f.addType(1, "Rare")
	sig.Notify()
	got := receive(t, ch, 1)
	if got[0].err != nil || got[0].e.Position != (Position{Pos: 51}) {
		t.Fatalf("delivered %+v, want the rare event at 0/51", got[0])
	}
}

func TestFollowIgnoresHeadWithoutFilters(t *testing.T) {
	t.Parallel()
	f := &fakeLog{}
	f.add(3)
	n := 0
	for _, err := range FollowHead(t.Context(), ReadAllOptions{}, nil, f.readAll, f.head) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.heads != 0 {
		t.Errorf("head was called %d times for an unfiltered subscription", f.heads)
	}
}
