package esdb_test

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/esdb"
	"github.com/esgen/esgen/eventstore/esdb/esdbtest"
	"github.com/esgen/esgen/eventstore/storetest"
)

// BenchmarkStore runs the shared store benchmarks through the adapter, against a real
// server when ESDB_CONNECTION_STRING is set and against the in-process test double
// otherwise (then client and "server" share the CPU, and the figures measure the adapter
// and gRPC, not EventStoreDB).
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, storeFactory())
}

// BenchmarkStoreWithoutReadBeforeAppend measures appends with esdb.WithoutReadBeforeAppend:
// one round trip per append, the server's idempotency alone.
func BenchmarkStoreWithoutReadBeforeAppend(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("Append/events=%d", n), func(b *testing.B) {
			storetest.BenchAppend(b, storeFactory(esdb.WithoutReadBeforeAppend()), n)
		})
	}
}

// BenchmarkRawClient does the same work as BenchmarkStore with the EventStoreDB client
// directly: same events, same batch sizes, no validation, no metadata encoding, no read
// before append, no paging. The ratio of the two is the adapter's price.
func BenchmarkRawClient(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("Append/events=%d/exact", n), func(b *testing.B) {
			client := benchClient(b)
			streams := make([]string, storetest.BenchStreams)
			revs := make([]uint64, len(streams))
			for i := range streams {
				streams[i] = "raw-append-" + uuid.NewString()
				revs[i] = math.MaxUint64 // no stream
			}
			events := rawBatch(n, 0)
			b.ReportAllocs()
			b.SetBytes(int64(n * storetest.BenchPayloadSize))
			i := 0
			for b.Loop() {
				s := i % len(streams)
				i++
				var exp esdbclient.ExpectedRevision = esdbclient.Revision(revs[s])
				if revs[s] == math.MaxUint64 {
					exp = esdbclient.NoStream{}
				}
				for j := range events {
					events[j].EventID = uuid.New()
				}
				wr, err := client.AppendToStream(b.Context(), streams[s], esdbclient.AppendToStreamOptions{ExpectedRevision: exp}, events...)
				if err != nil {
					b.Fatal(err)
				}
				revs[s] = wr.NextExpectedVersion
			}
			b.ReportMetric(float64(i*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
	for _, streams := range []int{1, 1000} {
		b.Run(fmt.Sprintf("ConcurrentAppend/streams=%d/goroutines=8/any", streams), func(b *testing.B) {
			client := benchClient(b)
			prefix := "raw-conc-" + uuid.NewString()
			b.ReportAllocs()
			b.SetBytes(storetest.BenchPayloadSize)
			var next atomic.Int64
			var failed atomic.Pointer[error]
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N || failed.Load() != nil {
							return
						}
						if _, err := client.AppendToStream(b.Context(), fmt.Sprintf("%s-%d", prefix, i%streams), esdbclient.AppendToStreamOptions{}, rawBatch(1, i)...); err != nil {
							failed.CompareAndSwap(nil, &err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err := failed.Load(); err != nil {
				b.Fatal(*err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	b.Run("ReadStream/events=10000/forward", func(b *testing.B) {
		const events = 10_000
		client := benchClient(b)
		stream := "raw-read-" + uuid.NewString()
		for i := 0; i < events; i += 1000 {
			if _, err := client.AppendToStream(b.Context(), stream, esdbclient.AppendToStreamOptions{}, rawBatch(1000, i)...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.SetBytes(events * storetest.BenchPayloadSize)
		reads := 0
		for b.Loop() {
			if n := drain(b, func() (*esdbclient.ReadStream, error) {
				return client.ReadStream(b.Context(), stream, esdbclient.ReadStreamOptions{}, events)
			}); n != events {
				b.Fatalf("read %d events, want %d", n, events)
			}
			reads++
		}
		b.ReportMetric(float64(reads*events)/b.Elapsed().Seconds(), "events/s")
	})
	logSize := 100_000
	if testing.Short() {
		logSize = 10_000
	}
	b.Run(fmt.Sprintf("ReadAll/events=%d/from-start", logSize), func(b *testing.B) {
		client := benchClient(b)
		prefix := "raw-log-" + uuid.NewString()
		for i := 0; i < logSize; i += 1000 {
			if _, err := client.AppendToStream(b.Context(), fmt.Sprintf("%s-%d", prefix, i/1000%100), esdbclient.AppendToStreamOptions{}, rawBatch(1000, i)...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.SetBytes(int64(logSize * storetest.BenchPayloadSize))
		reads := 0
		for b.Loop() {
			// The whole of $all in one read, system records included: on a shared real
			// server this reads more than logSize events.
			if n := drain(b, func() (*esdbclient.ReadStream, error) {
				return client.ReadAll(b.Context(), esdbclient.ReadAllOptions{}, math.MaxInt64)
			}); n < logSize {
				b.Fatalf("read %d events, want at least %d", n, logSize)
			}
			reads++
		}
		b.ReportMetric(float64(reads*logSize)/b.Elapsed().Seconds(), "events/s")
	})
}

func rawBatch(n, offset int) []esdbclient.EventData {
	out := make([]esdbclient.EventData, n)
	for i := range out {
		e := storetest.BenchEvent(offset + i)
		meta, _ := eventstore.MarshalMetadata(e.Metadata)
		out[i] = esdbclient.EventData{EventID: uuid.New(), EventType: e.Type, Data: e.Data, Metadata: meta}
	}
	return out
}

func drain(b *testing.B, open func() (*esdbclient.ReadStream, error)) int {
	rs, err := open()
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	n := 0
	for {
		_, err := rs.Recv()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// benchClient connects a raw client to the server under test: ESDB_CONNECTION_STRING, or a
// fresh test double.
func benchClient(b *testing.B) *esdbclient.Client {
	b.Helper()
	conn := os.Getenv("ESDB_CONNECTION_STRING")
	if conn == "" {
		srv, err := esdbtest.Start()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = srv.Close() })
		conn = srv.ConnectionString()
	}
	conf, err := esdbclient.ParseConnectionString(conn)
	if err != nil {
		b.Fatal(err)
	}
	conf.Logger = esdbclient.NoopLogging()
	client, err := esdbclient.NewClient(conf)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Close() })
	if _, err := client.GetServerVersion(); err != nil {
		b.Fatal(err)
	}
	return client
}
