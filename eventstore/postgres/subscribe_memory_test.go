package postgres_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/esgen/esgen/eventstore"
)

// A subscriber that stops reading holds at most one page: events appended meanwhile stay in
// the database, not in the subscriber's memory. Not parallel, so no other test's allocations
// share the heap it measures.
func TestSubscribeSlowConsumerKeepsMemoryFlat(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	const (
		events  = 240
		size    = 256 << 10 // 60 MiB in all
		maxGrow = 16 << 20
	)
	payload := bytes.Repeat([]byte{'x'}, size)
	if _, err := s.Append(ctx, "first", eventstore.NoStream, eventstore.EventData{Type: "T", Data: []byte("1")}); err != nil {
		t.Fatal(err)
	}

	got := make(chan eventstore.Event)
	resume := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		n := 0
		for e, err := range s.Subscribe(ctx, eventstore.ReadAllOptions{PageSize: 2}) {
			if err != nil {
				done <- err
				return
			}
			got <- e
			if n++; n == 1 {
				<-resume // a consumer that stops reading for a while
			}
			if n == events+1 {
				done <- nil
				return
			}
		}
	}()
	<-got

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < events; i += 4 {
		batch := make([]eventstore.EventData, 4)
		for j := range batch {
			batch[j] = eventstore.EventData{Type: "T", Data: payload}
		}
		if _, err := s.Append(ctx, "big", eventstore.Any, batch...); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > maxGrow {
		t.Fatalf("the heap grew by %d MiB while the subscriber stalled behind %d MiB of appends; a subscription must hold at most a page",
			grow>>20, events*size>>20)
	}

	close(resume)
	for i := 1; i <= events; i++ {
		e := <-got
		if e.StreamID != "big" || e.Version != uint64(i) || len(e.Data) != size {
			t.Fatalf("event %d after the stall: %s v%d (%d bytes), want big v%d", i, e.StreamID, e.Version, len(e.Data), i)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
