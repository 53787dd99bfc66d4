package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/esgen/esgen/eventstore"
)

// eventColumns are the columns every event query selects, in scanEvent's order.
const eventColumns = "global_position, tx_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at"

// horizon is the SQL for the read horizon: the oldest transaction of this database still
// running when the statement's snapshot was taken (or the snapshot's xmax when there is
// none). Every transaction of this database below it has ended, so no event can appear below
// it any more.
//
// It refines the design's pg_snapshot_xmin(pg_current_snapshot()), which is the oldest
// running transaction of the whole server: transactions IDs are server-wide, but a
// transaction connected to another database can never write this database's tables. So the
// running transactions of the snapshot (pg_snapshot_xip) are skipped when pg_stat_activity
// shows them in another database (datid and backend_xid are visible to every role). Any
// transaction not positively placed elsewhere (a prepared transaction, one that got its ID
// after pg_stat_activity was read) still counts, so the horizon is never above a
// transaction that could still commit events here. It is evaluated inside the
// reading statement, from that statement's own snapshot.
const horizon = `(SELECT coalesce(min(r.x), pg_snapshot_xmax(pg_current_snapshot()))
   FROM pg_snapshot_xip(pg_current_snapshot()) AS r(x)
  WHERE r.x::xid <> ALL (ARRAY(
        SELECT a.backend_xid FROM pg_stat_activity a
         WHERE a.backend_xid IS NOT NULL
           AND a.datid IS DISTINCT FROM (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))))`

// queries holds the store's SQL, built once with the quoted schema name.
type queries struct {
	append        string
	byIDs         string
	readAll       [4]string // indexed by readAllVariant
	head          string
	streamForward string
	streamBack    string
	streamInfo    string
	lockStream    string
	deleteStream  string
	tombstone     string
	stall         string
}

func newQueries(s string) queries {
	q := queries{
		append: "SELECT o_status, o_version, o_state, o_tx_id, o_last_position FROM " + s +
			".append_events($1, $2, $3, $4, $5, $6, $7, $8::jsonb[], $9)",
		byIDs: "SELECT " + eventColumns + " FROM " + s + ".events WHERE event_id = ANY ($1)",
		head: "SELECT tx_id, global_position FROM " + s + ".events WHERE tx_id < " + horizon +
			" ORDER BY tx_id DESC, global_position DESC LIMIT 1",
		streamInfo: "SELECT version, state FROM " + s + ".streams WHERE stream_id = $1",
		lockStream: "SELECT pg_advisory_xact_lock($1)",
		deleteStream: "UPDATE " + s + ".streams SET state = 2, truncated_at = version, updated_at = now() " +
			"WHERE stream_id = $1",
		tombstone: "INSERT INTO " + s + ".streams AS t (stream_id, version, state, truncated_at) VALUES ($1, 0, 3, 0) " +
			"ON CONFLICT (stream_id) DO UPDATE SET state = 3, truncated_at = t.version, updated_at = now()",
		// Readers are held back when committed events sit at or above the horizon: the
		// transaction at the horizon (the oldest with an ID) must end first.
		stall: `WITH h AS (SELECT ` + horizon + ` AS xmin)
SELECT h.xmin,
       (SELECT count(*) FROM (SELECT 1 FROM ` + s + `.events e WHERE e.tx_id >= h.xmin LIMIT 10000) w),
       a.pid, extract(epoch FROM clock_timestamp() - a.xact_start)::float8, a.state, a.query
  FROM h
  LEFT JOIN LATERAL (
       SELECT pid, xact_start, state, left(query, 200) AS query
         FROM pg_stat_activity
        WHERE backend_xid = h.xmin::xid
        LIMIT 1) a ON true`,
	}
	stream := func(order string) string {
		return `SELECT s.state, e.global_position, e.tx_id, e.stream_version, e.event_id, e.event_type, e.data, e.metadata, e.recorded_at
  FROM ` + s + `.streams s
  LEFT JOIN LATERAL (
       SELECT * FROM ` + s + `.events e
        WHERE e.stream_id = s.stream_id
          AND e.stream_version BETWEEN greatest($2, s.truncated_at + 1) AND $3
        ORDER BY e.stream_version ` + order + `
        LIMIT $4) e ON true
 WHERE s.stream_id = $1`
	}
	q.streamForward = stream("ASC")
	q.streamBack = stream("DESC")
	for v := range q.readAll {
		q.readAll[v] = readAllSQL(s, v&filterTypes != 0, v&filterPrefix != 0)
	}
	return q
}

// Filters of a global read, combined into an index of queries.readAll.
const (
	filterTypes  = 1
	filterPrefix = 2
)

// readAllSQL is the global read of the design: the (tx_id, global_position) row comparison
// after the checkpoint, below the horizon, in log order. Parameters: $1 tx, $2 position,
// $3 limit, then the types array and the stream prefix when filtered.
func readAllSQL(s string, types, prefix bool) string {
	var b strings.Builder
	b.WriteString("SELECT " + eventColumns + " FROM " + s + ".events" +
		" WHERE (tx_id, global_position) > ($1, $2) AND tx_id < " + horizon)
	n := 3
	if types {
		n++
		b.WriteString(" AND event_type = ANY ($" + strconv.Itoa(n) + ")")
	}
	if prefix {
		n++
		b.WriteString(" AND starts_with(stream_id, $" + strconv.Itoa(n) + ")")
	}
	b.WriteString(" ORDER BY tx_id, global_position LIMIT $3")
	return b.String()
}

// eventRow receives one row of eventColumns.
type eventRow struct {
	pos      int64
	tx       uint64
	stream   string
	version  int64
	id       pgtype.UUID
	typ      string
	data     []byte
	metadata []byte
	recorded time.Time
}

func (r *eventRow) targets() []any {
	return []any{&r.pos, &r.tx, &r.stream, &r.version, &r.id, &r.typ, &r.data, &r.metadata, &r.recorded}
}

func (r *eventRow) event() (eventstore.Event, error) {
	e := eventstore.Event{
		ID:         uuid.UUID(r.id.Bytes),
		StreamID:   r.stream,
		Version:    uint64(r.version),
		Position:   eventstore.Position{Tx: r.tx, Pos: uint64(r.pos)},
		Type:       r.typ,
		Data:       r.data,
		RecordedAt: r.recorded.UTC(),
	}
	if e.Data == nil {
		e.Data = []byte{}
	}
	if len(r.metadata) > 2 { // "{}" is empty metadata
		m, err := eventstore.UnmarshalMetadata(r.metadata)
		if err != nil {
			return eventstore.Event{}, fmt.Errorf("event %s at %s: %w", e.ID, e.Position, err)
		}
		e.Metadata = m
	}
	return e, nil
}

// scanEvent scans one row of eventColumns.
func scanEvent(rows pgx.Rows) (eventstore.Event, error) {
	var r eventRow
	if err := rows.Scan(r.targets()...); err != nil {
		return eventstore.Event{}, err
	}
	return r.event()
}
