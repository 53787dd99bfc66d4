package sqlite

import (
	"context"
	"database/sql"
	"slices"

	"github.com/esgen/esgen/eventstore"
)

// Group commit. SQLite with synchronous=FULL spends most of a small append's time in the
// fsync of its commit, and there is one writer. So appends queue; whichever waiting append
// takes the write token leads: it runs every queued append (up to a bound) in one
// transaction, each inside its own savepoint so that a conflict rolls back only that
// append, commits once, and wakes them all. A lone append runs alone without savepoints.
// Commit order, and so position order, is still the order appends run in the transaction.

// Bounds on one group, so a transaction stays short.
const (
	maxGroupAppends = 64
	maxGroupEvents  = eventstore.MaxAppendEvents
)

// appendReq is one queued append. res and err are set, and done closed, by the leader that
// ran it, or by its own goroutine if it gave up while still queued.
type appendReq struct {
	ctx      context.Context
	streamID string
	expected eventstore.ExpectedVersion
	batch    []eventstore.EventData

	res  eventstore.AppendResult
	err  error
	done chan struct{}
}

// submit queues req and returns when it has run (or was abandoned while still queued
// because its context ended).
func (s *Store) submit(req *appendReq) {
	s.qmu.Lock()
	s.queue = append(s.queue, req)
	s.qmu.Unlock()
	for {
		select {
		case <-req.done:
			return
		case s.wtoken <- struct{}{}:
			s.lead(req.ctx)
			<-s.wtoken
		case <-req.ctx.Done():
			if s.dequeue(req) {
				req.err = req.ctx.Err()
				return
			}
			<-req.done // a leader has it: it commits or fails shortly
			return
		}
	}
}

// dequeue removes req from the queue and reports whether it was still there.
func (s *Store) dequeue(req *appendReq) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	i := slices.Index(s.queue, req)
	if i >= 0 {
		s.queue = slices.Delete(s.queue, i, i+1)
	}
	return i >= 0
}

// take removes the head of the queue, as much as one group may hold.
func (s *Store) take() []*appendReq {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	n, events := 0, 0
	for n < len(s.queue) && n < maxGroupAppends && (n == 0 || events+len(s.queue[n].batch) <= maxGroupEvents) {
		events += len(s.queue[n].batch)
		n++
	}
	group := slices.Clone(s.queue[:n])
	s.queue = slices.Delete(s.queue, 0, n)
	return group
}

// lead waits for the writer connection (giving up when ctx, the leader's own context,
// ends), then takes the queue, which has grown meanwhile, and runs it as one group. The
// caller holds the token.
func (s *Store) lead(ctx context.Context) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return // the leader's submit loop dequeues it; the others lead themselves
		}
		for _, r := range s.take() {
			r.err = err
			close(r.done)
		}
		return
	}
	defer conn.Close()
	group := s.take()
	if len(group) > 0 {
		s.runGroup(conn, group)
	}
}

// runGroup appends group in one transaction on conn. Once taken into a group an append
// runs to its end whatever its context does: SQLite rolls back the whole transaction when a
// write statement is interrupted, which would fail the other appends of the group.
func (s *Store) runGroup(conn *sql.Conn, group []*appendReq) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	live := make([]*appendReq, 0, len(group))
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.Background()
	multi := len(live) > 1
	committed := make([]bool, len(live))
	err := runTx(ctx, conn, func(tx *sql.Tx) error {
		for i, r := range live {
			if !multi {
				var err error
				r.res, err = s.appendTx(ctx, tx, r.streamID, r.expected, r.batch)
				committed[i] = err == nil
				return err
			}
			if _, err := tx.ExecContext(ctx, "SAVEPOINT esgen_append"); err != nil {
				return err
			}
			res, err := s.appendTx(ctx, tx, r.streamID, r.expected, r.batch)
			if err != nil {
				if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO esgen_append"); rerr != nil {
					return rerr
				}
				r.err = err
			} else {
				r.res = res
				committed[i] = true
			}
			if _, err := tx.ExecContext(ctx, "RELEASE esgen_append"); err != nil {
				return err
			}
		}
		return nil
	})
	notify := false
	for i, r := range live {
		switch {
		case err != nil:
			// Nothing of the group committed, so an append's own outcome (a conflict
			// with another member's write, say) may not hold either: report the failure.
			r.res, r.err = eventstore.AppendResult{}, err
		case committed[i]:
			notify = true
		}
	}
	if notify {
		s.groups.Add(1)
		s.signal.Notify()
	}
}

// runTx runs fn in a transaction on conn and commits it if fn returns nil.
func runTx(ctx context.Context, conn *sql.Conn, fn func(tx *sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
