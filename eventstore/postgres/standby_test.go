package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/internal/pgtest"
)

// On a hot standby the snapshot lists no running transactions, so the read horizon must come
// from its xmin: a reader of the standby may not see an event committed after one that a
// still-open transaction on the primary will commit below it, or its checkpoint would pass
// that event for good.
func TestStandbyReaderWaitsForOpenPrimaryTransactions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primaryURL, standbyURL := pgtest.StartReplicated(t)
	primary, err := postgres.Open(ctx, primaryURL, postgres.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	standby := openStandby(t, standbyURL)
	defer standby.Close()
	replicaConn, err := pgx.Connect(ctx, standbyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer replicaConn.Close(ctx)
	replayed := func(stream string) func() bool {
		return func() bool {
			var n int
			if err := replicaConn.QueryRow(ctx, `SELECT count(*) FROM esgen.events WHERE stream_id = $1`, stream).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n > 0
		}
	}

	// A writes first (so it has the lower transaction ID) and stays open.
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseA := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseA() // a failing test must not leave A's transaction (and the store) hanging
	held := make(chan struct{})
	aDone := make(chan error, 1)
	go func() {
		hook := eventstore.WithBeforeCommit(ctx, func(context.Context) error { close(held); <-release; return nil })
		_, err := primary.Append(hook, "a", eventstore.NoStream, eventstore.EventData{Type: "T", Data: []byte("a")})
		aDone <- err
	}()
	<-held
	// B commits on the primary and reaches the standby.
	if _, err := primary.Append(ctx, "b", eventstore.NoStream, eventstore.EventData{Type: "T", Data: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "B replayed on the standby", replayed("b"))

	if got := readAllStreams(t, standby, eventstore.Start); len(got) != 0 {
		t.Fatalf("the standby delivered %v while A was still open on the primary; A would land behind this reader's checkpoint", got)
	}

	releaseA()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "A replayed on the standby", replayed("a"))
	waitUntil(t, "both events readable on the standby", func() bool { return len(readAllStreams(t, standby, eventstore.Start)) == 2 })
	if got := readAllStreams(t, standby, eventstore.Start); got[0] != "a" || got[1] != "b" {
		t.Fatalf("standby read order %v, want [a b] (A's transaction ID is lower)", got)
	}
}

func openStandby(t *testing.T, url string) *postgres.Store {
	t.Helper()
	var s *postgres.Store
	waitUntil(t, "the schema replicated to the standby", func() bool {
		var err error
		s, err = postgres.Open(t.Context(), url, postgres.WithNotifications(false))
		if errors.Is(err, postgres.ErrNotMigrated) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	})
	return s
}

func readAllStreams(t *testing.T, s *postgres.Store, after eventstore.Position) []string {
	t.Helper()
	var out []string
	for e, err := range s.ReadAll(t.Context(), eventstore.ReadAllOptions{After: after}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.StreamID)
	}
	return out
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
