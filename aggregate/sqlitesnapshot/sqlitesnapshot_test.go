package sqlitesnapshot_test

import (
	"path/filepath"
	"testing"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/snaptest"
	"github.com/esgen/esgen/aggregate/sqlitesnapshot"
)

func open(t testing.TB) *sqlitesnapshot.Store {
	t.Helper()
	s, err := sqlitesnapshot.Open(t.Context(), filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	snaptest.Run(t, func(t testing.TB) aggregate.SnapshotStore { return open(t) })
}

func TestReopenKeepsSnapshots(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlitesnapshot.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), aggregate.Snapshot{StreamID: "order-1", Type: "Order", SchemaVersion: 1, StreamVersion: 7, Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlitesnapshot.Open(t.Context(), path) // migrating again is a no-op
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.Get(t.Context(), "order-1", "Order")
	if err != nil || !ok || got.StreamVersion != 7 || string(got.Data) != "x" {
		t.Fatalf("after reopening: %+v, %v, %v", got, ok, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	if _, err := sqlitesnapshot.Open(t.Context(), ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	if _, err := sqlitesnapshot.New(t.Context(), nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := sqlitesnapshot.Open(t.Context(), filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}
