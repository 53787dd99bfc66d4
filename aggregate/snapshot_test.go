package aggregate_test

import (
	"testing"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/snaptest"
)

func TestMemorySnapshotStore(t *testing.T) {
	t.Parallel()
	snaptest.Run(t, func(testing.TB) aggregate.SnapshotStore { return aggregate.NewMemorySnapshotStore() })
}

func TestEveryNEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    uint64
		info aggregate.SaveInfo
		want bool
	}{
		{n: 3, info: aggregate.SaveInfo{Version: 2}, want: false},
		{n: 3, info: aggregate.SaveInfo{Version: 3}, want: true},
		{n: 3, info: aggregate.SaveInfo{Version: 5, SnapshotVersion: 3}, want: false},
		{n: 3, info: aggregate.SaveInfo{Version: 7, SnapshotVersion: 3}, want: true},
		{n: 0, info: aggregate.SaveInfo{Version: 1}, want: true},
		{n: 100, info: aggregate.SaveInfo{PreviousVersion: 9000, Version: 9001}, want: true}, // an old stream's first snapshot
	}
	for _, tc := range tests {
		if got := aggregate.EveryNEvents(tc.n)(tc.info); got != tc.want {
			t.Errorf("EveryNEvents(%d)(%+v) = %v, want %v", tc.n, tc.info, got, tc.want)
		}
	}
}

func TestMemorySnapshotStoreDelete(t *testing.T) {
	t.Parallel()
	s := aggregate.NewMemorySnapshotStore()
	if err := s.Put(t.Context(), aggregate.Snapshot{StreamID: "a", Type: "T", SchemaVersion: 1, StreamVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), "a", "T"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(t.Context(), "a", "T"); ok || err != nil {
		t.Fatalf("after Delete: %v, %v", ok, err)
	}
}
