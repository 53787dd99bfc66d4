// Package snaptest is the conformance suite of aggregate.SnapshotStore implementations.
package snaptest

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/aggregate"
)

// Run runs the suite; newStore returns an empty store.
func Run(t *testing.T, newStore func(t testing.TB) aggregate.SnapshotStore) {
	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, ok, err := s.Get(t.Context(), "order-1", "Order"); ok || err != nil {
			t.Fatalf("Get of a missing snapshot: %v, %v; want false, nil", ok, err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		at := time.Date(2026, 5, 4, 3, 2, 1, 123456000, time.UTC)
		want := aggregate.Snapshot{StreamID: "order-1", Type: "Order", SchemaVersion: 3, StreamVersion: 42,
			EventID: uuid.MustParse("0190a8a4-9d1c-7c3e-8a55-1b2c3d4e5f60"), Data: []byte{0, 1, 2, 255}, TakenAt: at}
		if err := s.Put(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Get(t.Context(), "order-1", "Order")
		if err != nil || !ok {
			t.Fatalf("Get: %v, %v", ok, err)
		}
		if got.StreamID != want.StreamID || got.Type != want.Type || got.SchemaVersion != want.SchemaVersion ||
			got.StreamVersion != want.StreamVersion || got.EventID != want.EventID || !bytes.Equal(got.Data, want.Data) || !got.TakenAt.Equal(at) {
			t.Fatalf("Get returned %+v, want %+v", got, want)
		}
		if _, ok, _ := s.Get(t.Context(), "order-1", "OrderSummary"); ok {
			t.Fatal("a snapshot of another type was returned")
		}
		if _, ok, _ := s.Get(t.Context(), "order-2", "Order"); ok {
			t.Fatal("a snapshot of another stream was returned")
		}
	})
	t.Run("NewerWins", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		put := func(schema int, version uint64, data string) {
			t.Helper()
			if err := s.Put(t.Context(), aggregate.Snapshot{StreamID: "order-1", Type: "Order", SchemaVersion: schema, StreamVersion: version, Data: []byte(data)}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(schema int, version uint64, data string) {
			t.Helper()
			got, ok, err := s.Get(t.Context(), "order-1", "Order")
			if err != nil || !ok || got.SchemaVersion != schema || got.StreamVersion != version || string(got.Data) != data {
				t.Fatalf("Get: %+v, %v, %v; want schema %d at %d with %q", got, ok, err, schema, version, data)
			}
			if got.EventID != uuid.Nil {
				t.Fatalf("event ID %s, want none", got.EventID)
			}
			if got.TakenAt.IsZero() {
				t.Fatal("TakenAt not set by Put")
			}
		}
		put(1, 10, "a")
		put(1, 5, "older") // a slower writer
		check(1, 10, "a")
		put(1, 10, "same version")
		check(1, 10, "same version")
		put(2, 3, "new schema") // a new schema replaces whatever version
		check(2, 3, "new schema")
		put(2, 20, "")
		check(2, 20, "")
	})
	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, bad := range []aggregate.Snapshot{
			{Type: "Order", StreamVersion: 1},
			{StreamID: "order-1", StreamVersion: 1},
			{StreamID: "order-1", Type: "Order"},
		} {
			if err := s.Put(t.Context(), bad); err == nil {
				t.Errorf("Put(%+v) succeeded; want an error", bad)
			}
		}
		if _, ok, err := s.Get(t.Context(), "order-1", "Order"); ok || err != nil {
			t.Fatalf("after invalid puts: %v, %v; want nothing stored", ok, err)
		}
	})
}
