package memory

import (
	"context"
	"fmt"

	"github.com/esgen/esgen/eventstore"
)

// RawCount counts the events in a memory store's log directly, for storetest.RawEventCount.
func RawCount(_ context.Context, s eventstore.Store) (int64, error) {
	m, ok := s.(*Store)
	if !ok {
		return 0, fmt.Errorf("RawCount: got a %T, want a *memory.Store", s)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.log)), nil
}
