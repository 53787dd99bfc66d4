package storetest_test

import (
	"context"
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
