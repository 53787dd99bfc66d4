package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/internal/pgtest"
)

// Readers wait for open transactions of the store's database only: one in another
// database of the same server cannot write the store's tables and does not hold them back.
func TestHorizonIsPerDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	s := newStoreIn(t, url)

	begin := func(url string) (pgx.Tx, int32) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(ctx) })
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var pid int32
		if err := tx.QueryRow(ctx, "SELECT pg_current_xact_id(), pg_backend_pid()").Scan(new(uint64), &pid); err != nil {
			t.Fatal(err)
		}
		return tx, pid
	}
	elsewhere, _ := begin(pgtest.NewDatabase(t)) // holds a transaction ID in another database
	defer elsewhere.Rollback(ctx)

	if _, err := s.Append(ctx, "a", eventstore.NoStream, ev("x")); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{})); len(got) != 1 {
		t.Fatalf("read %d events while a transaction of another database is open; want 1", len(got))
	}

	here, pid := begin(url) // holds a transaction ID in the store's database
	res, err := s.Append(ctx, "b", eventstore.NoStream, ev("x"))
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{})); len(got) != 1 {
		t.Fatalf("read %d events while an older transaction of the same database is open; want 1 (the second must wait)", len(got))
	}
	stall, err := s.ReaderStall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stall.PID != pid || stall.WaitingEvents != 1 || stall.Horizon >= res.Position.Tx {
		t.Fatalf("ReaderStall = %+v; want backend %d holding 1 event back below transaction %d", stall, pid, res.Position.Tx)
	}
	if err := here.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{})); len(got) != 2 {
		t.Fatalf("read %d events after the blocking transaction ended; want 2", len(got))
	}
}

// A prepared (two-phase) transaction of the store's database that has not committed yet
// holds readers back: pg_stat_activity does not show it, so it must count. Once it commits,
// its events appear after the reader's checkpoint.
func TestHorizonCountsPreparedTransactions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	s := newStoreIn(t, url)
	var maxPrepared int
	if err := s.Pool().QueryRow(ctx, "SELECT current_setting('max_prepared_transactions')::int").Scan(&maxPrepared); err != nil {
		t.Fatal(err)
	}
	if maxPrepared == 0 {
		t.Fatalf("the server has max_prepared_transactions = 0; this test needs two-phase commit (pgtest's server enables it; set it on the server in %s)", pgtest.EnvURL)
	}
	first, err := s.Append(ctx, "a", eventstore.NoStream, ev("x"))
	if err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	sch := pgx.Identifier{s.Schema()}.Sanitize()
	gid := "esgen-test-" + s.Schema()
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT * FROM "+sch+".append_events('prepared', 1, 0::smallint, 0, ARRAY[gen_random_uuid()], ARRAY['x'], ARRAY['\\x00'::bytea], ARRAY['{}'::jsonb], NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "PREPARE TRANSACTION '"+gid+"'"); err != nil {
		t.Fatal(err)
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = s.Pool().Exec(context.Background(), "ROLLBACK PREPARED '"+gid+"'")
		}
	}()

	late, err := s.Append(ctx, "b", eventstore.NoStream, ev("x"))
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{After: first.Position})); len(got) != 0 {
		t.Fatalf("read %d events past an uncommitted prepared transaction; want 0", len(got))
	}
	if h, err := s.Head(ctx); err != nil || h != first.Position {
		t.Fatalf("Head = %v, %v; want %v while the prepared transaction is open", h, err, first.Position)
	}
	if _, err := s.Pool().Exec(ctx, "COMMIT PREPARED '"+gid+"'"); err != nil {
		t.Fatal(err)
	}
	committed = true
	var streams []string
	for _, e := range collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{After: first.Position})) {
		streams = append(streams, e.StreamID)
	}
	if len(streams) != 2 || streams[0] != "prepared" || streams[1] != "b" {
		t.Fatalf("after COMMIT PREPARED the reader read %v; want [prepared b] (late append at %s)", streams, late.Position)
	}
}
