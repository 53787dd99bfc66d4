package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/sqlite"
	"github.com/esgen/esgen/eventstore/storetest"
)

// BenchmarkStore runs the benchmarks every backend shares, so the figures compare with the
// memory, PostgreSQL and EventStoreDB stores.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(t testing.TB) eventstore.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bench.db"), sqlite.WithMigrate())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// BenchmarkVsRaw runs the same workloads as BenchmarkStore (same events, from
// storetest.BenchEvent) beside a raw database/sql baseline on the same file. The raw writer
// opens its own connection with the same settings (WAL, the same synchronous mode) and
// INSERTs into raw_events, a table identical to events, with one prepared INSERT per event
// in one transaction: no version check, no streams row, no idempotency, no validation. Raw
// readers SELECT the same columns from events in one query and decode nothing.
//
// The two are measured interleaved (a raw operation, then the store's, and again), so on a
// shared machine both see the same load; each benchmark reports raw-events/s, the store's
// events/s and ratio_to_raw, the store's rate over raw's.
func BenchmarkVsRaw(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("Append/events=%d", n), func(b *testing.B) { benchAppend(b, sqlite.SynchronousFull, n) })
	}
	b.Run("Append/events=100/sync=NORMAL", func(b *testing.B) { benchAppend(b, sqlite.SynchronousNormal, 100) })
	for _, streams := range []int{1, 1000} {
		b.Run(fmt.Sprintf("ConcurrentAppend/streams=%d/goroutines=8", streams), func(b *testing.B) { benchConcurrent(b, streams, 8) })
	}
	b.Run("ReadStream/events=10000", func(b *testing.B) { benchReadStream(b, 10_000) })
	logSize := 100_000
	if testing.Short() {
		logSize = 10_000
	}
	b.Run(fmt.Sprintf("ReadAll/events=%d", logSize), func(b *testing.B) { benchReadAll(b, logSize) })
}

// pair accumulates the time spent in raw and store operations.
type pair struct{ raw, store time.Duration }

func (p *pair) timeRaw(b *testing.B, f func() error) {
	t := time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	p.raw += time.Since(t)
}

func (p *pair) timeStore(b *testing.B, f func() error) {
	t := time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	p.store += time.Since(t)
}

// report reports both rates for events events done by each side, and their ratio.
func (p *pair) report(b *testing.B, events int) {
	raw := float64(events) / p.raw.Seconds()
	store := float64(events) / p.store.Seconds()
	b.ReportMetric(raw, "raw-events/s")
	b.ReportMetric(store, "events/s")
	b.ReportMetric(store/raw, "ratio_to_raw")
}

// benchEnv is a store and a raw connection on the same file.
type benchEnv struct {
	st     *sqlite.Store
	raw    *sql.DB
	rawIns *sql.Stmt // prepared once, like the store's statements
}

func newBenchEnv(b *testing.B, sync sqlite.Synchronous) *benchEnv {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.WithMigrate(), sqlite.WithSynchronous(sync))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	err = st.WriteTx(context.Background(), func(tx *sql.Tx) error {
		var ddl string
		if err := tx.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = 'events'`).Scan(&ddl); err != nil {
			return err
		}
		_, err := tx.Exec(strings.Replace(ddl, "events", "raw_events", 1))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file://"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous("+sync.String()+")&_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	b.Cleanup(func() { raw.Close() })
	ins, err := raw.Prepare(`INSERT INTO raw_events (stream_id, version, event_id, type, data, recorded_at, correlation_id, causation_id) VALUES (?,?,?,?,?,?,?,?)`)
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{st: st, raw: raw, rawIns: ins}
}

// rawAppend inserts events for stream from version from+1 in one transaction.
func (e *benchEnv) rawAppend(ctx context.Context, stream string, from uint64, events []eventstore.EventData) error {
	tx, err := e.raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins := tx.StmtContext(ctx, e.rawIns)
	now := time.Now().UnixNano()
	for i, ev := range events {
		id := uuid.Must(uuid.NewV7())
		if _, err := ins.ExecContext(ctx, stream, int64(from)+int64(i)+1, id[:], ev.Type, ev.Data, now, ev.Metadata.CorrelationID, ev.Metadata.CausationID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func batch(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = storetest.BenchEvent(i)
	}
	return out
}

// benchAppend appends n events per call, round robin over storetest.BenchStreams existing
// streams, with an exact expected version.
func benchAppend(b *testing.B, sync sqlite.Synchronous, n int) {
	env := newBenchEnv(b, sync)
	ctx := context.Background()
	events := batch(n)
	rawPrefix, prefix := "raw-"+uuid.NewString(), "s-"+uuid.NewString()
	rawVersions := make([]uint64, storetest.BenchStreams)
	versions := make([]uint64, storetest.BenchStreams)
	for s := range versions {
		res, err := env.st.Append(ctx, fmt.Sprintf("%s-%d", prefix, s), eventstore.NoStream, storetest.BenchEvent(s))
		if err != nil {
			b.Fatal(err)
		}
		versions[s] = res.LastVersion
	}
	var p pair
	i := 0
	for b.Loop() {
		s := i % len(versions)
		i++
		p.timeRaw(b, func() error {
			err := env.rawAppend(ctx, fmt.Sprintf("%s-%d", rawPrefix, s), rawVersions[s], events)
			rawVersions[s] += uint64(n)
			return err
		})
		p.timeStore(b, func() error {
			res, err := env.st.Append(ctx, fmt.Sprintf("%s-%d", prefix, s), eventstore.Exactly(versions[s]), events...)
			versions[s] = res.LastVersion
			return err
		})
	}
	p.report(b, i*n)
}

// benchConcurrent appends one event per call with expected version Any from goroutines
// goroutines to streams streams, alternating rounds of raw and store appends.
func benchConcurrent(b *testing.B, streams, goroutines int) {
	env := newBenchEnv(b, sqlite.SynchronousFull)
	ctx := context.Background()
	rawPrefix, prefix := "raw-"+uuid.NewString(), "c-"+uuid.NewString()
	// round runs ops appends from the goroutines, numbered from first.
	round := func(first, ops int, appendOne func(i int) error) error {
		var next atomic.Int64
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= ops || failed.Load() != nil {
						return
					}
					if err := appendOne(first + i); err != nil {
						failed.CompareAndSwap(nil, &err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := failed.Load(); err != nil {
			return *err
		}
		return nil
	}
	const roundSize = 64
	var p pair
	done := 0
	for b.Loop() {
		p.timeRaw(b, func() error {
			return round(done, roundSize, func(i int) error {
				// Raw checks no versions; i keeps (stream, version) unique.
				return env.rawAppend(ctx, fmt.Sprintf("%s-%d", rawPrefix, i%streams), uint64(i), []eventstore.EventData{storetest.BenchEvent(i)})
			})
		})
		p.timeStore(b, func() error {
			return round(done, roundSize, func(i int) error {
				_, err := env.st.Append(ctx, fmt.Sprintf("%s-%d", prefix, i%streams), eventstore.Any, storetest.BenchEvent(i))
				return err
			})
		})
		done += roundSize
	}
	p.report(b, done)
}

// fill appends n events spread over streams streams named prefix-i, 1,000 per append.
func fill(b *testing.B, st *sqlite.Store, prefix string, streams, n int) {
	b.Helper()
	ctx := context.Background()
	per := n / streams
	for s := range streams {
		for done := 0; done < per; done += 1000 {
			if _, err := st.Append(ctx, fmt.Sprintf("%s-%d", prefix, s), eventstore.Any, batch(min(1000, per-done))...); err != nil {
				b.Fatal(err)
			}
		}
	}
}

const selectColumns = `SELECT position, stream_id, version, event_id, type, data, recorded_at, correlation_id, causation_id, trace_parent, trace_state, schema_fingerprint, headers FROM events`

// rawRead runs a plain SELECT of the event columns and scans every row.
func rawRead(ctx context.Context, db *sql.DB, q string, args ...any) (int, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			pos, ver, rec int64
			stream, typ   string
			id, data      []byte
			corr, cause   sql.NullString
			tp, ts        sql.NullString
			headers       sql.NullString
			fp            sql.NullInt64
		)
		if err := rows.Scan(&pos, &stream, &ver, &id, &typ, &data, &rec, &corr, &cause, &tp, &ts, &fp, &headers); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func count(b *testing.B, seq func(func(eventstore.Event, error) bool)) int {
	n := 0
	for _, err := range seq {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	return n
}

// benchReadStream reads a whole stream of n events forward.
func benchReadStream(b *testing.B, n int) {
	env := newBenchEnv(b, sqlite.SynchronousFull)
	fill(b, env.st, "long", 1, n)
	ctx := context.Background()
	var p pair
	reads := 0
	for b.Loop() {
		p.timeRaw(b, func() error {
			got, err := rawRead(ctx, env.raw, selectColumns+` WHERE stream_id = ? ORDER BY version`, "long-0")
			if err == nil && got != n {
				err = fmt.Errorf("raw read %d events, want %d", got, n)
			}
			return err
		})
		p.timeStore(b, func() error {
			if got := count(b, env.st.ReadStream(ctx, "long-0", eventstore.ReadStreamOptions{})); got != n {
				return fmt.Errorf("read %d events, want %d", got, n)
			}
			return nil
		})
		reads++
	}
	p.report(b, reads*n)
}

// benchReadAll reads a global log of n events over 100 streams from the start.
func benchReadAll(b *testing.B, n int) {
	env := newBenchEnv(b, sqlite.SynchronousFull)
	fill(b, env.st, "log", 100, n)
	ctx := context.Background()
	var p pair
	reads := 0
	for b.Loop() {
		p.timeRaw(b, func() error {
			got, err := rawRead(ctx, env.raw, selectColumns+` ORDER BY position`)
			if err == nil && got != n {
				err = fmt.Errorf("raw read %d events, want %d", got, n)
			}
			return err
		})
		p.timeStore(b, func() error {
			if got := count(b, env.st.ReadAll(ctx, eventstore.ReadAllOptions{})); got != n {
				return fmt.Errorf("read %d events, want %d", got, n)
			}
			return nil
		})
		reads++
	}
	p.report(b, reads*n)
}
