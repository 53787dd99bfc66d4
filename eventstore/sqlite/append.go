package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/google/uuid"
)

// Stream states as stored in streams.state.
const (
	stateActive     = 1
	stateDeleted    = 2
	stateTombstoned = 3
)

// streamRow is a stream's row; found is false when the stream was never written.
type streamRow struct {
	found     bool
	version   uint64
	state     int
	truncated uint64
}

func (r streamRow) active() bool { return r.found && r.state == stateActive }

func (r streamRow) info(id string) eventstore.StreamInfo {
	in := eventstore.StreamInfo{StreamID: id, Version: r.version}
	switch {
	case !r.found:
		in.State = eventstore.StreamAbsent
	case r.state == stateActive:
		in.State = eventstore.StreamActive
	case r.state == stateDeleted:
		in.State = eventstore.StreamSoftDeleted
	default:
		in.State = eventstore.StreamTombstoned
	}
	return in
}

func scanStream(row *sql.Row) (streamRow, error) {
	var r streamRow
	var v, tr int64
	err := row.Scan(&v, &r.state, &tr)
	if errors.Is(err, sql.ErrNoRows) {
		return streamRow{}, nil
	}
	if err != nil {
		return streamRow{}, err
	}
	r.found, r.version, r.truncated = true, uint64(v), uint64(tr)
	return r, nil
}

func tombstonedError(id string) error {
	return fmt.Errorf("sqlite: stream %q was tombstoned and can never be written or read again; use a new stream ID: %w", id, eventstore.ErrStreamDeleted)
}

func notFoundError(id string) error {
	return fmt.Errorf("sqlite: stream %q has no events or was deleted: %w", id, eventstore.ErrStreamNotFound)
}

// errEventIDTaken is returned from inside the write transaction when an event ID is
// already committed; Append then decides between an idempotent retry and a reused ID.
var errEventIDTaken = errors.New("event ID already committed")

// Append implements [eventstore.Appender]. The events are written in a transaction on the
// single writer connection; their global positions are the events table's rowids, assigned
// under SQLite's write lock and therefore in commit order, with no gaps. Appends that wait
// for the writer at the same time share one transaction, each in its own savepoint, so
// they share one fsync (group commit); each still succeeds or fails on its own.
func (s *Store) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := s.usable(); err != nil {
		return eventstore.AppendResult{}, err
	}
	batch, _, err := eventstore.PrepareAppend(ctx, streamID, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	// Writes become visible in one step (the commit) and writers are serialised, so the
	// test hook runs before the append queues for the writer, never while holding it.
	if err := eventstore.BeforeCommit(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	req := &appendReq{ctx: ctx, streamID: streamID, expected: expected, batch: batch, done: make(chan struct{})}
	s.submit(req)
	res, err := req.res, req.err
	if err == nil {
		return res, nil
	}
	if errors.Is(err, errEventIDTaken) || errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		// A retry of a committed append meets either its own event IDs or, with an
		// expected version, the version it moved the stream to. Look for the IDs.
		committed, lerr := s.committedEvents(ctx, batch)
		if lerr != nil {
			return eventstore.AppendResult{}, s.wrapErr(fmt.Errorf("sqlite: append to %q: look up committed event IDs: %w", streamID, lerr))
		}
		dup, ok, merr := eventstore.MatchCommitted(streamID, batch, committed)
		switch {
		case merr != nil:
			return eventstore.AppendResult{}, merr
		case ok:
			return dup, nil
		case errors.Is(err, errEventIDTaken):
			// The conflicting row vanished: events are never deleted, so this is a bug.
			return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: an event ID conflicted but no committed event has it: %w", streamID, err)
		}
		return eventstore.AppendResult{}, err
	}
	if errors.Is(err, eventstore.ErrStreamDeleted) {
		return eventstore.AppendResult{}, err
	}
	return eventstore.AppendResult{}, s.wrapErr(fmt.Errorf("sqlite: append to %q: %w", streamID, err))
}

// appendTx appends batch to streamID inside tx, checking expected against the stream's row.
func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, streamID string, expected eventstore.ExpectedVersion, batch []eventstore.EventData) (eventstore.AppendResult, error) {
	cur, err := scanStream(tx.StmtContext(ctx, s.st.streamGet).QueryRowContext(ctx, streamID))
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if cur.found && cur.state == stateTombstoned {
		return eventstore.AppendResult{}, tombstonedError(streamID)
	}
	if err := expected.Check(streamID, cur.version, cur.active()); err != nil {
		return eventstore.AppendResult{}, err
	}
	last, err := s.insertEvents(ctx, tx, streamID, cur.version, batch)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	next := cur.version + uint64(len(batch))
	if cur.found {
		_, err = tx.StmtContext(ctx, s.st.streamUpdate).ExecContext(ctx, int64(next), stateActive, int64(cur.truncated), streamID)
	} else {
		_, err = tx.StmtContext(ctx, s.st.streamInsert).ExecContext(ctx, streamID, int64(next), stateActive, 0)
	}
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	ids := make([]uuid.UUID, len(batch))
	for i, e := range batch {
		ids[i] = e.ID
	}
	return eventstore.AppendResult{
		StreamID:     streamID,
		FirstVersion: cur.version + 1,
		LastVersion:  next,
		Position:     eventstore.Position{Pos: uint64(last)},
		EventIDs:     ids,
	}, nil
}

// insertEvents inserts the batch as versions from+1.. and returns the last row's position.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, streamID string, from uint64, batch []eventstore.EventData) (int64, error) {
	now := time.Now().UnixNano()
	var last int64
	args := make([]any, 0, insertWidth*min(len(batch), maxInsertRows))
	for i := 0; i < len(batch); {
		n := min(len(batch)-i, maxInsertRows)
		k := len(insertSizes) - 1
		for insertSizes[k] > n {
			k--
		}
		n = insertSizes[k]
		args = args[:0]
		for j := i; j < i+n; j++ {
			e := &batch[j]
			var data any
			if e.Data != nil {
				data = e.Data
			}
			corr, cause, tp, ts, fp, headers, err := metadataArgs(&e.Metadata)
			if err != nil {
				return 0, err
			}
			args = append(args, streamID, int64(from+uint64(j)+1), e.ID[:], e.Type, data, now, corr, cause, tp, ts, fp, headers)
		}
		r, err := tx.StmtContext(ctx, s.st.insert[k]).ExecContext(ctx, args...)
		if err != nil {
			if sqliteCode(err) == sqliteConstraintUnique && strings.Contains(err.Error(), "events.event_id") {
				return 0, errEventIDTaken
			}
			return 0, err
		}
		if last, err = r.LastInsertId(); err != nil {
			return 0, err
		}
		i += n
	}
	return last, nil
}

// committedEvents returns the committed events that carry any of batch's IDs.
func (s *Store) committedEvents(ctx context.Context, batch []eventstore.EventData) (map[uuid.UUID]eventstore.Event, error) {
	out := make(map[uuid.UUID]eventstore.Event)
	const chunk = 500
	for i := 0; i < len(batch); i += chunk {
		part := batch[i:min(i+chunk, len(batch))]
		args := make([]any, len(part))
		for j := range part {
			args[j] = part[j].ID[:]
		}
		q := `SELECT ` + eventColumns + ` FROM events WHERE event_id IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		evs, err := s.queryEvents(ctx, q, len(part), args...)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			out[e.ID] = e
		}
	}
	return out, nil
}

// StreamInfo implements [eventstore.Store].
func (s *Store) StreamInfo(ctx context.Context, streamID string) (eventstore.StreamInfo, error) {
	if err := s.usable(); err != nil {
		return eventstore.StreamInfo{}, err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return eventstore.StreamInfo{}, err
	}
	r, err := scanStream(s.st.rStreamGet.QueryRowContext(ctx, streamID))
	if err != nil {
		return eventstore.StreamInfo{}, s.wrapErr(fmt.Errorf("sqlite: stream info %q: %w", streamID, err))
	}
	return r.info(streamID), nil
}

// Delete implements [eventstore.Store]: the stream's events stay in the global log, its
// version is kept, and its versions up to the current one are hidden from ReadStream.
func (s *Store) Delete(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return s.remove(ctx, streamID, expected, stateDeleted)
}

// Tombstone implements [eventstore.Store].
func (s *Store) Tombstone(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return s.remove(ctx, streamID, expected, stateTombstoned)
}

func (s *Store) remove(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, to int) error {
	if err := s.usable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return err
	}
	if err := eventstore.BeforeCommit(ctx); err != nil {
		return err
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanStream(tx.StmtContext(ctx, s.st.streamGet).QueryRowContext(ctx, streamID))
		if err != nil {
			return err
		}
		if cur.found && cur.state == stateTombstoned {
			return tombstonedError(streamID)
		}
		if to == stateDeleted && !cur.active() {
			return notFoundError(streamID)
		}
		if err := expected.Check(streamID, cur.version, cur.active()); err != nil {
			return err
		}
		truncated := cur.truncated
		if to == stateDeleted {
			truncated = cur.version
		}
		if cur.found {
			_, err = tx.StmtContext(ctx, s.st.streamUpdate).ExecContext(ctx, int64(cur.version), to, int64(truncated), streamID)
		} else {
			_, err = tx.StmtContext(ctx, s.st.streamInsert).ExecContext(ctx, streamID, 0, to, 0)
		}
		return err
	})
	if err == nil {
		return nil
	}
	if errors.Is(err, eventstore.ErrStreamDeleted) || errors.Is(err, eventstore.ErrStreamNotFound) || errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		return err
	}
	return s.wrapErr(fmt.Errorf("sqlite: delete %q: %w", streamID, err))
}
