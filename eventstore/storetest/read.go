package storetest

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

func (s *suite) testReadStream(t *testing.T) {
	// seed writes 10 events to rs-a in three appends, interleaved with rs-b and rs-ab.
	seed := func(t *testing.T) (eventstore.Store, []eventstore.EventData) {
		ctx := s.ctx(t)
		st := s.store(t)
		var all []eventstore.EventData
		for i, n := range []int{3, 3, 4} {
			batch := evs(n, fmt.Sprintf("T%d", i), fmt.Sprintf("a%d", i))
			mustAppend(t, ctx, st, "rs-a", eventstore.Any, batch...)
			all = append(all, batch...)
			mustAppend(t, ctx, st, "rs-b", eventstore.Any, evs(2, "Other", "b")...)
			mustAppend(t, ctx, st, "rs-ab", eventstore.Any, evs(1, "Other", "ab")...)
		}
		return st, all
	}
	cases := []struct {
		name string
		opts eventstore.ReadStreamOptions
		want []uint64
	}{
		{"forward from the start", eventstore.ReadStreamOptions{}, seq(1, 10)},
		{"forward from 1", eventstore.ReadStreamOptions{From: 1}, seq(1, 10)},
		{"forward from 4", eventstore.ReadStreamOptions{From: 4}, seq(4, 10)},
		{"forward from 4 limit 3", eventstore.ReadStreamOptions{From: 4, Limit: 3}, seq(4, 6)},
		{"forward limit 1", eventstore.ReadStreamOptions{Limit: 1}, seq(1, 1)},
		{"forward from the last", eventstore.ReadStreamOptions{From: 10}, seq(10, 10)},
		{"forward past the end", eventstore.ReadStreamOptions{From: 11}, nil},
		{"backward from the end", eventstore.ReadStreamOptions{Direction: eventstore.Backward}, seq(10, 1)},
		{"backward from 7 limit 3", eventstore.ReadStreamOptions{Direction: eventstore.Backward, From: 7, Limit: 3}, seq(7, 5)},
		{"backward from 1", eventstore.ReadStreamOptions{Direction: eventstore.Backward, From: 1}, seq(1, 1)},
		{"backward from past the end", eventstore.ReadStreamOptions{Direction: eventstore.Backward, From: 100}, seq(10, 1)},
		{"backward limit 2", eventstore.ReadStreamOptions{Direction: eventstore.Backward, Limit: 2}, seq(10, 9)},
	}
	for _, tc := range cases {
		s.run(t, tc.name, func(t *testing.T) {
			st, all := seed(t)
			got := readStream(t, s.ctx(t), st, "rs-a", tc.opts)
			if !slices.Equal(versions(got), tc.want) {
				t.Fatalf("versions %v, want %v", versions(got), tc.want)
			}
			for _, e := range got {
				want := all[e.Version-1]
				if e.StreamID != "rs-a" || e.ID != want.ID || e.Type != want.Type || !bytes.Equal(e.Data, want.Data) {
					t.Errorf("version %d: got stream %q ID %v type %q data %q, want rs-a %v %q %q",
						e.Version, e.StreamID, e.ID, e.Type, e.Data, want.ID, want.Type, want.Data)
				}
			}
		})
	}

	s.run(t, "absent stream is ErrStreamNotFound", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		mustAppend(t, ctx, st, "rs-present", eventstore.NoStream, ev("A", "a"))
		for _, d := range []eventstore.Direction{eventstore.Forward, eventstore.Backward} {
			got, err := collect(st.ReadStream(ctx, "rs-absent", eventstore.ReadStreamOptions{Direction: d}))
			wantIs(t, err, eventstore.ErrStreamNotFound, "reading an absent stream")
			if len(got) != 0 {
				t.Errorf("absent stream yielded %d events before the error", len(got))
			}
		}
	})

	s.run(t, "long stream reads across pages", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		n := eventstore.DefaultPageSize*2 + 37
		if testing.Short() {
			n = eventstore.DefaultPageSize + 37
		}
		var want []uuid.UUID
		for len(want) < n {
			batch := evs(min(100, n-len(want)), "Long", "l")
			mustAppend(t, ctx, st, "rs-long", eventstore.Any, batch...)
			want = append(want, dataIDs(batch)...)
		}
		fwd := readStream(t, ctx, st, "rs-long", eventstore.ReadStreamOptions{})
		if !slices.Equal(versions(fwd), seq(1, uint64(n))) || !slices.Equal(ids(fwd), want) {
			t.Fatalf("forward read of %d events: got %d events, versions or IDs wrong", n, len(fwd))
		}
		all := readStream(t, ctx, st, "rs-long", eventstore.ReadStreamOptions{Direction: eventstore.Backward})
		if !slices.Equal(versions(all), seq(uint64(n), 1)) {
			t.Fatalf("backward read of %d events: got %d events, versions wrong", n, len(all))
		}
		// A window that starts mid-page and spans a page boundary.
		from, limit := uint64(n/4+3), eventstore.DefaultPageSize+5
		mid := readStream(t, ctx, st, "rs-long", eventstore.ReadStreamOptions{From: from, Limit: limit})
		if !slices.Equal(versions(mid), seq(from, min(uint64(n), from+uint64(limit)-1))) {
			t.Fatalf("forward read from %d limit %d: got %d events, versions wrong", from, limit, len(mid))
		}
		top := n - int(from)
		back := readStream(t, ctx, st, "rs-long", eventstore.ReadStreamOptions{Direction: eventstore.Backward, From: uint64(top), Limit: limit})
		if want := seq(uint64(top), uint64(max(1, top-limit+1))); !slices.Equal(versions(back), want) {
			t.Fatalf("backward read from %d limit %d: got %d events, versions wrong", top, limit, len(back))
		}
	})
}

func (s *suite) testReadAll(t *testing.T) {
	// seed appends to three streams with two types, in a known order, and returns the IDs in
	// append order with the event they came from.
	type appended struct {
		stream string
		data   eventstore.EventData
	}
	seed := func(t *testing.T) (eventstore.Store, []appended) {
		ctx := s.ctx(t)
		st := s.store(t)
		var all []appended
		for i := range 6 {
			for _, stream := range []string{"order-1", "order-2", "user-1"} {
				typ := "Created"
				if i > 0 {
					typ = "Updated"
				}
				batch := evs(1+i%2, typ, fmt.Sprintf("%s-%d", stream, i))
				mustAppend(t, ctx, st, stream, eventstore.Any, batch...)
				for _, e := range batch {
					all = append(all, appended{stream, e})
				}
			}
		}
		return st, all
	}
	filter := func(all []appended, keep func(appended) bool) []uuid.UUID {
		var out []uuid.UUID
		for _, a := range all {
			if keep(a) {
				out = append(out, a.data.ID)
			}
		}
		return out
	}

	s.run(t, "empty store", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		if got := s.readAll(t, ctx, st, eventstore.ReadAllOptions{}); len(got) != 0 {
			t.Errorf("ReadAll on an empty store returned %d events", len(got))
		}
	})

	s.run(t, "everything in commit order", func(t *testing.T) {
		st, all := seed(t)
		got := s.readAll(t, s.ctx(t), st, eventstore.ReadAllOptions{})
		want := filter(all, func(appended) bool { return true })
		if !slices.Equal(ids(got), want) {
			t.Fatalf("ReadAll returned %d events, want %d in append order", len(got), len(want))
		}
		byID := map[uuid.UUID]eventstore.Position{}
		for _, stream := range []string{"order-1", "order-2", "user-1"} {
			for _, e := range readStream(t, s.ctx(t), st, stream, eventstore.ReadStreamOptions{}) {
				byID[e.ID] = e.Position
			}
		}
		last := map[string]uint64{}
		for i, e := range got {
			if p, ok := byID[e.ID]; !ok || p != e.Position {
				t.Errorf("event %v: position %v in ReadAll, %v in ReadStream; want the same", e.ID, e.Position, p)
			}
			if i > 0 && !got[i-1].Position.Less(e.Position) {
				t.Errorf("positions not strictly increasing: %v then %v", got[i-1].Position, e.Position)
			}
			if e.Version != last[e.StreamID]+1 {
				t.Errorf("stream %q: version %d follows %d in the log", e.StreamID, e.Version, last[e.StreamID])
			}
			last[e.StreamID] = e.Version
			if e.StreamID != all[i].stream || e.Type != all[i].data.Type || !bytes.Equal(e.Data, all[i].data.Data) {
				t.Errorf("event %d: got %q %q %q, want %q %q %q", i, e.StreamID, e.Type, e.Data, all[i].stream, all[i].data.Type, all[i].data.Data)
			}
		}
	})

	s.run(t, "resume from every checkpoint", func(t *testing.T) {
		st, _ := seed(t)
		ctx := s.ctx(t)
		got := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
		for k := range got {
			rest := s.readAll(t, ctx, st, eventstore.ReadAllOptions{After: got[k].Position})
			if !slices.Equal(ids(rest), ids(got[k+1:])) {
				t.Fatalf("after checkpoint %v (event %d): got %d events, want the %d that follow", got[k].Position, k, len(rest), len(got)-k-1)
			}
		}
	})

	cases := []struct {
		name string
		opts eventstore.ReadAllOptions
		keep func(appended) bool
		max  int
	}{
		{"type filter", eventstore.ReadAllOptions{Types: []string{"Created"}},
			func(a appended) bool { return a.data.Type == "Created" }, 0},
		{"two types", eventstore.ReadAllOptions{Types: []string{"Created", "Updated"}},
			func(a appended) bool { return true }, 0},
		{"unknown type", eventstore.ReadAllOptions{Types: []string{"Nope"}},
			func(a appended) bool { return false }, 0},
		{"stream prefix", eventstore.ReadAllOptions{StreamPrefix: "order-"},
			func(a appended) bool { return a.stream != "user-1" }, 0},
		{"stream prefix and type", eventstore.ReadAllOptions{StreamPrefix: "order-", Types: []string{"Updated"}},
			func(a appended) bool { return a.stream != "user-1" && a.data.Type == "Updated" }, 0},
		{"limit", eventstore.ReadAllOptions{Limit: 4},
			func(a appended) bool { return true }, 4},
		{"limit with filter", eventstore.ReadAllOptions{Limit: 3, StreamPrefix: "user-"},
			func(a appended) bool { return a.stream == "user-1" }, 3},
		{"small pages", eventstore.ReadAllOptions{PageSize: 2},
			func(a appended) bool { return true }, 0},
		{"small pages with filter", eventstore.ReadAllOptions{PageSize: 1, StreamPrefix: "order-2"},
			func(a appended) bool { return a.stream == "order-2" }, 0},
	}
	for _, tc := range cases {
		s.run(t, tc.name, func(t *testing.T) {
			st, all := seed(t)
			got := s.readAll(t, s.ctx(t), st, tc.opts)
			want := filter(all, tc.keep)
			if tc.max > 0 && len(want) > tc.max {
				want = want[:tc.max]
			}
			if !slices.Equal(ids(got), want) {
				t.Fatalf("ReadAll(%+v) returned %d events, want %d (IDs or order differ)", tc.opts, len(got), len(want))
			}
		})
	}

	s.run(t, "large appends across pages", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		size := 700
		if testing.Short() {
			size = 150
		}
		var want []uuid.UUID
		for i := range 3 {
			r := mustAppend(t, ctx, st, fmt.Sprintf("big-%d", i%2), eventstore.Any, evs(size, "Big", "b")...)
			want = append(want, r.EventIDs...)
			r = mustAppend(t, ctx, st, "small", eventstore.Any, ev("Small", "s"))
			want = append(want, r.EventIDs...)
		}
		for _, page := range []int{0, 128, 7} {
			got := s.readAll(t, ctx, st, eventstore.ReadAllOptions{PageSize: page})
			if !slices.Equal(ids(got), want) {
				t.Fatalf("ReadAll with page size %d returned %d events, want %d in append order", page, len(got), len(want))
			}
		}
		// Resume from checkpoints inside one append's events.
		all := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
		for _, k := range []int{0, 1, size / 2, size - 1, size, size + 1, 2*size + 1} {
			rest := s.readAll(t, ctx, st, eventstore.ReadAllOptions{After: all[k].Position, PageSize: 100})
			if !slices.Equal(ids(rest), ids(all[k+1:])) {
				t.Fatalf("after checkpoint %v (event %d): got %d events, want the %d that follow", all[k].Position, k, len(rest), len(all)-k-1)
			}
		}
	})

	s.run(t, "stream prefix is literal", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		// SQL LIKE and glob wildcards, escapes and case must not leak into prefix matching.
		streams := []string{"a_b-1", "axb-1", "100%-1", "1000-1", `back\slash-1`, `backxslash-1`, "Case-1", "case-1", "ünï-1", "un-1", "a*b-1", "aab-1", "a[b]-1"}
		idOf := map[string]uuid.UUID{}
		for _, id := range streams {
			idOf[id] = mustAppend(t, ctx, st, id, eventstore.NoStream, ev("A", id)).EventIDs[0]
		}
		cases := map[string][]string{
			"a_b":     {"a_b-1"},
			"100%":    {"100%-1"},
			`back\sl`: {`back\slash-1`},
			"case":    {"case-1"},
			"ünï":     {"ünï-1"},
			"a*":      {"a*b-1"},
			"a[b]":    {"a[b]-1"},
			"a":       {"a_b-1", "axb-1", "a*b-1", "aab-1", "a[b]-1"},
		}
		for prefix, want := range cases {
			got := s.readAll(t, ctx, st, eventstore.ReadAllOptions{StreamPrefix: prefix})
			var gotStreams []string
			for _, e := range got {
				gotStreams = append(gotStreams, e.StreamID)
			}
			slices.Sort(gotStreams)
			slices.Sort(want)
			if !slices.Equal(gotStreams, want) {
				t.Errorf("StreamPrefix %q matched %q, want %q", prefix, gotStreams, want)
			}
		}
		for _, id := range streams {
			got := readStream(t, ctx, st, id, eventstore.ReadStreamOptions{})
			if len(got) != 1 || got[0].ID != idOf[id] || got[0].StreamID != id {
				t.Errorf("stream %q does not read back its one event", id)
			}
		}
	})

	s.run(t, "after the head is empty", func(t *testing.T) {
		st, _ := seed(t)
		ctx := s.ctx(t)
		h := s.head(t, ctx, st)
		if got := s.readAll(t, ctx, st, eventstore.ReadAllOptions{After: h}); len(got) != 0 {
			t.Errorf("ReadAll after Head %v returned %d events", h, len(got))
		}
	})
}

func (s *suite) testMetadata(t *testing.T) {
	s.run(t, "round trip", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		full := eventstore.Metadata{
			CorrelationID:     "corr-1",
			CausationID:       "cmd-7",
			TraceParent:       "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			TraceState:        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
			SchemaFingerprint: 1<<63 + 12345, // above the int64 range
			Headers:           map[string]string{"tenant": "acme", "ünïcode": "✓ \"quoted\"", "empty": ""},
		}
		binary := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0}
		batch := []eventstore.EventData{
			{ID: uuid.New(), Type: "Full", Data: binary, Metadata: full},
			{ID: uuid.New(), Type: "Bare", Data: []byte(`{"json":true}`)},
			{ID: uuid.New(), Type: "NoData"},
		}
		before := time.Now()
		mustAppend(t, ctx, st, "meta-1", eventstore.NoStream, batch...)
		after := time.Now()
		got := readStream(t, ctx, st, "meta-1", eventstore.ReadStreamOptions{})
		if len(got) != 3 {
			t.Fatalf("read %d events, want 3", len(got))
		}
		fromLog := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
		if len(fromLog) != 3 {
			t.Fatalf("ReadAll returned %d events, want 3", len(fromLog))
		}
		for i, e := range got {
			want := batch[i]
			if !bytes.Equal(e.Data, want.Data) {
				t.Errorf("%s: data %q, want %q", want.Type, e.Data, want.Data)
			}
			if !sameMetadata(e.Metadata, want.Metadata) {
				t.Errorf("%s: metadata %+v, want %+v", want.Type, e.Metadata, want.Metadata)
			}
			if !sameMetadata(fromLog[i].Metadata, want.Metadata) || !bytes.Equal(fromLog[i].Data, want.Data) {
				t.Errorf("%s: ReadAll returned metadata %+v data %q, want %+v %q", want.Type, fromLog[i].Metadata, fromLog[i].Data, want.Metadata, want.Data)
			}
			s.checkRecordedAt(t, e, before, after)
			if !fromLog[i].RecordedAt.Equal(e.RecordedAt) {
				t.Errorf("%s: RecordedAt is %v in ReadStream but %v in ReadAll", want.Type, e.RecordedAt, fromLog[i].RecordedAt)
			}
		}
		if !got[1].Metadata.IsZero() {
			t.Errorf("event appended without metadata reads back with %+v", got[1].Metadata)
		}
	})

	s.run(t, "stored events do not alias the caller's buffers", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		data := []byte("original")
		headers := map[string]string{"k": "v"}
		mustAppend(t, ctx, st, "meta-2", eventstore.NoStream, eventstore.EventData{Type: "A", Data: data, Metadata: eventstore.Metadata{Headers: headers}})
		copy(data, "mutated!")
		headers["k"] = "mutated"
		got := readStream(t, ctx, st, "meta-2", eventstore.ReadStreamOptions{})
		if len(got) != 1 {
			t.Fatalf("read %d events, want 1", len(got))
		}
		if string(got[0].Data) != "original" || got[0].Metadata.Headers["k"] != "v" {
			t.Fatalf("after the caller changed its buffers the event reads %q %v, want \"original\" map[k:v]", got[0].Data, got[0].Metadata.Headers)
		}
		got[0].Data[0] = 'X'
		got[0].Metadata.Headers["k"] = "X"
		again := readStream(t, ctx, st, "meta-2", eventstore.ReadStreamOptions{})
		if len(again) != 1 {
			t.Fatalf("read %d events, want 1", len(again))
		}
		if string(again[0].Data) != "original" || again[0].Metadata.Headers["k"] != "v" {
			t.Fatalf("changing a read event changed the store: reads %q %v", again[0].Data, again[0].Metadata.Headers)
		}
	})
}

func (s *suite) checkRecordedAt(t *testing.T, e eventstore.Event, before, after time.Time) {
	t.Helper()
	if e.RecordedAt.IsZero() {
		t.Errorf("event %d: RecordedAt is zero", e.Version)
		return
	}
	if e.RecordedAt.Location() != time.UTC {
		t.Errorf("event %d: RecordedAt %v is not in UTC", e.Version, e.RecordedAt)
	}
	// Stores may keep microseconds or milliseconds only.
	lo := before.Add(-s.cfg.clockSkew).Truncate(time.Millisecond)
	hi := after.Add(s.cfg.clockSkew)
	if e.RecordedAt.Before(lo) || e.RecordedAt.After(hi) {
		t.Errorf("event %d: RecordedAt %v is outside the append's interval [%v, %v] widened by ClockSkew %v",
			e.Version, e.RecordedAt, before.UTC(), after.UTC(), s.cfg.clockSkew)
	}
}

// sameMetadata compares metadata, treating nil and empty header maps alike.
func sameMetadata(a, b eventstore.Metadata) bool {
	return a.CorrelationID == b.CorrelationID && a.CausationID == b.CausationID &&
		a.TraceParent == b.TraceParent && a.TraceState == b.TraceState &&
		a.SchemaFingerprint == b.SchemaFingerprint && maps.Equal(a.Headers, b.Headers)
}

func (s *suite) testStreamInfo(t *testing.T) {
	s.run(t, "lifecycle", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		check := func(stream string, version uint64, state eventstore.StreamState) {
			t.Helper()
			want := eventstore.StreamInfo{StreamID: stream, Version: version, State: state}
			if got := info(t, ctx, st, stream); got != want {
				t.Errorf("StreamInfo(%q) = %+v, want %+v", stream, got, want)
			}
		}
		check("info-1", 0, eventstore.StreamAbsent)
		mustAppend(t, ctx, st, "info-1", eventstore.NoStream, evs(3, "A", "a")...)
		check("info-1", 3, eventstore.StreamActive)
		check("info-2", 0, eventstore.StreamAbsent)
		if err := st.Delete(ctx, "info-1", eventstore.Exactly(3)); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		check("info-1", 3, eventstore.StreamSoftDeleted)
		mustAppend(t, ctx, st, "info-1", eventstore.NoStream, evs(1, "A", "b")...)
		check("info-1", 4, eventstore.StreamActive)
		if err := st.Tombstone(ctx, "info-1", eventstore.Exactly(4)); err != nil {
			t.Fatalf("Tombstone: %v", err)
		}
		check("info-1", 4, eventstore.StreamTombstoned)
	})
}

func (s *suite) testHead(t *testing.T) {
	s.run(t, "follows appends", func(t *testing.T) {
		ctx := s.ctx(t)
		st := s.store(t)
		if h := s.head(t, ctx, st); h != eventstore.Start {
			t.Errorf("Head of an empty store = %v, want Start", h)
		}
		var last eventstore.Position
		for i := range 3 {
			res := mustAppend(t, ctx, st, fmt.Sprintf("head-%d", i), eventstore.NoStream, evs(i+1, "A", "a")...)
			h := s.head(t, ctx, st)
			if h != res.Position {
				t.Errorf("after append %d Head = %v, want the append's position %v", i, h, res.Position)
			}
			if !last.Less(h) {
				t.Errorf("Head did not advance: %v then %v", last, h)
			}
			last = h
		}
		all := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
		if len(all) != 6 {
			t.Fatalf("ReadAll returned %d events, want 6", len(all))
		}
		if all[len(all)-1].Position != last {
			t.Errorf("Head %v is not the last event's position %v", last, all[len(all)-1].Position)
		}
	})
}
