package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/esgen/esgen/eventstore"
)

// Append statuses returned by the append_events function.
const (
	statusAppended  = 0
	statusConflict  = 1
	statusIDsExist  = 2
	statusTombstone = 3
)

// Stream states stored in streams.state (0: no row).
const (
	stateActive     = 1
	stateDeleted    = 2
	stateTombstoned = 3
)

func toStreamState(s int16) eventstore.StreamState {
	switch s {
	case stateActive:
		return eventstore.StreamActive
	case stateDeleted:
		return eventstore.StreamSoftDeleted
	case stateTombstoned:
		return eventstore.StreamTombstoned
	}
	return eventstore.StreamAbsent
}

// expectArgs encodes an expected version for append_events.
func expectArgs(e eventstore.ExpectedVersion) (kind int16, version int64) {
	switch {
	case e.IsNoStream():
		return 1, 0
	case e.IsStreamExists():
		return 2, 0
	}
	if n, ok := e.Exact(); ok {
		if n > math.MaxInt64 {
			n = math.MaxInt64 // no stream gets there; the check fails as it should
		}
		return 3, int64(n)
	}
	return 0, 0
}

// appendRow is what append_events returns.
type appendRow struct {
	status   int16
	version  int64
	state    int16
	tx       *uint64
	position *int64
}

// Append implements [eventstore.Appender]. It is one statement, and so one round trip and
// one transaction: the append_events function takes the stream's advisory lock, checks the
// expected version and earlier use of the event IDs, inserts the events with one INSERT ...
// SELECT FROM unnest and notifies subscribers. Under [eventstore.WithBeforeCommit] the
// statement runs in an explicit transaction and the hook runs before COMMIT.
func (s *Store) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	batch, metas, err := eventstore.PrepareAppend(ctx, streamID, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if s.closed.Load() {
		return eventstore.AppendResult{}, errClosed("append")
	}
	n := len(batch)
	ids := make([]uuid.UUID, n)
	types := make([]string, n)
	data := make([][]byte, n)
	meta := make([]string, n)
	for i, e := range batch {
		ids[i] = e.ID
		types[i] = e.Type
		data[i] = e.Data
		if data[i] == nil {
			data[i] = []byte{}
		}
		meta[i] = string(metas[i])
	}
	kind, version := expectArgs(expected)
	var channel *string
	if s.channel != "" {
		channel = &s.channel
	}
	args := []any{streamID, s.lockKey(streamID), kind, version, ids, types, data, meta, channel}

	var row appendRow
	scan := func(r pgx.Row) error {
		return r.Scan(&row.status, &row.version, &row.state, &row.tx, &row.position)
	}
	if !eventstore.HasBeforeCommit(ctx) {
		err = scan(s.pool.QueryRow(ctx, s.q.append, args...))
	} else {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := scan(tx.QueryRow(ctx, s.q.append, args...)); err != nil {
				return err
			}
			if row.status != statusAppended {
				return nil
			}
			return eventstore.BeforeCommit(ctx)
		})
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "events_event_id" {
			// Some IDs are committed already (a retry, or IDs reused): the append was rolled
			// back as a whole; the committed events tell which.
			return s.matchCommitted(ctx, streamID, batch)
		}
		return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: %w", streamID, err)
	}

	switch row.status {
	case statusAppended:
		// Subscribers of this process need not wait for the NOTIFY round trip (or, with
		// notifications off, for their next poll).
		s.signal.Notify()
		last := uint64(row.version)
		return eventstore.AppendResult{
			StreamID:     streamID,
			FirstVersion: last - uint64(n) + 1,
			LastVersion:  last,
			Position:     eventstore.Position{Tx: *row.tx, Pos: uint64(*row.position)},
			EventIDs:     ids,
		}, nil
	case statusTombstone:
		return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: %w; it can never be written again, use another stream ID", streamID, eventstore.ErrStreamDeleted)
	case statusIDsExist:
		return s.matchCommitted(ctx, streamID, batch)
	case statusConflict:
		if err := expected.Check(streamID, uint64(row.version), row.state == stateActive); err != nil {
			return eventstore.AppendResult{}, err
		}
		return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: the database rejected expected %s at version %d (state %d) but the client accepts it; the schema may be from another esgen version",
			streamID, expected, row.version, row.state)
	}
	return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: unknown status %d from append_events; the schema may be from another esgen version", streamID, row.status)
}

// matchCommitted loads the committed events among batch's IDs and lets
// [eventstore.MatchCommitted] decide between a retry and a misuse of IDs.
func (s *Store) matchCommitted(ctx context.Context, streamID string, batch []eventstore.EventData) (eventstore.AppendResult, error) {
	ids := make([]uuid.UUID, len(batch))
	for i, e := range batch {
		ids[i] = e.ID
	}
	rows, err := s.pool.Query(ctx, s.q.byIDs, ids)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: load committed events: %w", streamID, err)
	}
	committed := make(map[uuid.UUID]eventstore.Event, len(batch))
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: %w", streamID, err)
		}
		committed[e.ID] = e
	}
	if err := rows.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: load committed events: %w", streamID, err)
	}
	res, ok, err := eventstore.MatchCommitted(streamID, batch, committed)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !ok {
		// The IDs were seen, then vanished: impossible while events are never deleted.
		return eventstore.AppendResult{}, fmt.Errorf("postgres: append to stream %q: event IDs reported as committed were not found; retry the append", streamID)
	}
	return res, nil
}
