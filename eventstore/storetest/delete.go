package storetest

import (
	"slices"
	"testing"

	"github.com/esgen/esgen/eventstore"
)

func (s *suite) testSoftDelete(t *testing.T) {
	s.run(t, "reads as not found and keeps its version", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "del-1", eventstore.NoStream, evs(3, "A", "a")...)
		mustAppend(t, ctx, st, "del-other", eventstore.NoStream, evs(1, "B", "b")...)
		if err := st.Delete(ctx, "del-1", eventstore.Exactly(3)); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		for _, d := range []eventstore.Direction{eventstore.Forward, eventstore.Backward} {
			_, err := collect(st.ReadStream(ctx, "del-1", eventstore.ReadStreamOptions{Direction: d}))
			wantIs(t, err, eventstore.ErrStreamNotFound, "reading a soft-deleted stream")
		}
		if i := info(t, ctx, st, "del-1"); i.Version != 3 || i.State != eventstore.StreamSoftDeleted {
			t.Errorf("StreamInfo %+v, want version 3 and soft-deleted", i)
		}
		if got := readStream(t, ctx, st, "del-other", eventstore.ReadStreamOptions{}); len(got) != 1 {
			t.Errorf("the other stream has %d events after the delete, want 1", len(got))
		}
		var inLog int
		for _, e := range s.readAll(t, ctx, st, eventstore.ReadAllOptions{}) {
			if e.StreamID == "del-1" {
				inLog++
			}
		}
		if inLog != 3 {
			t.Errorf("the global log holds %d events of the deleted stream, want all 3", inLog)
		}
	})

	recreate := []struct {
		name     string
		expected eventstore.ExpectedVersion
	}{
		{"NoStream", eventstore.NoStream},
		{"Any", eventstore.Any},
		{"Exactly(0)", eventstore.Exactly(0)},
	}
	for _, tc := range recreate {
		s.run(t, "re-create continues numbering/"+tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			st := s.store(t)
			mustAppend(t, ctx, st, "del-2", eventstore.NoStream, evs(3, "Old", "old")...)
			if err := st.Delete(ctx, "del-2", eventstore.Any); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			batch := evs(2, "New", "new")
			res := mustAppend(t, ctx, st, "del-2", tc.expected, batch...)
			if res.FirstVersion != 4 || res.LastVersion != 5 {
				t.Errorf("re-created stream got versions %d..%d, want 4..5 (after the deleted 1..3)", res.FirstVersion, res.LastVersion)
			}
			got := readStream(t, ctx, st, "del-2", eventstore.ReadStreamOptions{})
			if !slices.Equal(versions(got), seq(4, 5)) || !slices.Equal(ids(got), dataIDs(batch)) {
				t.Errorf("re-created stream reads versions %v, want only the new events 4..5", versions(got))
			}
			back := readStream(t, ctx, st, "del-2", eventstore.ReadStreamOptions{Direction: eventstore.Backward})
			if !slices.Equal(versions(back), seq(5, 4)) {
				t.Errorf("re-created stream reads backward %v, want 5, 4", versions(back))
			}
			from := readStream(t, ctx, st, "del-2", eventstore.ReadStreamOptions{From: 2})
			if !slices.Equal(versions(from), seq(4, 5)) {
				t.Errorf("re-created stream read from version 2 gives %v, want 4, 5", versions(from))
			}
			mustAppend(t, ctx, st, "del-2", eventstore.Exactly(5), ev("Next", "n"))
		})
	}

	conflicts := []struct {
		name     string
		expected eventstore.ExpectedVersion
	}{
		{"Exactly the old version", eventstore.Exactly(3)},
		{"StreamExists", eventstore.StreamExists},
	}
	for _, tc := range conflicts {
		s.run(t, "deleted stream does not exist for appends/"+tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			st := s.store(t)
			mustAppend(t, ctx, st, "del-3", eventstore.NoStream, evs(3, "A", "a")...)
			if err := st.Delete(ctx, "del-3", eventstore.Any); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			before := s.snapshot(t, ctx, st, "del-3")
			_, err := st.Append(ctx, "del-3", tc.expected, ev("B", "b"))
			wantConflict(t, err, "del-3", tc.expected, 3, false)
			s.unchanged(t, ctx, st, before, "rejected append to a deleted stream")
		})
	}

	s.run(t, "wrong expected version deletes nothing", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "del-4", eventstore.NoStream, evs(2, "A", "a")...)
		for _, exp := range []eventstore.ExpectedVersion{eventstore.Exactly(1), eventstore.Exactly(3), eventstore.NoStream} {
			err := st.Delete(ctx, "del-4", exp)
			wantConflict(t, err, "del-4", exp, 2, true)
		}
		if got := readStream(t, ctx, st, "del-4", eventstore.ReadStreamOptions{}); len(got) != 2 {
			t.Errorf("stream has %d events after rejected deletes, want 2", len(got))
		}
	})

	s.run(t, "absent or already deleted is ErrStreamNotFound", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		wantIs(t, st.Delete(ctx, "del-absent", eventstore.Any), eventstore.ErrStreamNotFound, "deleting an absent stream")
		mustAppend(t, ctx, st, "del-5", eventstore.NoStream, ev("A", "a"))
		if err := st.Delete(ctx, "del-5", eventstore.StreamExists); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantIs(t, st.Delete(ctx, "del-5", eventstore.Any), eventstore.ErrStreamNotFound, "deleting a deleted stream")
	})
}

func (s *suite) testTombstone(t *testing.T) {
	s.run(t, "reads and appends fail with ErrStreamDeleted", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "tomb-1", eventstore.NoStream, evs(2, "A", "a")...)
		if err := st.Tombstone(ctx, "tomb-1", eventstore.Exactly(2)); err != nil {
			t.Fatalf("Tombstone: %v", err)
		}
		for _, d := range []eventstore.Direction{eventstore.Forward, eventstore.Backward} {
			_, err := collect(st.ReadStream(ctx, "tomb-1", eventstore.ReadStreamOptions{Direction: d}))
			wantIs(t, err, eventstore.ErrStreamDeleted, "reading a tombstoned stream")
		}
		before := s.snapshot(t, ctx, st, "tomb-1")
		for _, exp := range []eventstore.ExpectedVersion{eventstore.Any, eventstore.NoStream, eventstore.StreamExists, eventstore.Exactly(2)} {
			_, err := st.Append(ctx, "tomb-1", exp, ev("B", "b"))
			wantIs(t, err, eventstore.ErrStreamDeleted, "appending with "+exp.String()+" to a tombstoned stream")
		}
		s.unchanged(t, ctx, st, before, "appends to a tombstoned stream")
		wantIs(t, st.Delete(ctx, "tomb-1", eventstore.Any), eventstore.ErrStreamDeleted, "soft-deleting a tombstoned stream")
		wantIs(t, st.Tombstone(ctx, "tomb-1", eventstore.Any), eventstore.ErrStreamDeleted, "tombstoning a tombstoned stream")
		if i := info(t, ctx, st, "tomb-1"); i.State != eventstore.StreamTombstoned || i.Version != 2 {
			t.Errorf("StreamInfo %+v, want version 2 and tombstoned", i)
		}
		var inLog int
		for _, e := range s.readAll(t, ctx, st, eventstore.ReadAllOptions{}) {
			if e.StreamID == "tomb-1" {
				inLog++
			}
		}
		if inLog != 2 {
			t.Errorf("the global log holds %d events of the tombstoned stream, want both", inLog)
		}
	})

	s.run(t, "wrong expected version tombstones nothing", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "tomb-2", eventstore.NoStream, evs(2, "A", "a")...)
		err := st.Tombstone(ctx, "tomb-2", eventstore.Exactly(1))
		wantConflict(t, err, "tomb-2", eventstore.Exactly(1), 2, true)
		mustAppend(t, ctx, st, "tomb-2", eventstore.Exactly(2), ev("B", "b"))
	})

	s.run(t, "soft-deleted stream can be tombstoned", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "tomb-3", eventstore.NoStream, evs(2, "A", "a")...)
		if err := st.Delete(ctx, "tomb-3", eventstore.Any); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if err := st.Tombstone(ctx, "tomb-3", eventstore.Any); err != nil {
			t.Fatalf("Tombstone of a soft-deleted stream: %v", err)
		}
		_, err := st.Append(ctx, "tomb-3", eventstore.NoStream, ev("B", "b"))
		wantIs(t, err, eventstore.ErrStreamDeleted, "appending to a tombstoned stream")
	})
}
