package sqlitesnapshot_test

import (
	"path/filepath"
	"testing"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/repotest"
	"github.com/esgen/esgen/aggregate/internal/snaptest"
	"github.com/esgen/esgen/aggregate/sqlitesnapshot"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/sqlite"
)

func open(t testing.TB, path string) *sqlitesnapshot.Store {
	t.Helper()
	s, err := sqlitesnapshot.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	snaptest.Run(t, func(t testing.TB) aggregate.SnapshotStore { return open(t, filepath.Join(t.TempDir(), "events.db")) })
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

func TestRepositorySQLite(t *testing.T) {
	t.Parallel()
	repotest.Run(t, repotest.Backend{Open: openBackend})
}

// openBackend returns a SQLite event store and snapshot store on one new database file.
func openBackend(t testing.TB) (eventstore.Store, aggregate.SnapshotStore) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.db")
	store, err := sqlite.Open(t.Context(), path, sqlite.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store, open(t, path)
}
