package postgres_test

import (
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
