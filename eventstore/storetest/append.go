package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

func (s *suite) testExpectedVersion(t *testing.T) {
	cases := []struct {
		name     string
		existing int // events in the stream before the append
		expected eventstore.ExpectedVersion
		ok       bool
	}{
		{"Any/absent stream", 0, eventstore.Any, true},
		{"Any/existing stream", 2, eventstore.Any, true},
		{"NoStream/absent stream", 0, eventstore.NoStream, true},
		{"NoStream/existing stream", 2, eventstore.NoStream, false},
		{"StreamExists/absent stream", 0, eventstore.StreamExists, false},
		{"StreamExists/existing stream", 2, eventstore.StreamExists, true},
		{"Exactly/matching version", 2, eventstore.Exactly(2), true},
		{"Exactly/stream is ahead", 3, eventstore.Exactly(2), false},
		{"Exactly/stream is behind", 2, eventstore.Exactly(3), false},
		{"Exactly/absent stream", 0, eventstore.Exactly(1), false},
		{"Exactly(0) is NoStream/absent stream", 0, eventstore.Exactly(0), true},
		{"Exactly(0) is NoStream/existing stream", 2, eventstore.Exactly(0), false},
	}
	for _, tc := range cases {
		s.run(t, tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			st := s.store(t)
			const stream = "ev-1"
			if tc.existing > 0 {
				mustAppend(t, ctx, st, stream, eventstore.NoStream, evs(tc.existing, "Seeded", "seed")...)
			}
			// Another stream, so the checks cannot pass by looking at the wrong one.
			mustAppend(t, ctx, st, "ev-other", eventstore.NoStream, evs(4, "Other", "other")...)
			before := s.snapshot(t, ctx, st, stream)
			batch := evs(2, "Appended", "new")
			res, err := st.Append(ctx, stream, tc.expected, batch...)
			if !tc.ok {
				wantConflict(t, err, stream, tc.expected, uint64(tc.existing), tc.existing > 0)
				if !strings.Contains(err.Error(), stream) {
					t.Errorf("conflict message %q does not name the stream", err)
				}
				s.unchanged(t, ctx, st, before, "rejected append")
				return
			}
			if err != nil {
				t.Fatalf("Append(%s) to a stream with %d events: %v", tc.expected, tc.existing, err)
			}
			n := uint64(tc.existing)
			if res.StreamID != stream || res.FirstVersion != n+1 || res.LastVersion != n+2 || res.Duplicate {
				t.Errorf("result %+v: want stream %q, versions %d..%d, not duplicate", res, stream, n+1, n+2)
			}
			if !slices.Equal(res.EventIDs, dataIDs(batch)) {
				t.Errorf("result EventIDs %v, want %v", res.EventIDs, dataIDs(batch))
			}
			got := readStream(t, ctx, st, stream, eventstore.ReadStreamOptions{})
			if want := seq(1, n+2); !slices.Equal(versions(got), want) {
				t.Fatalf("stream versions %v, want %v", versions(got), want)
			}
			if !slices.Equal(ids(got[tc.existing:]), dataIDs(batch)) {
				t.Errorf("appended IDs read back as %v, want %v", ids(got[tc.existing:]), dataIDs(batch))
			}
			if res.Position != got[len(got)-1].Position {
				t.Errorf("result position %v, want the last event's position %v", res.Position, got[len(got)-1].Position)
			}
			if i := info(t, ctx, st, stream); i.Version != n+2 || i.State != eventstore.StreamActive {
				t.Errorf("StreamInfo %+v, want version %d and active", i, n+2)
			}
		})
	}
}

func (s *suite) testIdempotency(t *testing.T) {
	retries := []struct {
		name string
		// seed events appended first; expected is used for the append and its retry.
		seed     int
		expected eventstore.ExpectedVersion
	}{
		{"NoStream", 0, eventstore.NoStream},
		{"Exactly", 2, eventstore.Exactly(2)},
		{"StreamExists", 2, eventstore.StreamExists},
		{"Any", 2, eventstore.Any},
	}
	for _, tc := range retries {
		s.run(t, "retry after lost ack returns the original result/"+tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			st := s.store(t)
			const stream = "idem-1"
			if tc.seed > 0 {
				mustAppend(t, ctx, st, stream, eventstore.NoStream, evs(tc.seed, "Seeded", "seed")...)
			}
			batch := evs(3, "Appended", "a")
			first := mustAppend(t, ctx, st, stream, tc.expected, batch...)
			before := s.snapshot(t, ctx, st, stream)
			// The reply to the first append was "lost": the caller retries the same request.
			retry, err := st.Append(ctx, stream, tc.expected, batch...)
			if err != nil {
				t.Fatalf("retry with the same IDs: %v", err)
			}
			if tc.expected.IsAny() && s.cfg.anyBestEffort != "" && !retry.Duplicate {
				t.Logf("backend difference (IdempotencyAnyBestEffort): the Any retry was committed again: %s", s.cfg.anyBestEffort)
				if retry.FirstVersion != first.LastVersion+1 {
					t.Errorf("fresh commit of the retry: got versions %d..%d, want them after %d", retry.FirstVersion, retry.LastVersion, first.LastVersion)
				}
				return
			}
			if !retry.Duplicate {
				t.Errorf("retry result %+v: Duplicate is false, want true", retry)
			}
			sameResult(t, retry, first, "retry")
			s.unchanged(t, ctx, st, before, "retried append")
			got := readStream(t, ctx, st, stream, eventstore.ReadStreamOptions{})
			if want := seq(1, uint64(tc.seed+3)); !slices.Equal(versions(got), want) {
				t.Errorf("stream versions %v, want %v", versions(got), want)
			}
		})
	}

	s.run(t, "retry after the stream moved on", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		const stream = "idem-2"
		batch := evs(2, "Appended", "a")
		first := mustAppend(t, ctx, st, stream, eventstore.NoStream, batch...)
		mustAppend(t, ctx, st, stream, eventstore.Exactly(2), evs(3, "Later", "b")...)
		before := s.snapshot(t, ctx, st, stream)
		retry, err := st.Append(ctx, stream, eventstore.NoStream, batch...)
		if err != nil {
			t.Fatalf("late retry of the first append: %v", err)
		}
		if !retry.Duplicate {
			t.Errorf("late retry result %+v: Duplicate is false, want true", retry)
		}
		sameResult(t, retry, first, "late retry")
		s.unchanged(t, ctx, st, before, "late retry")
	})

	s.run(t, "retry with generated IDs taken from the result", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		const stream = "idem-3"
		batch := []eventstore.EventData{{Type: "A", Data: []byte("1")}, {Type: "B", Data: []byte("2")}}
		first := mustAppend(t, ctx, st, stream, eventstore.NoStream, batch...)
		for i := range batch {
			batch[i].ID = first.EventIDs[i]
		}
		before := s.snapshot(t, ctx, st, stream)
		retry := mustAppend(t, ctx, st, stream, eventstore.NoStream, batch...)
		if !retry.Duplicate {
			t.Errorf("retry result %+v: Duplicate is false, want true", retry)
		}
		sameResult(t, retry, first, "retry")
		s.unchanged(t, ctx, st, before, "retry")
	})

	// Reuses of committed IDs that are not retries. The append uses Any, so only the IDs can
	// make it fail.
	reuses := []struct {
		name string
		// make builds the offending batch from the committed one (a, b) and fresh events.
		make   func(a, b eventstore.EventData) []eventstore.EventData
		stream string
		// idOnly is true when a backend that matches retries by ID only may call it a retry.
		idOnly bool
	}{
		{"partial overlap", func(a, b eventstore.EventData) []eventstore.EventData {
			return []eventstore.EventData{b, ev("Fresh", "c")}
		}, "dup-1", false},
		{"superset of a committed append", func(a, b eventstore.EventData) []eventstore.EventData {
			return []eventstore.EventData{a, b, ev("Fresh", "c")}
		}, "dup-1", false},
		{"fresh event first, then a committed one", func(a, b eventstore.EventData) []eventstore.EventData {
			return []eventstore.EventData{ev("Fresh", "c"), a}
		}, "dup-1", false},
		{"same ID with different data", func(a, b eventstore.EventData) []eventstore.EventData {
			a.Data = []byte("changed")
			return []eventstore.EventData{a, b}
		}, "dup-1", true},
		{"same ID with different type", func(a, b eventstore.EventData) []eventstore.EventData {
			a.Type = "Changed"
			return []eventstore.EventData{a, b}
		}, "dup-1", true},
		{"same IDs in another order", func(a, b eventstore.EventData) []eventstore.EventData {
			return []eventstore.EventData{b, a}
		}, "dup-1", true},
	}
	for _, tc := range reuses {
		s.run(t, "ID reuse is ErrDuplicateEventID/"+tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			st := s.store(t)
			a, b := ev("Committed", "a"), ev("Committed", "b")
			first := mustAppend(t, ctx, st, tc.stream, eventstore.NoStream, a, b)
			before := s.snapshot(t, ctx, st, tc.stream)
			res, err := st.Append(ctx, tc.stream, eventstore.Any, tc.make(a, b)...)
			if tc.idOnly && s.cfg.retryByIDOnly != "" && err == nil && res.Duplicate {
				t.Logf("backend difference (RetryMatchedByIDOnly): reused IDs were taken for a retry: %s", s.cfg.retryByIDOnly)
				sameResult(t, res, first, "ID-only retry")
			} else {
				wantDuplicateID(t, err, tc.stream)
			}
			s.unchanged(t, ctx, st, before, "append reusing IDs")
		})
	}

	s.run(t, "ID reuse is ErrDuplicateEventID/ID used in another stream", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		a := ev("Committed", "a")
		mustAppend(t, ctx, st, "dup-a", eventstore.NoStream, a)
		if s.cfg.idsPerStream != "" {
			t.Logf("backend difference (EventIDsUniquePerStream): an ID used in another stream is a new event: %s", s.cfg.idsPerStream)
			res, err := st.Append(ctx, "dup-b", eventstore.NoStream, a)
			if err != nil {
				t.Fatalf("append reusing another stream's ID: %v", err)
			}
			if res.Duplicate || res.FirstVersion != 1 {
				t.Errorf("result %+v: want a fresh commit at version 1", res)
			}
			return
		}
		before := s.snapshot(t, ctx, st, "dup-a", "dup-b")
		_, err := st.Append(ctx, "dup-b", eventstore.NoStream, a)
		wantDuplicateID(t, err, "dup-b")
		s.unchanged(t, ctx, st, before, "append reusing another stream's ID")
	})

	s.run(t, "failed append then retry writes once", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		batch := evs(2, "A", "x")
		_, err := st.Append(ctx, "idem-4", eventstore.StreamExists, batch...)
		wantConflict(t, err, "idem-4", eventstore.StreamExists, 0, false)
		res := mustAppend(t, ctx, st, "idem-4", eventstore.NoStream, batch...)
		if res.Duplicate || res.FirstVersion != 1 || res.LastVersion != 2 {
			t.Errorf("result %+v: want a fresh commit of versions 1..2 (the failed attempt wrote nothing)", res)
		}
	})
}

func wantDuplicateID(t *testing.T, err error, stream string) {
	t.Helper()
	if !errors.Is(err, eventstore.ErrDuplicateEventID) {
		t.Fatalf("want errors.Is(err, ErrDuplicateEventID), got %v", err)
	}
	var de *eventstore.DuplicateEventError
	if !errors.As(err, &de) {
		t.Fatalf("want a *eventstore.DuplicateEventError in the chain, got %T: %v", err, err)
	}
	if de.StreamID != stream {
		t.Errorf("DuplicateEventError.StreamID = %q, want %q", de.StreamID, stream)
	}
	if _, perr := uuid.Parse(de.EventID); perr != nil {
		t.Errorf("DuplicateEventError.EventID = %q is not a UUID: %v", de.EventID, perr)
	}
	if de.Reason == "" {
		t.Error("DuplicateEventError.Reason is empty")
	}
}

func (s *suite) testAtomicity(t *testing.T) {
	s.run(t, "multi-event append commits together", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "atom-0", eventstore.NoStream, ev("Other", "o"))
		batch := evs(5, "Step", "s")
		res := mustAppend(t, ctx, st, "atom-1", eventstore.NoStream, batch...)
		if res.FirstVersion != 1 || res.LastVersion != 5 {
			t.Errorf("result versions %d..%d, want 1..5", res.FirstVersion, res.LastVersion)
		}
		got := readStream(t, ctx, st, "atom-1", eventstore.ReadStreamOptions{})
		if !slices.Equal(versions(got), seq(1, 5)) || !slices.Equal(ids(got), dataIDs(batch)) {
			t.Fatalf("stream holds versions %v IDs %v, want 1..5 with IDs %v", versions(got), ids(got), dataIDs(batch))
		}
		for i := 1; i < len(got); i++ {
			if !got[i-1].Position.Less(got[i].Position) {
				t.Errorf("positions not increasing with versions: v%d at %v, v%d at %v", got[i-1].Version, got[i-1].Position, got[i].Version, got[i].Position)
			}
		}
		if res.Position != got[4].Position {
			t.Errorf("result position %v, want the last event's %v", res.Position, got[4].Position)
		}
	})

	s.run(t, "conflicting multi-event append writes none", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "atom-2", eventstore.NoStream, evs(1, "First", "f")...)
		before := s.snapshot(t, ctx, st, "atom-2")
		_, err := st.Append(ctx, "atom-2", eventstore.Exactly(3), evs(4, "Step", "s")...)
		wantConflict(t, err, "atom-2", eventstore.Exactly(3), 1, true)
		s.unchanged(t, ctx, st, before, "conflicting append")
	})

	s.run(t, "one invalid event rejects the whole append", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		before := s.snapshot(t, ctx, st, "atom-3")
		batch := evs(4, "Step", "s")
		batch[2].Data = make([]byte, eventstore.MaxEventSize+1)
		_, err := st.Append(ctx, "atom-3", eventstore.Any, batch...)
		wantIs(t, err, eventstore.ErrInvalidInput, "append with one oversized event")
		s.unchanged(t, ctx, st, before, "append with one oversized event")
	})
}

func (s *suite) testEventIDs(t *testing.T) {
	s.run(t, "zero IDs get UUIDv7 and given IDs are kept", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		given := uuid.New()
		batch := []eventstore.EventData{
			{Type: "A", Data: []byte("1")},
			{ID: given, Type: "B", Data: []byte("2")},
			{Type: "C", Data: []byte("3")},
		}
		res := mustAppend(t, ctx, st, "ids-1", eventstore.NoStream, batch...)
		if len(res.EventIDs) != 3 {
			t.Fatalf("result has %d event IDs, want 3", len(res.EventIDs))
		}
		for _, i := range []int{0, 2} {
			if id := res.EventIDs[i]; id == uuid.Nil || id.Version() != 7 {
				t.Errorf("generated ID %d = %v (version %d), want a UUIDv7", i, id, id.Version())
			}
		}
		if res.EventIDs[0] == res.EventIDs[2] {
			t.Errorf("generated IDs are equal: %v", res.EventIDs[0])
		}
		if res.EventIDs[1] != given {
			t.Errorf("given ID became %v, want %v", res.EventIDs[1], given)
		}
		if batch[0].ID != uuid.Nil {
			t.Errorf("Append modified the caller's events: ID set to %v", batch[0].ID)
		}
		got := readStream(t, ctx, st, "ids-1", eventstore.ReadStreamOptions{})
		if !slices.Equal(ids(got), res.EventIDs) {
			t.Errorf("IDs read back %v, want %v", ids(got), res.EventIDs)
		}
	})
}
