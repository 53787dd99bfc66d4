package memory_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/storetest"
)

// BenchmarkStore runs the benchmarks every backend shares.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, newStore)
}

// BenchmarkRawBaseline does the least any in-memory log must do for the same work: append
// copies of the same events to a slice under a mutex, and range over it. The ratio of
// BenchmarkStore to it is the price of validation, ID generation, metadata encoding,
// version checks, idempotency lookups and paging.
func BenchmarkRawBaseline(b *testing.B) {
	type rawLog struct {
		mu     sync.Mutex
		events []eventstore.Event
	}
	add := func(l *rawLog, stream string, batch []eventstore.EventData) {
		l.mu.Lock()
		defer l.mu.Unlock()
		now := time.Now().UTC()
		for _, e := range batch {
			l.events = append(l.events, eventstore.Event{
				ID: uuid.New(), StreamID: stream, Version: uint64(len(l.events) + 1),
				Position: eventstore.Position{Pos: uint64(len(l.events) + 1)},
				Type:     e.Type, Data: append([]byte(nil), e.Data...), Metadata: e.Metadata, RecordedAt: now,
			})
		}
	}
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("Append/events=%d", n), func(b *testing.B) {
			batch := make([]eventstore.EventData, n)
			for i := range batch {
				batch[i] = storetest.BenchEvent(i)
			}
			l := &rawLog{}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				add(l, fmt.Sprintf("bench-append-%d", i%storetest.BenchStreams), batch)
				i++
			}
			b.ReportMetric(float64(i*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
	b.Run("ReadAll/events=100000", func(b *testing.B) {
		l := &rawLog{}
		for i := range 100_000 {
			add(l, "bench-log", []eventstore.EventData{storetest.BenchEvent(i)})
		}
		b.ReportAllocs()
		reads := 0
		for b.Loop() {
			for i := range l.events {
				e := l.events[i]
				e.Data = append([]byte(nil), e.Data...)
				_ = e
			}
			reads++
		}
		b.ReportMetric(float64(reads*len(l.events))/b.Elapsed().Seconds(), "events/s")
	})
}
