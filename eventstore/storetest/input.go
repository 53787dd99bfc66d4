package storetest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

func (s *suite) testInvalidInput(t *testing.T) {
	dupID := uuid.New()
	cases := []struct {
		name   string
		stream string
		events func() []eventstore.EventData
	}{
		{"empty stream ID", "", one},
		{"over-long stream ID", strings.Repeat("s", eventstore.MaxStreamIDLength+1), one},
		{"stream ID starting with $", "$system", one},
		{"stream ID with invalid UTF-8", "bad-\xff", one},
		{"stream ID with a control character", "bad\nid", one},
		{"empty batch", "in-1", func() []eventstore.EventData { return []eventstore.EventData{} }},
		{"nil batch", "in-1", func() []eventstore.EventData { return nil }},
		{"duplicate IDs in one batch", "in-1", func() []eventstore.EventData {
			return []eventstore.EventData{{ID: dupID, Type: "A"}, {Type: "B"}, {ID: dupID, Type: "C"}}
		}},
		{"empty event type", "in-1", func() []eventstore.EventData { return []eventstore.EventData{{Type: "A"}, {Type: ""}} }},
		{"over-long event type", "in-1", func() []eventstore.EventData {
			return []eventstore.EventData{{Type: strings.Repeat("t", eventstore.MaxEventTypeLength+1)}}
		}},
		{"event type with a control character", "in-1", func() []eventstore.EventData {
			return []eventstore.EventData{{Type: "a\nb\x00"}}
		}},
		{"metadata with a NUL", "in-1", func() []eventstore.EventData {
			return []eventstore.EventData{{Type: "A", Metadata: eventstore.Metadata{CorrelationID: "c\x00"}}}
		}},
		{"header with invalid UTF-8", "in-1", func() []eventstore.EventData {
			return []eventstore.EventData{{Type: "A", Metadata: eventstore.Metadata{Headers: map[string]string{"\xff": "v"}}}}
		}},
		{"oversized payload", "in-1", func() []eventstore.EventData {
			return []eventstore.EventData{{Type: "Big", Data: make([]byte, eventstore.MaxEventSize)}}
		}},
		{"oversized metadata", "in-1", func() []eventstore.EventData {
			return []eventstore.EventData{{Type: "Big", Metadata: eventstore.Metadata{Headers: map[string]string{"h": strings.Repeat("x", eventstore.MaxEventSize)}}}}
		}},
		{"too many events", "in-1", func() []eventstore.EventData {
			out := make([]eventstore.EventData, eventstore.MaxAppendEvents+1)
			for i := range out {
				out[i].Type = "A"
			}
			return out
		}},
	}
	for _, tc := range cases {
		s.run(t, "append/"+tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			st := s.store(t)
			mustAppend(t, ctx, st, "in-other", eventstore.NoStream, ev("A", "a"))
			streams := []string{"in-other"}
			if eventstore.ValidateStreamID(tc.stream) == nil {
				streams = append(streams, tc.stream)
			}
			before := s.snapshot(t, ctx, st, streams...)
			for _, exp := range []eventstore.ExpectedVersion{eventstore.Any, eventstore.NoStream} {
				_, err := st.Append(ctx, tc.stream, exp, tc.events()...)
				wantIs(t, err, eventstore.ErrInvalidInput, "append with "+tc.name)
				var ie *eventstore.InputError
				if !errors.As(err, &ie) || ie.Field == "" || ie.Problem == "" {
					t.Errorf("want a *eventstore.InputError naming the field and the problem, got %T: %v", err, err)
				}
			}
			s.unchanged(t, ctx, st, before, "rejected append")
		})
	}

	s.run(t, "append/largest allowed payload is accepted", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		meta, err := eventstore.MarshalMetadata(eventstore.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, eventstore.MaxEventSize-len(meta))
		data[0], data[len(data)-1] = 1, 2
		mustAppend(t, ctx, st, "in-big", eventstore.NoStream, eventstore.EventData{Type: "Big", Data: data})
		got := readStream(t, ctx, st, "in-big", eventstore.ReadStreamOptions{})
		if len(got) != 1 || len(got[0].Data) != len(data) || got[0].Data[0] != 1 || got[0].Data[len(data)-1] != 2 {
			t.Fatalf("the largest allowed event did not read back intact")
		}
	})

	s.run(t, "cancelled context", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "in-2", eventstore.NoStream, ev("A", "a"))
		before := s.snapshot(t, ctx, st, "in-2", "in-3")
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := st.Append(cancelled, "in-3", eventstore.Any, ev("A", "a"))
		wantIs(t, err, context.Canceled, "append with a cancelled context")
		_, err = st.Append(cancelled, "in-2", eventstore.Exactly(1), ev("A", "a"))
		wantIs(t, err, context.Canceled, "append with a cancelled context")
		s.unchanged(t, ctx, st, before, "append with a cancelled context")

		_, err = collect(st.ReadStream(cancelled, "in-2", eventstore.ReadStreamOptions{}))
		wantIs(t, err, context.Canceled, "ReadStream with a cancelled context")
		_, err = collect(st.ReadAll(cancelled, eventstore.ReadAllOptions{}))
		wantIs(t, err, context.Canceled, "ReadAll with a cancelled context")
		_, err = collect(st.Subscribe(cancelled, eventstore.ReadAllOptions{PollInterval: s.cfg.pollInterval}))
		wantIs(t, err, context.Canceled, "Subscribe with a cancelled context")
		wantIs(t, st.Delete(cancelled, "in-2", eventstore.Any), context.Canceled, "Delete with a cancelled context")
		wantIs(t, st.Tombstone(cancelled, "in-2", eventstore.Any), context.Canceled, "Tombstone with a cancelled context")
		if i := info(t, ctx, st, "in-2"); i.State != eventstore.StreamActive {
			t.Errorf("after cancelled deletes the stream is %v, want active", i.State)
		}
	})

	badIDs := []string{"", strings.Repeat("s", eventstore.MaxStreamIDLength+1), "$system"}
	s.run(t, "other operations reject bad stream IDs", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		// Reading, describing or deleting a stream that cannot exist may say so either way.
		either := func(err error, what string) {
			t.Helper()
			if !errors.Is(err, eventstore.ErrInvalidInput) && !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Errorf("%s: want an error matching ErrInvalidInput or ErrStreamNotFound, got %v", what, err)
			}
		}
		for _, id := range badIDs {
			_, err := collect(st.ReadStream(ctx, id, eventstore.ReadStreamOptions{}))
			either(err, "ReadStream("+id+")")
			either(st.Delete(ctx, id, eventstore.Any), "Delete("+id+")")
			if err := st.Tombstone(ctx, id, eventstore.Any); !errors.Is(err, eventstore.ErrInvalidInput) {
				t.Errorf("Tombstone(%q): want an error matching ErrInvalidInput, got %v", id, err)
			}
		}
	})
}

func one() []eventstore.EventData { return []eventstore.EventData{{Type: "A", Data: []byte("a")}} }

func (s *suite) testBeforeCommit(t *testing.T) {
	s.run(t, "hook runs once per append", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		var calls atomic.Int32
		hctx := eventstore.WithBeforeCommit(ctx, func(context.Context) error { calls.Add(1); return nil })
		mustAppend(t, hctx, st, "hook-1", eventstore.NoStream, evs(3, "A", "a")...)
		if n := calls.Load(); n != 1 {
			t.Errorf("hook ran %d times for one append, want 1", n)
		}
	})

	s.run(t, "hook error rolls the append back", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "hook-2", eventstore.NoStream, ev("A", "a"))
		before := s.snapshot(t, ctx, st, "hook-2")
		crash := errors.New("simulated crash before commit")
		hctx := eventstore.WithBeforeCommit(ctx, func(context.Context) error { return crash })
		batch := evs(3, "B", "b")
		_, err := st.Append(hctx, "hook-2", eventstore.Exactly(1), batch...)
		wantIs(t, err, crash, "append whose hook failed")
		s.unchanged(t, ctx, st, before, "append whose hook failed")
		// The retry is not a duplicate: the failed attempt left nothing behind.
		res := mustAppend(t, ctx, st, "hook-2", eventstore.Exactly(1), batch...)
		if res.Duplicate || res.FirstVersion != 2 || res.LastVersion != 4 {
			t.Errorf("retry after the failed attempt: %+v, want a fresh commit of versions 2..4", res)
		}
	})
}
