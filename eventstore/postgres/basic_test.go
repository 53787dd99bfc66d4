package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/esgen/esgen/eventstore"
)

func collect(t *testing.T, seq func(func(eventstore.Event, error) bool)) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for e, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestAppendAndRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	md := eventstore.Metadata{CorrelationID: "c1", Headers: map[string]string{"k": "v"}, SchemaFingerprint: 1 << 63}
	res, err := s.Append(ctx, "order-1", eventstore.NoStream,
		eventstore.EventData{Type: "A", Data: []byte("a"), Metadata: md},
		eventstore.EventData{Type: "B", Data: []byte("b")})
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstVersion != 1 || res.LastVersion != 2 || res.Duplicate || res.Position.Tx == 0 {
		t.Fatalf("result %+v", res)
	}
	got := collect(t, s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{}))
	if len(got) != 2 || got[0].Type != "A" || string(got[1].Data) != "b" || got[0].Metadata.CorrelationID != "c1" ||
		got[0].Metadata.Headers["k"] != "v" || got[0].Metadata.SchemaFingerprint != 1<<63 || got[1].Position != res.Position {
		t.Fatalf("read back %+v", got)
	}
	all := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	if len(all) != 2 {
		t.Fatalf("read all: %d events", len(all))
	}
	h, err := s.Head(ctx)
	if err != nil || h != res.Position {
		t.Fatalf("head %v, %v; want %v", h, err, res.Position)
	}
	// Retry.
	again, err := s.Append(ctx, "order-1", eventstore.NoStream,
		eventstore.EventData{ID: res.EventIDs[0], Type: "A", Data: []byte("a"), Metadata: md},
		eventstore.EventData{ID: res.EventIDs[1], Type: "B", Data: []byte("b")})
	if err != nil || !again.Duplicate || again.Position != res.Position || again.LastVersion != 2 {
		t.Fatalf("retry: %+v, %v", again, err)
	}
	_, err = s.Append(ctx, "order-1", eventstore.Exactly(1), eventstore.EventData{Type: "C"})
	var vc *eventstore.VersionConflictError
	if !errors.As(err, &vc) || vc.Actual != 2 || !vc.Exists {
		t.Fatalf("conflict: %v", err)
	}
	_, err = s.Append(ctx, "order-2", eventstore.Any, eventstore.EventData{ID: res.EventIDs[0], Type: "A", Data: []byte("a")})
	if !errors.Is(err, eventstore.ErrDuplicateEventID) {
		t.Fatalf("reuse in other stream: %v", err)
	}
	if err := s.Delete(ctx, "order-1", eventstore.Exactly(2)); err != nil {
		t.Fatal(err)
	}
	for _, err := range s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{}) {
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Fatalf("read deleted: %v", err)
		}
	}
	res3, err := s.Append(ctx, "order-1", eventstore.NoStream, eventstore.EventData{Type: "C"})
	if err != nil || res3.FirstVersion != 3 {
		t.Fatalf("re-create: %+v %v", res3, err)
	}
	got = collect(t, s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{}))
	if len(got) != 1 || got[0].Version != 3 {
		t.Fatalf("re-created read %+v", got)
	}
	if err := s.Tombstone(ctx, "order-1", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "order-1", eventstore.Any, eventstore.EventData{Type: "C"}); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("append tombstoned: %v", err)
	}
}
