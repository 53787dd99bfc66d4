package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/esgen/esgen/eventstore"
)

// ReadStream implements [eventstore.StreamReader]. Each page is one statement that also
// reads the stream's state, so the first page costs one round trip.
func (s *Store) ReadStream(ctx context.Context, streamID string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := eventstore.ValidateStreamID(streamID); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		remaining := opts.Limit
		if remaining <= 0 {
			remaining = -1
		}
		backward := opts.Direction == eventstore.Backward
		lo, hi := int64(1), int64(math.MaxInt64)
		if from := clampInt64(opts.From); backward && from > 0 {
			hi = from
		} else if !backward && from > 1 {
			lo = from
		}
		sql := s.q.streamForward
		if backward {
			sql = s.q.streamBack
		}
		page := make([]eventstore.Event, 0, min(eventstore.DefaultPageSize, max(remaining, 16)))
		first := true
		for remaining != 0 && lo <= hi {
			if s.closed.Load() {
				yield(eventstore.Event{}, errClosed("read stream"))
				return
			}
			n := eventstore.DefaultPageSize
			if remaining > 0 && remaining < n {
				n = remaining
			}
			state, err := s.streamPage(ctx, sql, streamID, lo, hi, n, &page)
			if err != nil {
				yield(eventstore.Event{}, fmt.Errorf("postgres: read stream %q: %w", streamID, err))
				return
			}
			if first {
				first = false
				switch state {
				case stateTombstoned:
					yield(eventstore.Event{}, fmt.Errorf("postgres: read stream %q: %w", streamID, eventstore.ErrStreamDeleted))
					return
				case stateActive:
				default:
					yield(eventstore.Event{}, fmt.Errorf("postgres: read stream %q: %w", streamID, eventstore.ErrStreamNotFound))
					return
				}
			}
			for i := range page {
				if !yield(page[i], nil) {
					return
				}
			}
			if len(page) < n {
				return
			}
			if remaining > 0 {
				remaining -= len(page)
			}
			last := int64(page[len(page)-1].Version)
			if backward {
				hi = last - 1
			} else {
				lo = last + 1
			}
		}
	}
}

// streamPage reads one page of a stream into page and returns the stream's state (0 when
// the stream has no row).
func (s *Store) streamPage(ctx context.Context, sql, streamID string, lo, hi int64, n int, page *[]eventstore.Event) (int16, error) {
	*page = (*page)[:0]
	rows, err := s.pool.Query(ctx, sql, streamID, lo, hi, n)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var state int16
	var r eventRow
	targets := []any{&state, &r.pos, &r.tx, &r.version, &r.id, &r.typ, &r.data, &r.metadata, &r.recorded}
	for rows.Next() {
		r.data, r.metadata = nil, nil
		if err := rows.Scan(targets...); err != nil {
			return 0, err
		}
		if !r.present() { // the stream row without events in range
			continue
		}
		r.stream = pgtype.Text{String: streamID, Valid: true}
		e, err := r.event()
		if err != nil {
			return 0, err
		}
		*page = append(*page, e)
	}
	return state, rows.Err()
}

// ReadAll implements [eventstore.LogReader] with one statement per page: events after the
// checkpoint in (tx_id, global_position) order, of transactions older than every running one.
// Type and stream prefix filters run in the database. A page is fetched whole before it is
// yielded, so a slow consumer holds no connection.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		remaining := opts.Limit
		if remaining <= 0 {
			remaining = -1
		}
		size := opts.PageSizeOr()
		variant := 0
		args := []any{opts.After.Tx, clampInt64(opts.After.Pos), 0}
		if len(opts.Types) > 0 {
			variant |= filterTypes
			args = append(args, opts.Types)
		}
		if opts.StreamPrefix != "" {
			variant |= filterPrefix
			args = append(args, opts.StreamPrefix)
		}
		sql := s.q.readAll[variant]
		page := make([]eventstore.Event, 0, min(size, 1024))
		for remaining != 0 {
			if s.closed.Load() {
				yield(eventstore.Event{}, errClosed("read all"))
				return
			}
			n := size
			if remaining > 0 && remaining < n {
				n = remaining
			}
			args[2] = n
			var err error
			page, err = s.readPage(ctx, sql, args, page[:0])
			if err != nil {
				yield(eventstore.Event{}, fmt.Errorf("postgres: read all after %s: %w", eventstore.Position{Tx: args[0].(uint64), Pos: uint64(args[1].(int64))}, err))
				return
			}
			for i := range page {
				if !yield(page[i], nil) {
					return
				}
			}
			if len(page) < n {
				return
			}
			if remaining > 0 {
				remaining -= len(page)
			}
			last := page[len(page)-1].Position
			args[0], args[1] = last.Tx, int64(last.Pos)
		}
	}
}

// readPage reads one page of the global log. When the page's horizon was set by a
// transaction pg_stat_activity did not show (see horizonSQL), it reads once more with a new
// snapshot, so that a transaction ending at the wrong moment does not make the horizon step
// back.
func (s *Store) readPage(ctx context.Context, sql string, args []any, page []eventstore.Event) ([]eventstore.Event, error) {
	for attempt := 0; ; attempt++ {
		var unknown bool
		var err error
		page, unknown, err = s.readPageOnce(ctx, sql, args, page[:0])
		if err != nil || !unknown || attempt == 1 {
			return page, err
		}
	}
}

func (s *Store) readPageOnce(ctx context.Context, sql string, args []any, page []eventstore.Event) ([]eventstore.Event, bool, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return page, false, err
	}
	defer rows.Close()
	var unknown bool
	var r eventRow
	targets := append([]any{&unknown}, r.targets()...)
	for rows.Next() {
		r.data, r.metadata = nil, nil
		if err := rows.Scan(targets...); err != nil {
			return page, false, err
		}
		if !r.present() {
			continue
		}
		e, err := r.event()
		if err != nil {
			return page, false, err
		}
		page = append(page, e)
	}
	return page, unknown, rows.Err()
}

// Subscribe implements [eventstore.LogReader] with [eventstore.Follow]. Appends notify a
// LISTEN/NOTIFY channel, which one dedicated connection per store listens to (opened by the
// first Subscribe); subscribers also poll every opts.PollInterval, so they keep working while
// that connection is down or when a transaction outside the store holds the horizon back.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	var wake func() <-chan struct{}
	if s.channel != "" {
		wake = s.wake
	}
	return eventstore.Follow(ctx, opts, wake, s.ReadAll)
}

// Head implements [eventstore.LogReader]: the last event below the horizon.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if s.closed.Load() {
		return eventstore.Position{}, errClosed("head")
	}
	for attempt := 0; ; attempt++ {
		var unknown bool
		var tx pgtype.Uint64
		var pos pgtype.Int8
		if err := s.pool.QueryRow(ctx, s.q.head).Scan(&unknown, &tx, &pos); err != nil {
			return eventstore.Position{}, fmt.Errorf("postgres: head: %w", err)
		}
		if unknown && attempt == 0 {
			continue // see readPage
		}
		if !pos.Valid {
			return eventstore.Start, nil
		}
		return eventstore.Position{Tx: tx.Uint64, Pos: uint64(pos.Int64)}, nil
	}
}

// wake starts the listener on first use and returns the channel the next notification closes.
func (s *Store) wake() <-chan struct{} {
	s.listenOnce.Do(func() {
		if s.closed.Load() {
			return
		}
		s.started.Store(true)
		go s.listen()
	})
	return s.signal.C()
}

// listen keeps a dedicated connection listening to the store's channel and turns every
// notification into a wake-up, reconnecting with exponential backoff when it fails.
func (s *Store) listen() {
	defer close(s.done)
	const maxBackoff = 10 * time.Second
	backoff := 100 * time.Millisecond
	for s.stopCtx.Err() == nil {
		connected, err := s.listenConn()
		if s.stopCtx.Err() != nil {
			return
		}
		if connected {
			backoff = 100 * time.Millisecond
		}
		s.log.Warn("postgres: notification listener lost its connection; subscriptions poll until it is back",
			"schema", s.schema, "retry_in", backoff, "error", err)
		s.signal.Notify()
		t := time.NewTimer(backoff)
		select {
		case <-s.stopCtx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listenConn listens on one connection until it fails; connected reports whether LISTEN
// succeeded.
func (s *Store) listenConn() (connected bool, err error) {
	ctx := s.stopCtx
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return false, err
	}
	// Anything committed while no one listened: look now.
	s.signal.Notify()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		s.signal.Notify()
	}
}

// StreamInfo implements [eventstore.Store].
func (s *Store) StreamInfo(ctx context.Context, streamID string) (eventstore.StreamInfo, error) {
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return eventstore.StreamInfo{}, err
	}
	if s.closed.Load() {
		return eventstore.StreamInfo{}, errClosed("stream info")
	}
	info := eventstore.StreamInfo{StreamID: streamID}
	var version int64
	var state int16
	err := s.pool.QueryRow(ctx, s.q.streamInfo, streamID).Scan(&version, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return info, nil
	}
	if err != nil {
		return eventstore.StreamInfo{}, fmt.Errorf("postgres: stream info %q: %w", streamID, err)
	}
	info.Version, info.State = uint64(version), toStreamState(state)
	return info, nil
}

// Delete implements [eventstore.Store].
func (s *Store) Delete(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return s.remove(ctx, streamID, expected, false)
}

// Tombstone implements [eventstore.Store].
func (s *Store) Tombstone(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return s.remove(ctx, streamID, expected, true)
}

// remove soft-deletes or tombstones a stream under the stream's advisory lock, the lock
// appends take, so it never interleaves with an append to the stream.
func (s *Store) remove(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, tombstone bool) error {
	op := "delete"
	if tombstone {
		op = "tombstone"
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return err
	}
	if s.closed.Load() {
		return errClosed(op)
	}
	var outcome error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.q.lockStream, s.lockKey(streamID)); err != nil {
			return err
		}
		var version int64
		var state int16
		err := tx.QueryRow(ctx, s.q.streamInfo, streamID).Scan(&version, &state)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		exists := state == stateActive
		switch {
		case state == stateTombstoned:
			outcome = fmt.Errorf("postgres: %s stream %q: %w", op, streamID, eventstore.ErrStreamDeleted)
			return nil
		case !tombstone && !exists:
			outcome = fmt.Errorf("postgres: delete stream %q: %w; there is nothing to delete", streamID, eventstore.ErrStreamNotFound)
			return nil
		}
		if outcome = expected.Check(streamID, uint64(version), exists); outcome != nil {
			return nil
		}
		sql := s.q.deleteStream
		if tombstone {
			sql = s.q.tombstone
		}
		_, err = tx.Exec(ctx, sql, streamID)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: %s stream %q: %w", op, streamID, err)
	}
	return outcome
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
