package aggregate_test

import (
	"testing"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/repotest"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
)

// BenchmarkLoadMemory: go test -run XXX -bench LoadMemory ./aggregate
func BenchmarkLoadMemory(b *testing.B) {
	repotest.BenchmarkLoad(b, func(tb testing.TB) (eventstore.Store, aggregate.SnapshotStore) {
		s := memory.New()
		tb.Cleanup(func() { _ = s.Close() })
		return s, aggregate.NewMemorySnapshotStore()
	})
}
