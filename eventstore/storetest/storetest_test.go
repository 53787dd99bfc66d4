package storetest_test

import (
	"context"
	"iter"
	"sync"
	"testing"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/eventstore/storetest"
)

// serialStore imitates a single-writer backend such as SQLite: one append at a time
// store-wide, with the before-commit hook called while holding the write lock.
type serialStore struct {
	*memory.Store
	write sync.Mutex
}

func (s *serialStore) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if _, _, err := eventstore.PrepareAppend(ctx, streamID, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	s.write.Lock()
	defer s.write.Unlock()
	if err := eventstore.BeforeCommit(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.Store.Append(eventstore.WithBeforeCommit(ctx, nil), streamID, expected, events...)
}

func TestRunOnSerializedWriters(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t testing.TB) eventstore.Store {
		s := &serialStore{Store: memory.New()}
		t.Cleanup(func() { s.Close() })
		return s
	}, storetest.SerializedWriters("the test store takes one write lock around the hook and the append"))
}

// laggingStore imitates a store whose global reads trail its commits, as PostgreSQL's do
// while an older transaction is open: Head and ReadAll show only what had committed at the
// previous global read. A correct suite must wait for visibility instead of assuming that
// a global read sees the append just made.
type laggingStore struct {
	*memory.Store
	mu               sync.Mutex
	visible, pending eventstore.Position
}

func (l *laggingStore) advance(ctx context.Context) (eventstore.Position, error) {
	h, err := l.Store.Head(ctx)
	if err != nil {
		return eventstore.Position{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.visible, l.pending = l.pending, h
	return l.visible, nil
}

func (l *laggingStore) Head(ctx context.Context) (eventstore.Position, error) {
	return l.advance(ctx)
}

func (l *laggingStore) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		visible, err := l.advance(ctx)
		if err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		for e, err := range l.Store.ReadAll(ctx, opts) {
			if err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			if visible.Less(e.Position) || !yield(e, nil) {
				return
			}
		}
	}
}

func (l *laggingStore) Subscribe(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return eventstore.Follow(ctx, opts, nil, l.ReadAll)
}

func TestRunOnLaggingGlobalReads(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t testing.TB) eventstore.Store {
		s := &laggingStore{Store: memory.New()}
		t.Cleanup(func() { s.Close() })
		return s
	}, storetest.Parallel())
}
