package postgres_test

// Benchmarks of the store beside a raw pgx baseline in the same run. The machine these run on
// is shared, so the store and the raw baseline are interleaved (one store operation, then one
// raw operation; or, for the concurrent cases, alternating rounds) and timed separately: a
// change of load hits both. Each reports store-events/s, raw-events/s and store/raw. "raw"
// writes or reads the same rows with plain SQL in one statement (so one transaction) with no
// concurrency checks. Run them with
//
//	go test -run '^$' -bench . -benchtime 3s ./eventstore/postgres
//
// BenchmarkReadAllMemory reads a 1,000,000-event log (100,000 with -short) and reports the
// peak heap while reading.

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/eventstore/storetest"
	"github.com/esgen/esgen/internal/pgtest"
)

// benchURL returns a fresh database whose pools hold enough connections for 8 goroutines.
func benchURL(b testing.TB) string {
	u := pgtest.NewDatabase(b)
	if strings.Contains(u, "?") {
		return u + "&pool_max_conns=16"
	}
	return u + "?pool_max_conns=16"
}

// interleaved runs one store operation and one raw operation per iteration, each moving
// events events, timing them separately, and reports both throughputs and their ratio.
func interleaved(b *testing.B, events int, store, raw func(i int) error) {
	b.ReportAllocs()
	var ds, dr time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		if err := store(i); err != nil {
			b.Fatalf("store: %v", err)
		}
		t1 := time.Now()
		if err := raw(i); err != nil {
			b.Fatalf("raw: %v", err)
		}
		ds += t1.Sub(t0)
		dr += time.Since(t1)
		i++
	}
	report(b, float64(i*events)/ds.Seconds(), float64(i*events)/dr.Seconds())
}

func report(b *testing.B, store, raw float64) {
	b.ReportMetric(store, "store-events/s")
	b.ReportMetric(raw, "raw-events/s")
	b.ReportMetric(store/raw, "store/raw")
}

// rawAppender writes events with one INSERT ... SELECT FROM unnest statement: no lock, no
// version check, no idempotency check, no notification.
type rawAppender struct {
	pool *pgxpool.Pool
	sql  string
}

func newRawAppender(b *testing.B, url string) *rawAppender {
	s := newStoreIn(b, url) // for its tables, in a schema of their own
	return &rawAppender{pool: s.Pool(), sql: `INSERT INTO ` + pgx.Identifier{s.Schema()}.Sanitize() + `.events
		(stream_id, stream_version, event_id, event_type, data, metadata)
		SELECT $1, $2 + u.o, u.id, u.typ, u.dat, u.meta
		  FROM unnest($3::uuid[], $4::text[], $5::bytea[], $6::jsonb[]) WITH ORDINALITY AS u(id, typ, dat, meta, o)`}
}

// append writes events as versions after version, generating IDs and encoding metadata as
// the store does.
func (r *rawAppender) append(ctx context.Context, stream string, version uint64, events []eventstore.EventData) error {
	ids := make([]uuid.UUID, len(events))
	types := make([]string, len(events))
	data := make([][]byte, len(events))
	metas := make([]string, len(events))
	for i, e := range events {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		m, err := eventstore.MarshalMetadata(e.Metadata)
		if err != nil {
			return err
		}
		ids[i], types[i], data[i], metas[i] = id, e.Type, e.Data, string(m)
	}
	_, err := r.pool.Exec(ctx, r.sql, stream, int64(version), ids, types, data, metas)
	return err
}

func benchEvents(n, offset int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = storetest.BenchEvent(offset + i)
	}
	return out
}

// BenchmarkAppend appends batches of 1, 10 and 100 events to existing streams (round robin
// over 100 streams) with an exact expected version.
func BenchmarkAppend(b *testing.B) {
	const streams = storetest.BenchStreams
	for _, batch := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("events=%d", batch), func(b *testing.B) {
			ctx := b.Context()
			url := benchURL(b)
			st := newStoreIn(b, url)
			raw := newRawAppender(b, url)
			versions := make([]uint64, streams)
			rawVersions := make([]uint64, streams)
			names := make([]string, streams)
			for s := range streams {
				names[s] = fmt.Sprintf("bench-%d", s)
				res, err := st.Append(ctx, names[s], eventstore.NoStream, storetest.BenchEvent(s))
				if err != nil {
					b.Fatal(err)
				}
				versions[s] = res.LastVersion
				if err := raw.append(ctx, names[s], 0, benchEvents(1, s)); err != nil {
					b.Fatal(err)
				}
				rawVersions[s] = 1
			}
			events := benchEvents(batch, 0)
			interleaved(b, batch, func(i int) error {
				s := i % streams
				res, err := st.Append(ctx, names[s], eventstore.Exactly(versions[s]), events...)
				versions[s] = res.LastVersion
				return err
			}, func(i int) error {
				s := i % streams
				rawVersions[s] += uint64(batch)
				return raw.append(ctx, names[s], rawVersions[s]-uint64(batch), events)
			})
		})
	}
}

// BenchmarkConcurrentAppend appends single events with expected version Any from 8
// goroutines to 1 hot stream and to 1,000 streams, in alternating rounds of 400 appends by
// the store and 400 by the raw baseline. The raw baseline hands out versions from
// per-stream atomic counters, so it never waits for another writer.
func BenchmarkConcurrentAppend(b *testing.B) {
	for _, streams := range []int{1, 1000} {
		b.Run(fmt.Sprintf("streams=%d/goroutines=8", streams), func(b *testing.B) { concurrentAppend(b, streams) })
	}
}

// BenchmarkConcurrentAppendWithoutNotify is BenchmarkConcurrentAppend to 1,000 streams with
// WithNotifications(false): what NOTIFY, which serialises commits, costs under concurrency.
func BenchmarkConcurrentAppendWithoutNotify(b *testing.B) {
	b.Run("streams=1000/goroutines=8", func(b *testing.B) {
		concurrentAppend(b, 1000, postgres.WithNotifications(false))
	})
}

func concurrentAppend(b *testing.B, streams int, opts ...postgres.Option) {
	const goroutines, round = 8, 400
	ctx := b.Context()
	url := benchURL(b)
	st := newStoreIn(b, url, opts...)
	raw := newRawAppender(b, url)
	names := make([]string, streams)
	for i := range names {
		names[i] = fmt.Sprintf("conc-%d", i)
	}
	rawVersions := make([]atomic.Uint64, streams)
	// phase runs n appends from the goroutines and returns how long they took.
	phase := func(first, n int, appendOne func(i int) error) time.Duration {
		var next atomic.Int64
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		start := time.Now()
		for range goroutines {
			wg.Go(func() {
				for {
					k := int(next.Add(1)) - 1
					if k >= n || failed.Load() != nil {
						return
					}
					if err := appendOne(first + k); err != nil {
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
		return time.Since(start)
	}
	storeOne := func(i int) error {
		_, err := st.Append(ctx, names[i%streams], eventstore.Any, storetest.BenchEvent(i))
		return err
	}
	rawOne := func(i int) error {
		s := i % streams
		v := rawVersions[s].Add(1) - 1
		return raw.append(ctx, names[s], v, []eventstore.EventData{storetest.BenchEvent(i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	var ds, dr time.Duration
	for done := 0; done < b.N; done += round {
		n := min(round, b.N-done)
		ds += phase(done, n, storeOne)
		dr += phase(done, n, rawOne)
	}
	b.StopTimer()
	report(b, float64(b.N)/ds.Seconds(), float64(b.N)/dr.Seconds())
}

// seedSQL fills the store's events table with total events over streams streams, written
// by INSERT ... SELECT statements of 10,000 rows each (so 10,000 events per transaction),
// with storetest.BenchEvent-sized payloads and metadata, and brings the streams table in
// line.
func seedSQL(b *testing.B, s *postgres.Store, streams, total int) {
	b.Helper()
	ctx := b.Context()
	sch := pgx.Identifier{s.Schema()}.Sanitize()
	data := storetest.BenchEvent(0).Data
	meta, err := eventstore.MarshalMetadata(storetest.BenchEvent(0).Metadata)
	if err != nil {
		b.Fatal(err)
	}
	for from := 0; from < total; from += 10_000 {
		to := min(from+10_000, total) - 1
		_, err := s.Pool().Exec(ctx, `INSERT INTO `+sch+`.events (stream_id, stream_version, event_id, event_type, data, metadata)
			SELECT 'log-' || (g % $3), g / $3 + 1, gen_random_uuid(), 'bench.OrderPlaced', $4, $5::jsonb
			  FROM generate_series($1::int, $2::int) g ORDER BY g`, from, to, streams, data, string(meta))
		if err != nil {
			b.Fatal(err)
		}
	}
	_, err = s.Pool().Exec(ctx, `INSERT INTO `+sch+`.streams (stream_id, version)
		SELECT stream_id, max(stream_version) FROM `+sch+`.events GROUP BY stream_id`)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, "VACUUM ANALYZE "+sch+".events"); err != nil {
		b.Fatal(err)
	}
}

// rawScan reads rows of eventColumns into the same Go types the store decodes into, without
// decoding metadata.
func rawScan(b *testing.B, pool *pgxpool.Pool, sql string, args ...any) int {
	rows, err := pool.Query(b.Context(), sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var (
		pos, version int64
		tx           uint64
		stream, typ  string
		id           uuid.UUID
		data, meta   []byte
		recorded     time.Time
		n            int
	)
	for rows.Next() {
		if err := rows.Scan(&pos, &tx, &stream, &version, &id, &typ, &data, &meta, &recorded); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

const rawColumns = "global_position, tx_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at"

// BenchmarkReadStream reads a 10,000-event stream forward. The raw baseline reads the same
// rows with one SELECT ... ORDER BY stream_version.
func BenchmarkReadStream(b *testing.B) {
	const events = 10_000
	ctx := b.Context()
	st := newStoreIn(b, benchURL(b))
	for v := 0; v < events; v += 1000 {
		if _, err := st.Append(ctx, "long", eventstore.Exactly(uint64(v)), benchEvents(1000, v)...); err != nil {
			b.Fatal(err)
		}
	}
	sql := "SELECT " + rawColumns + " FROM " + pgx.Identifier{st.Schema()}.Sanitize() + ".events WHERE stream_id = $1 ORDER BY stream_version"
	interleaved(b, events, func(int) error {
		n := 0
		for _, err := range st.ReadStream(ctx, "long", eventstore.ReadStreamOptions{}) {
			if err != nil {
				return err
			}
			n++
		}
		return wantCount(n, events)
	}, func(int) error {
		return wantCount(rawScan(b, st.Pool(), sql, "long"), events)
	})
}

// BenchmarkReadAll reads a 100,000-event global log from the start (default page size).
// The raw baseline reads the same rows with one SELECT ... ORDER BY tx_id, global_position.
func BenchmarkReadAll(b *testing.B) {
	const events = 100_000
	st := newStoreIn(b, benchURL(b))
	seedSQL(b, st, 100, events)
	sql := "SELECT " + rawColumns + " FROM " + pgx.Identifier{st.Schema()}.Sanitize() + ".events ORDER BY tx_id, global_position"
	interleaved(b, events, func(int) error {
		return wantCount(readAllCount(b, st, nil), events)
	}, func(int) error {
		return wantCount(rawScan(b, st.Pool(), sql), events)
	})
}

func wantCount(got, want int) error {
	if got != want {
		return fmt.Errorf("read %d events, want %d", got, want)
	}
	return nil
}

// readAllCount reads the whole log, calling sample every 10,000 events.
func readAllCount(b *testing.B, st *postgres.Store, sample func()) int {
	n := 0
	for _, err := range st.ReadAll(b.Context(), eventstore.ReadAllOptions{}) {
		if err != nil {
			b.Fatal(err)
		}
		n++
		if sample != nil && n%10_000 == 0 {
			sample()
		}
	}
	return n
}

// BenchmarkReadAllMemory reads a 1,000,000-event log (100,000 with -short) and reports the
// heap in use before reading (base-heap-MiB) and the largest heap in use while reading
// (peak-heap-MiB, sampled every 10,000 events with runtime.ReadMemStats).
func BenchmarkReadAllMemory(b *testing.B) {
	events := 1_000_000
	if testing.Short() {
		events = 100_000
	}
	st := newStoreIn(b, benchURL(b))
	seedSQL(b, st, 1000, events)
	b.Run(fmt.Sprintf("events=%d", events), func(b *testing.B) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapAlloc, ms.HeapAlloc
		sample := func() {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		reads := 0
		for b.Loop() {
			if n := readAllCount(b, st, sample); n != events {
				b.Fatalf("read %d events, want %d", n, events)
			}
			reads++
		}
		b.ReportMetric(float64(reads*events)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
}

// BenchmarkShared runs the storetest benchmarks every backend runs, for comparison across
// backends.
func BenchmarkShared(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) eventstore.Store {
		return newStoreIn(tb, benchURL(tb))
	})
}
