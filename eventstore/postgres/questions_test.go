package postgres_test

// Tests that answer the design's three open questions on a real server. docs/postgres.md
// quotes their output (go test -v -run 'TestQuestion' ./eventstore/postgres).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
)

// (a) The row-comparison global read is an index range scan on (tx_id, global_position):
// no sequential scan, no sort, a handful of buffers per page, for custom and generic plans,
// with and without filters.
func TestQuestionGlobalReadUsesIndex(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	pool := s.Pool()
	const rows = 200_000
	// Spread the rows over many transaction IDs below the horizon, as years of appends would.
	var h int64
	if err := pool.QueryRow(ctx, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").Scan(&h); err != nil {
		t.Fatal(err)
	}
	sch := pgx.Identifier{s.Schema()}.Sanitize()
	_, err := pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %[1]s.events
		(global_position, tx_id, stream_id, stream_version, event_id, event_type, data, metadata)
		SELECT g, ((g - 1) * (%[2]d - 4) / %[3]d + 3)::text::xid8, 'order-' || (g %% 2000), g / 2000 + 1,
		       gen_random_uuid(), CASE WHEN g %% 10 = 0 THEN 'Shipped' ELSE 'Created' END,
		       decode(repeat('ab', 100), 'hex'), '{}'
		  FROM generate_series(1, %[3]d) g`, sch, h, rows))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE "+sch+".events"); err != nil {
		t.Fatal(err)
	}
	var midTx uint64
	if err := pool.QueryRow(ctx, "SELECT tx_id FROM "+sch+".events WHERE global_position = $1", rows/2).Scan(&midTx); err != nil {
		t.Fatal(err)
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	design := "SELECT global_position, tx_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at FROM " + sch +
		".events WHERE (tx_id, global_position) > ($1, $2) AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx_id, global_position LIMIT $3"
	tests := []struct {
		name, sql, params, args string
	}{
		{"store query", postgres.ReadAllQuery(s, false, false), "xid8, bigint, int", fmt.Sprintf("'%d', %d, 512", midTx, rows/2)},
		{"design query (pg_snapshot_xmin)", design, "xid8, bigint, int", fmt.Sprintf("'%d', %d, 512", midTx, rows/2)},
		{"type filter", postgres.ReadAllQuery(s, true, false), "xid8, bigint, int, text[]", fmt.Sprintf("'%d', %d, 512, '{Shipped}'", midTx, rows/2)},
		{"stream prefix filter", postgres.ReadAllQuery(s, false, true), "xid8, bigint, int, text", fmt.Sprintf("'%d', %d, 512, 'order-1'", midTx, rows/2)},
	}
	for i, tc := range tests {
		if _, err := conn.Exec(ctx, fmt.Sprintf("PREPARE q%d(%s) AS %s", i, tc.params, tc.sql)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
				t.Fatal(err)
			}
			plan := explain(t, conn.Conn(), fmt.Sprintf("EXPLAIN (ANALYZE, BUFFERS, SUMMARY OFF) EXECUTE q%d(%s)", i, tc.args))
			t.Logf("%s, %s, %d rows in the table:\n%s", tc.name, mode, rows, plan)
			if !strings.Contains(plan, "Index Scan using events_log_order on events") ||
				strings.Contains(plan, "Seq Scan on events") || strings.Contains(plan, "Sort Key: tx_id") ||
				strings.Contains(plan, "Sort Key: events.") {
				t.Errorf("%s (%s) does not read the (tx_id, global_position) index in order:\n%s", tc.name, mode, plan)
			}
			if !strings.Contains(plan, "Index Cond: ((ROW(events.tx_id, events.global_position) > ROW(") &&
				!strings.Contains(plan, "Index Cond: ((ROW(tx_id, global_position) > ROW(") {
				t.Errorf("%s (%s): the row comparison is not an index condition:\n%s", tc.name, mode, plan)
			}
		}
	}
}

func explain(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// backend is a row of pg_stat_activity.
type backend struct {
	pid                   int32
	xid, xmin             *uint32
	waitType, wait, state *string
	query                 string
}

func (b backend) String() string {
	s := func(p *string) string {
		if p == nil {
			return "NULL"
		}
		return *p
	}
	x := func(p *uint32) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("pid=%d backend_xid=%s backend_xmin=%s wait_event_type=%s wait_event=%s state=%s query=%.90q",
		b.pid, x(b.xid), x(b.xmin), s(b.waitType), s(b.wait), s(b.state), b.query)
}

// waitForBackend polls pg_stat_activity of the current database until a backend waits on
// wait (a wait_event name) and returns it. The poll is the condition being observed, not a
// timing assumption: it ends as soon as the server reports the wait.
func waitForBackend(t *testing.T, pool *pgxpool.Pool, wait string) backend {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var b backend
		err := pool.QueryRow(t.Context(), `SELECT pid, backend_xid::text::bigint, backend_xmin::text::bigint, wait_event_type, wait_event, state, query
			FROM pg_stat_activity WHERE datname = current_database() AND wait_event = $1 LIMIT 1`, wait).
			Scan(&b.pid, &b.xid, &b.xmin, &b.waitType, &b.wait, &b.state, &b.query)
		if err == nil {
			return b
		}
		if err != pgx.ErrNoRows {
			t.Fatal(err)
		}
	}
	t.Fatalf("no backend waited on %s within 30s", wait)
	return backend{}
}

func locksOf(t *testing.T, pool *pgxpool.Pool, pid int32) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT locktype || ' ' || mode || CASE WHEN granted THEN ' granted' ELSE ' WAITING' END
		|| coalesce(' xid=' || transactionid::text, '') FROM pg_locks WHERE pid = $1 AND locktype IN ('advisory', 'transactionid', 'tuple') ORDER BY 1`, pid)
	if err != nil {
		t.Fatal(err)
	}
	locks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return locks
}

// (b) An append waiting for a stream's advisory lock has no transaction ID yet, so it does
// not hold readers back and gets its ID only after the stream's previous writer committed:
// the stream's versions reach the global log in order. A writer waiting on a row lock, by
// contrast, already has one.
func TestQuestionLockWaiterHasNoTransactionID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	pool := s.Pool()
	if _, err := s.Append(ctx, "s", eventstore.NoStream, ev("v1"), ev("v2"), ev("v3"), ev("v4")); err != nil {
		t.Fatal(err)
	}

	hctx, held, release := holdOpen(ctx)
	first := appendAsync(hctx, s, "s", eventstore.Exactly(4), ev("v5"))
	<-held
	second := appendAsync(ctx, s, "s", eventstore.Any, ev("v6"))
	waiter := waitForBackend(t, pool, "advisory")
	locks := locksOf(t, pool, waiter.pid)
	t.Logf("append waiting for the stream lock: %s\n  its locks: %v", waiter, locks)
	if waiter.xid != nil {
		t.Errorf("the append waiting on the advisory lock already has transaction ID %d", *waiter.xid)
	}
	for _, l := range locks {
		if strings.HasPrefix(l, "transactionid") {
			t.Errorf("the waiting append holds a transaction ID lock: %s", l)
		}
	}
	if stall, err := s.ReaderStall(ctx); err != nil || stall.PID == waiter.pid {
		t.Errorf("ReaderStall = %+v, %v: the waiting append must not be what holds readers back", stall, err)
	}
	close(release)
	a, b := <-first, <-second
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	t.Logf("v5 committed by transaction %d, v6 by transaction %d", a.res.Position.Tx, b.res.Position.Tx)
	if b.res.LastVersion != 6 || !(a.res.Position.Tx < b.res.Position.Tx) {
		t.Fatalf("v6 (%+v) does not follow v5 (%+v) in the global order", b.res, a.res)
	}

	// Contrast: an UPDATE waiting on the row lock of the streams row.
	sch := pgx.Identifier{s.Schema()}.Sanitize()
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "UPDATE "+sch+".streams SET updated_at = now() WHERE stream_id = 's'"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := pool.Exec(ctx, "UPDATE "+sch+".streams SET updated_at = now() WHERE stream_id = 's'")
		done <- err
	}()
	rowWaiter := waitForBackend(t, pool, "transactionid")
	rowLocks := locksOf(t, pool, rowWaiter.pid)
	t.Logf("UPDATE waiting for the row lock: %s\n  its locks: %v", rowWaiter, rowLocks)
	// pg_locks is live; pg_stat_activity's backend_xid can lag behind it, so the evidence is
	// the lock every transaction holds on its own ID once it has one.
	ownsXID := false
	for _, l := range rowLocks {
		ownsXID = ownsXID || strings.HasPrefix(l, "transactionid ExclusiveLock granted")
	}
	if !ownsXID {
		t.Errorf("the UPDATE waiting on a row lock holds no lock on a transaction ID of its own (%v); expected one (heap_update assigns it before waiting)", rowLocks)
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// (c) Without the lock, version 6 of a stream can come before version 5 in the global
// (tx_id, global_position) order: a transaction that got its ID before reaching the stream
// (it wrote something else first) appends v6 after a younger transaction committed v5.
func TestQuestionWithoutLockVersionSixOvertakesFive(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	pool := s.Pool()
	four, err := s.Append(ctx, "s", eventstore.NoStream, ev("v1"), ev("v2"), ev("v3"), ev("v4"))
	if err != nil {
		t.Fatal(err)
	}
	sch := pgx.Identifier{s.Schema()}.Sanitize()
	// The append of a lock-free design: compare-and-set the version, insert the event.
	appendSQL := func(tx pgx.Tx, stream string, version int64) {
		t.Helper()
		tag, err := tx.Exec(ctx, "UPDATE "+sch+".streams SET version = $2 WHERE stream_id = $1 AND version = $2 - 1", stream, version)
		if err == nil && tag.RowsAffected() == 0 {
			_, err = tx.Exec(ctx, "INSERT INTO "+sch+".streams (stream_id, version) VALUES ($1, $2)", stream, version)
		}
		if err == nil {
			_, err = tx.Exec(ctx, "INSERT INTO "+sch+".events (stream_id, stream_version, event_id, event_type, data, metadata) VALUES ($1, $2, gen_random_uuid(), $3, '', '{}')",
				stream, version, fmt.Sprintf("v%d", version))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	xid := func(tx pgx.Tx) (x uint64) {
		t.Helper()
		if err := tx.QueryRow(ctx, "SELECT pg_current_xact_id()").Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x
	}

	t1, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer t1.Rollback(ctx)
	appendSQL(t1, "other", 1) // T1 writes first: it now has a transaction ID
	t2, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer t2.Rollback(ctx)
	appendSQL(t2, "s", 5)
	x1, x2 := xid(t1), xid(t2)
	if err := t2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	appendSQL(t1, "s", 6) // sees v5 committed; its compare-and-set succeeds
	if err := t1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("T1 (transaction %d) wrote another stream, then s v6 after T2 (transaction %d) committed s v5", x1, x2)

	var order []string
	for _, e := range collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{After: four.Position, StreamPrefix: "s"})) {
		order = append(order, fmt.Sprintf("%s v%d at %s", e.StreamID, e.Version, e.Position))
	}
	t.Logf("global read after %s: %v", four.Position, order)
	if len(order) != 2 || !strings.HasPrefix(order[0], "s v6") || !strings.HasPrefix(order[1], "s v5") {
		t.Fatalf("global order %v; want v6 before v5, which is what the advisory lock prevents", order)
	}
}
