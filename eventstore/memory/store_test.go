package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
)

func TestWithClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	s := memory.New(memory.WithClock(func() time.Time { return at }))
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, "c-1", eventstore.NoStream, eventstore.EventData{Type: "A"}); err != nil {
		t.Fatal(err)
	}
	for e, err := range s.ReadStream(ctx, "c-1", eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if !e.RecordedAt.Equal(at) || e.RecordedAt.Location() != time.UTC {
			t.Errorf("RecordedAt = %v, want %v in UTC", e.RecordedAt, at)
		}
	}
}

// A filtered read over a long run of non-matching events scans it in bounded steps and still
// finds what follows.
func TestFilteredReadAcrossLongGaps(t *testing.T) {
	t.Parallel()
	s := memory.New()
	defer s.Close()
	ctx := context.Background()
	batch := make([]eventstore.EventData, 1000)
	for i := range batch {
		batch[i].Type = "Noise"
	}
	for range 10 {
		if _, err := s.Append(ctx, "noise", eventstore.Any, batch...); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Append(ctx, "signal", eventstore.NoStream, eventstore.EventData{Type: "Signal"})
	if err != nil {
		t.Fatal(err)
	}
	var got []eventstore.Event
	for e, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{Types: []string{"Signal"}, PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 1 || got[0].ID != res.EventIDs[0] || got[0].Position != (eventstore.Position{Pos: 10_001}) {
		t.Fatalf("filtered read returned %+v, want only the signal at 0/10001", got)
	}
}

// Positions from another backend (Tx != 0) lie after every memory position.
func TestForeignCheckpoint(t *testing.T) {
	t.Parallel()
	s := memory.New()
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, "f-1", eventstore.NoStream, eventstore.EventData{Type: "A"}); err != nil {
		t.Fatal(err)
	}
	for e, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{After: eventstore.Position{Tx: 1}}) {
		t.Fatalf("read after a foreign checkpoint returned %+v, %v", e, err)
	}
	if h, err := s.Head(ctx); err != nil || h != (eventstore.Position{Pos: 1}) {
		t.Fatalf("Head = %v, %v; want 0/1", h, err)
	}
}
