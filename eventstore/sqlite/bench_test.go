package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/sqlite"
)

// Every store benchmark runs beside a raw database/sql baseline on the same file: the raw
// writer opens its own connection with the same settings (WAL, synchronous=FULL) and
// INSERTs into raw_events, a table identical to events, with one prepared INSERT per event
// in one transaction and no version checks; raw readers SELECT from events itself. The raw
// sub-benchmark runs first and the store's reports ratio_to_raw, its events/s over raw's.

const benchData = `{"order_id":"order-000042","customer":"c-1234","lines":[{"sku":"A-1","qty":2,"price":1999}]}`

var benchMeta = eventstore.Metadata{CorrelationID: "c6a1f4f0-3f0e-4a57-9d55-3c2a1d9a3e11", Headers: map[string]string{"tenant": "acme"}}

func benchEvents(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{Type: "orders.OrderPlaced", Data: []byte(benchData), Metadata: benchMeta}
	}
	return out
}

// benchEnv is a store and a raw connection on the same file.
type benchEnv struct {
	st         *sqlite.Store
	raw        *sql.DB
	path       string
	rawHeaders string
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.WithMigrate())
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
	raw, err := sql.Open("sqlite", "file://"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	b.Cleanup(func() { raw.Close() })
	headers, _ := json.Marshal(benchMeta.Headers)
	return &benchEnv{st: st, raw: raw, path: path, rawHeaders: string(headers)}
}

// rawAppend inserts n events for stream from version from+1 in one transaction.
func (e *benchEnv) rawAppend(ctx context.Context, stream string, from uint64, n int) error {
	tx, err := e.raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO raw_events (stream_id, version, event_id, type, data, recorded_at, correlation_id, headers) VALUES (?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	for i := range n {
		id := uuid.Must(uuid.NewV7())
		if _, err := ins.ExecContext(ctx, stream, int64(from)+int64(i)+1, id[:], "orders.OrderPlaced", []byte(benchData), now, benchMeta.CorrelationID, e.rawHeaders); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func reportRate(b *testing.B, events int) float64 {
	rate := float64(events) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "events/s")
	return rate
}

func reportRatio(b *testing.B, rate, raw float64) {
	if raw > 0 {
		b.ReportMetric(rate/raw, "ratio_to_raw")
	}
}

// BenchmarkAppend appends 1, 10 and 100 events per call to an existing stream with an
// exact expected version.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("events=%d", size), func(b *testing.B) {
			env := newBenchEnv(b)
			ctx := context.Background()
			var raw float64
			b.Run("raw", func(b *testing.B) {
				stream := fmt.Sprintf("raw-%d", b.N)
				for i := range b.N {
					if err := env.rawAppend(ctx, stream, uint64(i*size), size); err != nil {
						b.Fatal(err)
					}
				}
				raw = reportRate(b, b.N*size)
			})
			b.Run("store", func(b *testing.B) {
				stream := fmt.Sprintf("s-%d", b.N)
				res, err := env.st.Append(ctx, stream, eventstore.NoStream, benchEvents(1)...)
				if err != nil {
					b.Fatal(err)
				}
				v := res.LastVersion
				b.ResetTimer()
				for range b.N {
					res, err := env.st.Append(ctx, stream, eventstore.Exactly(v), benchEvents(size)...)
					if err != nil {
						b.Fatal(err)
					}
					v = res.LastVersion
				}
				reportRatio(b, reportRate(b, b.N*size), raw)
			})
		})
	}
}

// BenchmarkAppendConcurrent appends one event per call from 8 goroutines, to one hot
// stream or spread over 1,000 streams.
func BenchmarkAppendConcurrent(b *testing.B) {
	for _, streams := range []int{1, 1000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			env := newBenchEnv(b)
			ctx := context.Background()
			var raw float64
			run := func(b *testing.B, appendOne func(stream string, v uint64) error) {
				var next atomic.Uint64
				var mu sync.Mutex
				vers := make(map[string]uint64)
				b.SetParallelism(max(1, 8/max(1, runtimeProcs())))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						stream := fmt.Sprintf("c-%d-%d", b.N, next.Add(1)%uint64(streams))
						mu.Lock()
						vers[stream]++
						v := vers[stream] - 1
						mu.Unlock()
						if err := appendOne(stream, v); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.Run("raw", func(b *testing.B) {
				run(b, func(stream string, _ uint64) error {
					// Versions are not checked by raw; make them unique per call.
					return env.rawAppend(ctx, stream, uint64(time.Now().UnixNano()), 1)
				})
				raw = reportRate(b, b.N)
			})
			b.Run("store", func(b *testing.B) {
				run(b, func(stream string, _ uint64) error {
					_, err := env.st.Append(ctx, stream, eventstore.Any, benchEvents(1)...)
					return err
				})
				reportRatio(b, reportRate(b, b.N), raw)
			})
		})
	}
}

// fill appends n events to stream in batches of 100.
func fill(b *testing.B, st *sqlite.Store, stream string, n int) {
	b.Helper()
	ctx := context.Background()
	for done := 0; done < n; done += 100 {
		if _, err := st.Append(ctx, stream, eventstore.Any, benchEvents(min(100, n-done))...); err != nil {
			b.Fatal(err)
		}
	}
}

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

const selectColumns = `SELECT position, stream_id, version, event_id, type, data, recorded_at, correlation_id, causation_id, trace_parent, trace_state, schema_fingerprint, headers FROM events`

// BenchmarkReadStream reads a 10,000-event stream from start to end.
func BenchmarkReadStream(b *testing.B) {
	const n = 10_000
	env := newBenchEnv(b)
	fill(b, env.st, "long", n)
	ctx := context.Background()
	var raw float64
	b.Run("raw", func(b *testing.B) {
		for range b.N {
			got, err := rawRead(ctx, env.raw, selectColumns+` WHERE stream_id = ? ORDER BY version`, "long")
			if err != nil || got != n {
				b.Fatalf("read %d events, %v", got, err)
			}
		}
		raw = reportRate(b, b.N*n)
	})
	b.Run("store", func(b *testing.B) {
		for range b.N {
			got := 0
			for _, err := range env.st.ReadStream(ctx, "long", eventstore.ReadStreamOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
			if got != n {
				b.Fatalf("read %d events", got)
			}
		}
		reportRatio(b, reportRate(b, b.N*n), raw)
	})
}

// BenchmarkReadAll reads a 50,000-event global log (500 streams) from the start.
func BenchmarkReadAll(b *testing.B) {
	const n = 50_000
	env := newBenchEnv(b)
	for i := range 500 {
		fill(b, env.st, fmt.Sprintf("order-%d", i), n/500)
	}
	ctx := context.Background()
	var raw float64
	b.Run("raw", func(b *testing.B) {
		for range b.N {
			got, err := rawRead(ctx, env.raw, selectColumns+` ORDER BY position`)
			if err != nil || got != n {
				b.Fatalf("read %d events, %v", got, err)
			}
		}
		raw = reportRate(b, b.N*n)
	})
	b.Run("store", func(b *testing.B) {
		for range b.N {
			got := 0
			for _, err := range env.st.ReadAll(ctx, eventstore.ReadAllOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
			if got != n {
				b.Fatalf("read %d events", got)
			}
		}
		reportRatio(b, reportRate(b, b.N*n), raw)
	})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
