package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

const eventColumns = `position, stream_id, version, event_id, type, data, recorded_at, correlation_id, causation_id, trace_parent, trace_state, schema_fingerprint, headers`

// insertColumns are the columns an append writes, insertWidth of them per row.
const insertColumns = `stream_id, version, event_id, type, data, recorded_at, correlation_id, causation_id, trace_parent, trace_state, schema_fingerprint, headers`

const insertWidth = 12

// insertSizes are the row counts of the prepared multi-row INSERTs: an append of n events
// runs one statement per set bit of n (and one 128-row statement per further 128 events).
var insertSizes = [...]int{1, 2, 4, 8, 16, 32, 64, 128}

const maxInsertRows = 128

// statements are prepared once the schema is in place. Writer statements are prepared on
// the writer pool while no transaction holds its only connection, and bound to
// transactions with Tx.StmtContext, which then reuses them.
type statements struct {
	insert       [len(insertSizes)]*sql.Stmt
	streamGet    *sql.Stmt
	streamInsert *sql.Stmt
	streamUpdate *sql.Stmt

	rStreamGet     *sql.Stmt
	rReadForward   *sql.Stmt
	rReadBackward  *sql.Stmt
	rReadAll       *sql.Stmt
	rHead          *sql.Stmt
	prepared       bool
	preparedCloser []*sql.Stmt
}

func (st *statements) close() {
	for _, s := range st.preparedCloser {
		_ = s.Close()
	}
	st.preparedCloser = nil
}

func insertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (` + insertColumns + `) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?" + strings.Repeat(",?", insertWidth-1) + ")")
	}
	return b.String()
}

// prepare prepares the statements once; it must run while no transaction is open on the
// writer.
func (s *Store) prepare(ctx context.Context) error {
	s.prepMu.Lock()
	defer s.prepMu.Unlock()
	if s.st.prepared {
		return nil
	}
	var err error
	p := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, q)
		if err != nil {
			err = fmt.Errorf("sqlite: prepare %q: %w", q, err)
			return nil
		}
		s.st.preparedCloser = append(s.st.preparedCloser, st)
		return st
	}
	for i, n := range insertSizes {
		s.st.insert[i] = p(s.w, insertSQL(n))
	}
	s.st.streamGet = p(s.w, `SELECT version, state, truncated_before FROM streams WHERE stream_id = ?`)
	s.st.streamInsert = p(s.w, `INSERT INTO streams (stream_id, version, state, truncated_before) VALUES (?, ?, ?, ?)`)
	s.st.streamUpdate = p(s.w, `UPDATE streams SET version = ?, state = ?, truncated_before = ? WHERE stream_id = ?`)
	s.st.rStreamGet = p(s.r, `SELECT version, state, truncated_before FROM streams WHERE stream_id = ?`)
	s.st.rReadForward = p(s.r, `SELECT `+eventColumns+` FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?`)
	s.st.rReadBackward = p(s.r, `SELECT `+eventColumns+` FROM events WHERE stream_id = ? AND version <= ? AND version > ? ORDER BY version DESC LIMIT ?`)
	s.st.rReadAll = p(s.r, `SELECT `+eventColumns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`)
	s.st.rHead = p(s.r, `SELECT coalesce(max(position), 0) FROM events`)
	if err != nil {
		s.st.close()
		return err
	}
	s.st.prepared = true
	return nil
}
