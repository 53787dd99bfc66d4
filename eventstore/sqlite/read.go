package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/google/uuid"
)

// scanEvents reads every row of rows into a page.
func scanEvents(rows *sql.Rows, hint int) ([]eventstore.Event, error) {
	defer rows.Close()
	page := make([]eventstore.Event, 0, min(hint, eventstore.DefaultPageSize))
	for rows.Next() {
		var (
			e                       eventstore.Event
			pos, ver, rec           int64
			id, corr, cause, tp, ts sql.RawBytes
			headers                 sql.RawBytes
			fp                      sql.NullInt64
		)
		if err := rows.Scan(&pos, &e.StreamID, &ver, &id, &e.Type, &e.Data, &rec, &corr, &cause, &tp, &ts, &fp, &headers); err != nil {
			return nil, err
		}
		u, err := uuid.FromBytes(id)
		if err != nil {
			return nil, fmt.Errorf("event at position %d has a malformed ID: %w", pos, err)
		}
		if e.Metadata.Headers, err = decodeHeaders(headers); err != nil {
			return nil, fmt.Errorf("event at position %d: %w", pos, err)
		}
		if len(corr) > 0 {
			e.Metadata.CorrelationID = string(corr)
		}
		if len(cause) > 0 {
			e.Metadata.CausationID = string(cause)
		}
		if len(tp) > 0 {
			e.Metadata.TraceParent = string(tp)
		}
		if len(ts) > 0 {
			e.Metadata.TraceState = string(ts)
		}
		e.Metadata.SchemaFingerprint = uint64(fp.Int64)
		e.ID = u
		e.Position = eventstore.Position{Pos: uint64(pos)}
		e.Version = uint64(ver)
		e.RecordedAt = time.Unix(0, rec).UTC()
		page = append(page, e)
	}
	return page, rows.Err()
}

// queryEvents runs an ad hoc query on the read pool and returns its rows as events.
func (s *Store) queryEvents(ctx context.Context, q string, hint int, args ...any) ([]eventstore.Event, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows, hint)
}

func (s *Store) stmtEvents(ctx context.Context, st *sql.Stmt, hint int, args ...any) ([]eventstore.Event, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows, hint)
}

// readErr turns a failed page read into the error an iterator yields.
func (s *Store) readErr(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return s.wrapErr(fmt.Errorf("sqlite: %s: %w", what, err))
}

// ReadStream implements [eventstore.StreamReader]. It reads a page of events per query
// (holding no transaction between pages), so memory stays bounded by the page size.
func (s *Store) ReadStream(ctx context.Context, streamID string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := s.usable(); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if err := ctx.Err(); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if err := eventstore.ValidateStreamID(streamID); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if opts.Limit < 0 {
			yield(eventstore.Event{}, &eventstore.InputError{Field: "ReadStreamOptions.Limit", Problem: fmt.Sprintf("it is %d; give 0 for no limit or a positive count", opts.Limit)})
			return
		}
		if opts.Direction != eventstore.Forward && opts.Direction != eventstore.Backward {
			yield(eventstore.Event{}, &eventstore.InputError{Field: "ReadStreamOptions.Direction", Problem: fmt.Sprintf("unknown direction %d; use eventstore.Forward or eventstore.Backward", opts.Direction)})
			return
		}
		what := fmt.Sprintf("read stream %q", streamID)
		cur, err := scanStream(s.st.rStreamGet.QueryRowContext(ctx, streamID))
		if err != nil {
			yield(eventstore.Event{}, s.readErr(ctx, what, err))
			return
		}
		switch {
		case cur.found && cur.state == stateTombstoned:
			yield(eventstore.Event{}, tombstonedError(streamID))
			return
		case !cur.active():
			yield(eventstore.Event{}, notFoundError(streamID))
			return
		}
		remaining := opts.Limit
		if remaining == 0 {
			remaining = math.MaxInt
		}
		backward := opts.Direction == eventstore.Backward
		next := max(opts.From, cur.truncated+1) // forward: first version to read
		if backward {
			next = opts.From // backward: last version to read
			if next == 0 || next > cur.version {
				next = cur.version
			}
		}
		for remaining > 0 {
			if s.closed.Load() {
				yield(eventstore.Event{}, eventstore.ErrClosed)
				return
			}
			n := min(remaining, eventstore.DefaultPageSize)
			var page []eventstore.Event
			if backward {
				if next <= cur.truncated {
					return
				}
				page, err = s.stmtEvents(ctx, s.st.rReadBackward, n, streamID, int64(next), int64(cur.truncated), n)
			} else {
				page, err = s.stmtEvents(ctx, s.st.rReadForward, n, streamID, int64(next), n)
			}
			if err != nil {
				yield(eventstore.Event{}, s.readErr(ctx, what, err))
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < n {
				return
			}
			remaining -= len(page)
			last := page[len(page)-1].Version
			if backward {
				next = last - 1
			} else {
				next = last + 1
			}
		}
	}
}

// ReadAll implements [eventstore.LogReader]. Positions are gap-free commit sequence
// numbers, and SQLite shows a reader only whole committed transactions, so reading
// "position > checkpoint" can never skip an event that commits later.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := s.usable(); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if err := ctx.Err(); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if opts.After.Tx != 0 {
			yield(eventstore.Event{}, &eventstore.InputError{Field: "ReadAllOptions.After", Problem: fmt.Sprintf("position %s has a transaction part, which SQLite positions never have (they are 0/N); use a checkpoint written by this store", opts.After)})
			return
		}
		if opts.Limit < 0 {
			yield(eventstore.Event{}, &eventstore.InputError{Field: "ReadAllOptions.Limit", Problem: fmt.Sprintf("it is %d; give 0 for no limit or a positive count", opts.Limit)})
			return
		}
		q, args := readAllQuery(opts)
		remaining := opts.Limit
		if remaining == 0 {
			remaining = math.MaxInt
		}
		after := opts.After.Pos
		size := opts.PageSizeOr()
		for remaining > 0 {
			if s.closed.Load() {
				yield(eventstore.Event{}, eventstore.ErrClosed)
				return
			}
			n := min(remaining, size)
			var (
				page []eventstore.Event
				err  error
			)
			if q == "" {
				page, err = s.stmtEvents(ctx, s.st.rReadAll, n, int64(after), n)
			} else {
				args[0], args[len(args)-1] = int64(after), n
				page, err = s.queryEvents(ctx, q, n, args...)
			}
			if err != nil {
				yield(eventstore.Event{}, s.readErr(ctx, "read the global log", err))
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < n {
				return
			}
			remaining -= len(page)
			after = page[len(page)-1].Position.Pos
		}
	}
}

// readAllQuery returns the filtered global-log query and its arguments (the first is the
// checkpoint, the last the page size), or "" when opts has no filter and the prepared
// statement serves. Filters run in SQL so non-matching events never leave SQLite.
func readAllQuery(opts eventstore.ReadAllOptions) (string, []any) {
	if len(opts.Types) == 0 && opts.StreamPrefix == "" {
		return "", nil
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + eventColumns + ` FROM events WHERE position > ?`)
	args := []any{int64(0)}
	if len(opts.Types) > 0 {
		b.WriteString(` AND type IN (?` + strings.Repeat(",?", len(opts.Types)-1) + `)`)
		for _, t := range opts.Types {
			args = append(args, t)
		}
	}
	if opts.StreamPrefix != "" {
		// A byte-wise range, which SQLite's BINARY collation compares like memcmp.
		// The unary + keeps SQLite from using the (stream_id, version) index, which would
		// sort every matching event for each page; the scan in position order stops at
		// the page size instead.
		b.WriteString(` AND +stream_id >= ?`)
		args = append(args, opts.StreamPrefix)
		if end, ok := prefixEnd(opts.StreamPrefix); ok {
			b.WriteString(` AND +stream_id < ?`)
			args = append(args, end)
		}
	}
	b.WriteString(` ORDER BY position LIMIT ?`)
	args = append(args, 0)
	return b.String(), args
}

// prefixEnd returns the smallest string greater than every string with prefix p, or false
// when there is none (p is all 0xFF bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// Subscribe implements [eventstore.LogReader] with [eventstore.Follow], woken after every
// commit of this Store (and polling at opts.PollInterval otherwise).
func (s *Store) Subscribe(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return eventstore.Follow(ctx, opts, s.signal.C, s.ReadAll)
}

// Head implements [eventstore.LogReader].
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.usable(); err != nil {
		return eventstore.Position{}, err
	}
	var n int64
	if err := s.st.rHead.QueryRowContext(ctx).Scan(&n); err != nil {
		return eventstore.Position{}, s.readErr(ctx, "read the head of the log", err)
	}
	return eventstore.Position{Pos: uint64(n)}, nil
}
