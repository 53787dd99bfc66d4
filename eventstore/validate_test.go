package eventstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestValidateStreamID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id string
		ok bool
	}{
		{"order-42", true},
		{"a", true},
		{"ünïcode/stream:1", true},
		{"has$dollar", true},
		{strings.Repeat("x", MaxStreamIDLength), true},
		{"", false},
		{strings.Repeat("x", MaxStreamIDLength+1), false},
		{"$all", false},
		{"bad\xffutf8", false},
		{"tab\there", false},
		{"nul\x00", false},
		{"del\u007f", false},
	}
	for _, tc := range cases {
		err := ValidateStreamID(tc.id)
		if tc.ok != (err == nil) {
			t.Errorf("ValidateStreamID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
		if err != nil {
			var ie *InputError
			if !errors.Is(err, ErrInvalidInput) || !errors.As(err, &ie) || ie.Field != "stream ID" || ie.Problem == "" {
				t.Errorf("ValidateStreamID(%q) = %#v, want an *InputError for the stream ID", tc.id, err)
			}
		}
	}
}

func TestPrepareAppendRejects(t *testing.T) {
	t.Parallel()
	dup := uuid.New()
	many := make([]EventData, MaxAppendEvents+1)
	for i := range many {
		many[i].Type = "A"
	}
	cases := []struct {
		name   string
		stream string
		events []EventData
		field  string
	}{
		{"bad stream", "", []EventData{{Type: "A"}}, "stream ID"},
		{"no events", "s", nil, "events"},
		{"too many events", "s", many, "events"},
		{"empty type", "s", []EventData{{Type: "A"}, {}}, "events[1].Type"},
		{"long type", "s", []EventData{{Type: strings.Repeat("t", MaxEventTypeLength+1)}}, "events[0].Type"},
		{"type not UTF-8", "s", []EventData{{Type: "\xff"}}, "events[0].Type"},
		{"duplicate ID", "s", []EventData{{ID: dup, Type: "A"}, {ID: dup, Type: "B"}}, "events[1].ID"},
		{"oversized data", "s", []EventData{{Type: "A", Data: make([]byte, MaxEventSize-1)}}, "events[0]"},
		{"oversized metadata", "s", []EventData{{Type: "A", Metadata: Metadata{CausationID: strings.Repeat("c", MaxEventSize)}}}, "events[0]"},
	}
	for _, tc := range cases {
		_, _, err := PrepareAppend(context.Background(), tc.stream, tc.events)
		var ie *InputError
		if !errors.Is(err, ErrInvalidInput) || !errors.As(err, &ie) {
			t.Errorf("%s: got %v, want an *InputError", tc.name, err)
			continue
		}
		if ie.Field != tc.field {
			t.Errorf("%s: field %q, want %q", tc.name, ie.Field, tc.field)
		}
		if !strings.Contains(err.Error(), ie.Problem) {
			t.Errorf("%s: message %q omits the problem", tc.name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := PrepareAppend(ctx, "s", []EventData{{Type: "A"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v, want context.Canceled", err)
	}
}

func TestPrepareAppendPrepares(t *testing.T) {
	t.Parallel()
	given := uuid.New()
	in := []EventData{
		{Type: "A", Data: []byte("1")},
		{ID: given, Type: "B", Metadata: Metadata{CorrelationID: "c", Headers: map[string]string{"k": "v"}}},
		{Type: "C", Data: make([]byte, MaxEventSize-2)}, // exactly the limit with "{}" metadata
	}
	out, metas, err := PrepareAppend(context.Background(), "s", in)
	if err != nil {
		t.Fatal(err)
	}
	if in[0].ID != uuid.Nil {
		t.Error("PrepareAppend modified its input")
	}
	if out[0].ID.Version() != 7 || out[2].ID.Version() != 7 || out[0].ID == out[2].ID {
		t.Errorf("generated IDs %v, %v: want two distinct UUIDv7", out[0].ID, out[2].ID)
	}
	if out[1].ID != given {
		t.Errorf("given ID changed to %v", out[1].ID)
	}
	if string(metas[0]) != "{}" {
		t.Errorf("empty metadata encoded as %s, want {}", metas[0])
	}
	m, err := UnmarshalMetadata(metas[1])
	if err != nil || m.CorrelationID != "c" || m.Headers["k"] != "v" {
		t.Errorf("metadata round trip = %+v, %v", m, err)
	}
}

func TestMetadataCodec(t *testing.T) {
	t.Parallel()
	full := Metadata{CorrelationID: "a", CausationID: "b", TraceParent: "c", TraceState: "d", SchemaFingerprint: 1<<64 - 1, Headers: map[string]string{"x": "y"}}
	b, err := MarshalMetadata(full)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalMetadata(b)
	if err != nil || got.SchemaFingerprint != full.SchemaFingerprint || got.TraceState != "d" || got.Headers["x"] != "y" {
		t.Errorf("round trip of %+v via %s = %+v, %v", full, b, got, err)
	}
	if full.IsZero() || !(Metadata{}).IsZero() {
		t.Error("IsZero is wrong")
	}
	if m, err := UnmarshalMetadata(nil); err != nil || !m.IsZero() {
		t.Errorf("UnmarshalMetadata(nil) = %+v, %v", m, err)
	}
	if _, err := UnmarshalMetadata([]byte("{not json")); err == nil {
		t.Error("UnmarshalMetadata accepted invalid JSON")
	}
}

func TestMatchCommitted(t *testing.T) {
	t.Parallel()
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	committedEvent := func(id uuid.UUID, stream string, version uint64, typ, data string) Event {
		return Event{ID: id, StreamID: stream, Version: version, Position: Position{Pos: 10 + version}, Type: typ, Data: []byte(data)}
	}
	stored := map[uuid.UUID]Event{
		a: committedEvent(a, "s", 3, "A", "a"),
		b: committedEvent(b, "s", 4, "B", "b"),
	}
	batch := []EventData{{ID: a, Type: "A", Data: []byte("a")}, {ID: b, Type: "B", Data: []byte("b")}}

	if _, ok, err := MatchCommitted("s", batch, nil); ok || err != nil {
		t.Errorf("nothing committed: ok=%v err=%v, want a new append", ok, err)
	}
	res, ok, err := MatchCommitted("s", batch, stored)
	if err != nil || !ok {
		t.Fatalf("exact retry: ok=%v err=%v", ok, err)
	}
	want := AppendResult{StreamID: "s", FirstVersion: 3, LastVersion: 4, Position: Position{Pos: 14}, EventIDs: []uuid.UUID{a, b}, Duplicate: true}
	if res.StreamID != want.StreamID || res.FirstVersion != 3 || res.LastVersion != 4 || res.Position != want.Position || !res.Duplicate || len(res.EventIDs) != 2 || res.EventIDs[0] != a || res.EventIDs[1] != b {
		t.Errorf("retry result %+v, want %+v", res, want)
	}

	bad := []struct {
		name      string
		stream    string
		batch     []EventData
		committed map[uuid.UUID]Event
		id        uuid.UUID
	}{
		{"partial overlap", "s", []EventData{batch[1], {ID: c, Type: "C"}}, stored, b},
		{"fresh event first", "s", []EventData{{ID: c, Type: "C"}, batch[0]}, stored, a},
		{"other stream", "t", batch, stored, a},
		{"other type", "s", []EventData{{ID: a, Type: "X", Data: []byte("a")}, batch[1]}, stored, a},
		{"other data", "s", []EventData{batch[0], {ID: b, Type: "B", Data: []byte("changed")}}, stored, b},
		{"other order", "s", []EventData{batch[1], batch[0]}, stored, a},
		{"not consecutive", "s", batch, map[uuid.UUID]Event{a: stored[a], b: committedEvent(b, "s", 9, "B", "b")}, b},
	}
	for _, tc := range bad {
		_, ok, err := MatchCommitted(tc.stream, tc.batch, tc.committed)
		var de *DuplicateEventError
		if ok || !errors.Is(err, ErrDuplicateEventID) || !errors.As(err, &de) {
			t.Errorf("%s: ok=%v err=%v, want a *DuplicateEventError", tc.name, ok, err)
			continue
		}
		if de.EventID != tc.id.String() || de.StreamID != tc.stream || de.Reason == "" {
			t.Errorf("%s: %+v, want event %v in stream %q with a reason", tc.name, *de, tc.id, tc.stream)
		}
	}
}
