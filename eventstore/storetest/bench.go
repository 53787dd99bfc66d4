package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore"
)

// Sizes of the shared benchmarks.
const (
	// BenchStreams is how many existing streams BenchAppend spreads its appends over.
	BenchStreams = 100
	// BenchPayloadSize is the data size of every benchmark event, in bytes.
	BenchPayloadSize = 100
)

// BenchEvent returns the event every shared benchmark appends: BenchPayloadSize bytes of
// data, a correlation and a causation ID, and a zero ID so the store generates one. Raw
// baselines should write the same bytes.
func BenchEvent(i int) eventstore.EventData {
	data := make([]byte, BenchPayloadSize)
	copy(data, fmt.Sprintf(`{"order":"order-%d","amount":%d,"currency":"EUR","note":"`, i, i*7))
	for j := len(data) - 2; j >= 0 && data[j] == 0; j-- {
		data[j] = 'x'
	}
	data[len(data)-1] = '}'
	return eventstore.EventData{
		Type:     "bench.OrderPlaced",
		Data:     data,
		Metadata: eventstore.Metadata{CorrelationID: "corr-bench", CausationID: fmt.Sprintf("cmd-%d", i)},
	}
}

func benchBatch(n, offset int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = BenchEvent(offset + i)
	}
	return out
}

// Bench runs every shared benchmark against stores from newStore, as sub-benchmarks named
// after what they measure:
//
//	Append/events=1, Append/events=10, Append/events=100
//	ConcurrentAppend/streams=1/goroutines=8, ConcurrentAppend/streams=1000/goroutines=8
//	ReadStream/events=10000
//	ReadAll/events=100000 (10000 under -short)
//	Subscribe/append-to-delivery
//
// Each reports events/s (Subscribe reports the latency as ns/op); ReadAll also reports the
// peak heap while reading.
func Bench(b *testing.B, newStore Factory) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("Append/events=%d", n), func(b *testing.B) { BenchAppend(b, newStore, n) })
	}
	for _, streams := range []int{1, 1000} {
		b.Run(fmt.Sprintf("ConcurrentAppend/streams=%d/goroutines=8", streams), func(b *testing.B) {
			BenchConcurrentAppend(b, newStore, streams, 8)
		})
	}
	b.Run("ReadStream/events=10000", func(b *testing.B) { BenchReadStream(b, newStore, 10_000) })
	logSize := 100_000
	if testing.Short() {
		logSize = 10_000
	}
	b.Run(fmt.Sprintf("ReadAll/events=%d", logSize), func(b *testing.B) { BenchReadAll(b, newStore, logSize) })
	b.Run("Subscribe/append-to-delivery", func(b *testing.B) { BenchSubscribe(b, newStore) })
}

// BenchSubscribe measures how long a live subscriber takes to receive an event: each
// iteration appends one event and waits until the subscription delivers it, so ns/op is
// the append plus the delivery latency (a store that only polls shows its poll interval).
// The store is created once; the measured loop runs in a sub-benchmark named "live".
func BenchSubscribe(b *testing.B, newStore Factory) {
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	st := newStore(b)
	delivered := make(chan eventstore.Event)
	failed := make(chan error, 1)
	go func() {
		for e, err := range st.Subscribe(ctx, eventstore.ReadAllOptions{StreamPrefix: "bench-sub"}) {
			if err != nil {
				if ctx.Err() == nil {
					failed <- err
				}
				return
			}
			select {
			case delivered <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	b.Run("live", func(b *testing.B) {
		b.ReportAllocs()
		stuck := time.NewTimer(time.Minute) // a subscription that stops delivering
		defer stuck.Stop()
		i := 0
		for b.Loop() {
			res, err := st.Append(ctx, "bench-sub", eventstore.Any, BenchEvent(i))
			if err != nil {
				b.Fatal(err)
			}
			i++
			stuck.Reset(time.Minute)
			for {
				select {
				case e := <-delivered:
					if e.ID != res.EventIDs[0] {
						continue
					}
				case err := <-failed:
					b.Fatalf("subscription: %v", err)
				case <-stuck.C:
					b.Fatalf("append %d was not delivered within a minute", i)
				}
				break
			}
		}
	})
}

// seed appends total events spread over streams (named prefix-0, prefix-1, ...) in batches
// of up to 1,000, and returns each stream's version.
func seed(b *testing.B, ctx context.Context, st eventstore.Store, prefix string, streams, total int) []uint64 {
	b.Helper()
	versions := make([]uint64, streams)
	per := (total + streams - 1) / streams
	written := 0
	for s := 0; s < streams && written < total; s++ {
		for left := min(per, total-written); left > 0; {
			n := min(left, 1000)
			res, err := st.Append(ctx, fmt.Sprintf("%s-%d", prefix, s), eventstore.Exactly(versions[s]), benchBatch(n, written)...)
			if err != nil {
				b.Fatalf("seeding: %v", err)
			}
			versions[s] = res.LastVersion
			left -= n
			written += n
		}
	}
	return versions
}

// BenchAppend measures appends of batch events per call to existing streams, with an
// exact expected version, round robin over [BenchStreams] streams. The store is created and
// seeded once; the measured loop runs in a sub-benchmark named "exact".
func BenchAppend(b *testing.B, newStore Factory, batch int) {
	ctx := b.Context()
	st := newStore(b)
	versions := seed(b, ctx, st, "bench-append", BenchStreams, BenchStreams)
	b.Run("exact", func(b *testing.B) {
		events := benchBatch(batch, 0)
		b.ReportAllocs()
		b.SetBytes(int64(batch * BenchPayloadSize))
		i := 0
		for b.Loop() {
			s := i % BenchStreams
			i++
			res, err := st.Append(ctx, fmt.Sprintf("bench-append-%d", s), eventstore.Exactly(versions[s]), events...)
			if err != nil {
				b.Fatal(err)
			}
			versions[s] = res.LastVersion
		}
		b.ReportMetric(float64(i*batch)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchConcurrentAppend measures single-event appends with expected version Any from
// goroutines goroutines to streams streams (streams == 1 is one hot stream). The store is
// created once; the measured loop runs in a sub-benchmark named "any".
func BenchConcurrentAppend(b *testing.B, newStore Factory, streams, goroutines int) {
	ctx := b.Context()
	st := newStore(b)
	names := make([]string, streams)
	for i := range names {
		names[i] = fmt.Sprintf("bench-conc-%d", i)
	}
	b.Run("any", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(BenchPayloadSize)
		var next atomic.Int64
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		b.ResetTimer()
		for range goroutines {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N || failed.Load() != nil {
						return
					}
					if _, err := st.Append(ctx, names[i%streams], eventstore.Any, BenchEvent(i)); err != nil {
						failed.CompareAndSwap(nil, &err)
						return
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		if err := failed.Load(); err != nil {
			b.Fatal(*err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchReadStream measures reading a whole stream of events events forward. The store is
// created and seeded once; the measured loop runs in a sub-benchmark named "forward".
func BenchReadStream(b *testing.B, newStore Factory, events int) {
	ctx := b.Context()
	st := newStore(b)
	seed(b, ctx, st, "bench-read", 1, events)
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(events * BenchPayloadSize))
		reads := 0
		for b.Loop() {
			n := 0
			for _, err := range st.ReadStream(ctx, "bench-read-0", eventstore.ReadStreamOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != events {
				b.Fatalf("read %d events, want %d", n, events)
			}
			reads++
		}
		b.ReportMetric(float64(reads*events)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchReadAll measures reading a global log of events events (spread over 100 streams)
// from the start with the default page size. The store is created and seeded once; the
// measured loop runs in a sub-benchmark named "from-start". Besides events/s it reports
// peak-heap-MiB, the largest heap in use while reading (sampled every 10,000 events), and
// base-heap-MiB, the heap in use before reading: a store that reads in bounded pages keeps
// the two close however long the log.
func BenchReadAll(b *testing.B, newStore Factory, events int) {
	ctx := b.Context()
	st := newStore(b)
	seed(b, ctx, st, "bench-log", 100, events)
	b.Run("from-start", func(b *testing.B) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapAlloc, ms.HeapAlloc
		b.ReportAllocs()
		b.SetBytes(int64(events * BenchPayloadSize))
		reads := 0
		for b.Loop() {
			n := 0
			for _, err := range st.ReadAll(ctx, eventstore.ReadAllOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
				if n%10_000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
			}
			if n != events {
				b.Fatalf("read %d events, want %d", n, events)
			}
			reads++
		}
		b.ReportMetric(float64(reads*events)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
	})
}
