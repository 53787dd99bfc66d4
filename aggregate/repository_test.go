package aggregate_test

import (
	"testing"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/repotest"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
)

func TestRepositoryMemory(t *testing.T) {
	t.Parallel()
	repotest.Run(t, repotest.Backend{
		Open: func(t testing.TB) (eventstore.Store, aggregate.SnapshotStore) {
			s := memory.New()
			t.Cleanup(func() { _ = s.Close() })
			return s, aggregate.NewMemorySnapshotStore()
		},
	})
}
