package memory_test

import (
	"testing"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/eventstore/storetest"
)

func newStore(t testing.TB) eventstore.Store {
	s := memory.New()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, newStore, storetest.Parallel(), storetest.RawEventCount(memory.RawCount))
}
