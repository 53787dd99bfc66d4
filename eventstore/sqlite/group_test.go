package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

// waitFor polls cond until it holds, failing the test after a generous deadline. It
// synchronises with goroutines blocked inside the store, which offer nothing to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *Store) queued() int {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return len(s.queue)
}

// TestGroupCommit queues appends while the writer is busy, so that they run as one group:
// each still gets its own outcome, and the group commits once.
func TestGroupCommit(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "events.db"), WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := func(data string) eventstore.EventData {
		return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "T", Data: []byte(data)}
	}
	if _, err := s.Append(ctx, "a", eventstore.NoStream, e("a1")); err != nil {
		t.Fatal(err)
	}
	retried := []eventstore.EventData{e("d1"), e("d2")}
	orig, err := s.Append(ctx, "d", eventstore.NoStream, retried...)
	if err != nil {
		t.Fatal(err)
	}
	reused := eventstore.EventData{ID: retried[0].ID, Type: "T", Data: []byte("other")}

	// Hold the writer.
	holding, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.WriteTx(ctx, func(*sql.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	groupsBefore := s.groups.Load()

	type outcome struct {
		res eventstore.AppendResult
		err error
	}
	tests := []struct {
		name   string
		stream string
		exp    eventstore.ExpectedVersion
		events []eventstore.EventData
		check  func(t *testing.T, o outcome)
	}{
		{"commits", "a", eventstore.Exactly(1), []eventstore.EventData{e("a2")}, func(t *testing.T, o outcome) {
			if o.err != nil || o.res.LastVersion != 2 {
				t.Fatalf("got %+v, %v", o.res, o.err)
			}
		}},
		{"conflicts alone", "b", eventstore.Exactly(5), []eventstore.EventData{e("b1")}, func(t *testing.T, o outcome) {
			if !errors.Is(o.err, eventstore.ErrWrongExpectedVersion) {
				t.Fatalf("want a conflict, got %v", o.err)
			}
		}},
		{"new stream", "c", eventstore.NoStream, []eventstore.EventData{e("c1"), e("c2"), e("c3")}, func(t *testing.T, o outcome) {
			if o.err != nil || o.res.LastVersion != 3 {
				t.Fatalf("got %+v, %v", o.res, o.err)
			}
		}},
		{"retry is a duplicate", "d", eventstore.NoStream, retried, func(t *testing.T, o outcome) {
			if o.err != nil || !o.res.Duplicate || o.res.Position != orig.Position {
				t.Fatalf("got %+v, %v; want the original %+v", o.res, o.err, orig)
			}
		}},
		{"reused ID fails", "d", eventstore.Any, []eventstore.EventData{reused}, func(t *testing.T, o outcome) {
			if !errors.Is(o.err, eventstore.ErrDuplicateEventID) {
				t.Fatalf("want ErrDuplicateEventID, got %v", o.err)
			}
		}},
	}
	results := make([]chan outcome, len(tests))
	for i, tc := range tests {
		results[i] = make(chan outcome, 1)
		go func() {
			res, err := s.Append(ctx, tc.stream, tc.exp, tc.events...)
			results[i] <- outcome{res, err}
		}()
	}
	waitFor(t, "the appends to queue", func() bool { return s.queued() == len(tests) })

	// One more append gives up while queued: it is removed and never written.
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := s.Append(cctx, "cancelled", eventstore.Any, e("x"))
		gaveUp <- err
	}()
	waitFor(t, "the cancellable append to queue", func() bool { return s.queued() == len(tests)+1 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled append: %v", err)
	}

	close(release)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, <-results[i]) })
	}
	if got := s.groups.Load() - groupsBefore; got != 1 {
		t.Errorf("%d append transactions committed, want the %d appends in 1 group", got, len(tests))
	}
	if in, err := s.StreamInfo(ctx, "cancelled"); err != nil || in.State != eventstore.StreamAbsent {
		t.Errorf("cancelled append wrote: %+v, %v", in, err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != 1+2+1+3 {
		t.Errorf("events table holds %d rows (%v), want 7", n, err)
	}
	h, err := s.Head(ctx)
	if err != nil || h.Pos != 7 {
		t.Errorf("head %v, %v; want 0/7, gap-free", h, err)
	}
}
