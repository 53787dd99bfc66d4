package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/esgen/esgen/eventstore"
)

// eventColumns are the columns every event query selects, in scanEvent's order.
const eventColumns = "global_position, tx_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at"

// horizonSQL selects the read horizon x: the oldest transaction of this database still
// running when the statement's snapshot was taken (or the snapshot's xmax when there is
// none). Every transaction of this database below it has ended, so no event can appear
// below it any more.
//
// It refines the design's pg_snapshot_xmin(pg_current_snapshot()), which is the oldest
// running transaction of the whole server: transaction IDs are server-wide, but a
// transaction connected to another database can never write this database's tables. So the
// running transactions of the snapshot (pg_snapshot_xip) are skipped when pg_stat_activity
// shows them in another database (datid and backend_xid are visible to every role). A
// transaction not positively placed elsewhere still counts, so the horizon is never above a
// transaction that could still commit events here; unknown reports that such a transaction
// sets the horizon: pg_stat_activity did not show it at all, because it is prepared (two
// phase) or because it ended between the snapshot and the look at pg_stat_activity. In the
// second case the horizon is lower than it was a moment ago, so callers read again with a
// new snapshot (see [Store.query]). pg_stat_activity is read only when some transaction is
// running. Prepared transactions of other databases (pg_prepared_xacts) are skipped too.
//
// On a hot standby the snapshot lists no running transactions at all (PostgreSQL keeps them
// in its subtransaction list there), so the fallback is the snapshot's xmin, as in the
// design, rather than its xmax: a transaction still open on the primary then holds readers
// of the standby back instead of landing behind their checkpoints.
const horizonSQL = `SELECT coalesce(c.x, CASE WHEN pg_is_in_recovery() THEN pg_snapshot_xmin(pg_current_snapshot())
                                  ELSE pg_snapshot_xmax(pg_current_snapshot()) END) AS x,
       coalesce(c.unknown, false) AS unknown
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
       SELECT r.x,
              NOT (r.x::xid = ANY (ARRAY(SELECT a.backend_xid FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL))) AS unknown
         FROM pg_snapshot_xip(pg_current_snapshot()) AS r(x)
        WHERE r.x::xid <> ALL (ARRAY(
              SELECT a.backend_xid FROM pg_stat_activity a
               WHERE a.backend_xid IS NOT NULL
                 AND a.datid IS DISTINCT FROM (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
              UNION ALL
              SELECT p.transaction FROM pg_prepared_xacts p WHERE p.database <> current_database()))
        ORDER BY r.x
        LIMIT 1) AS c ON true`

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
		head: `WITH h AS MATERIALIZED (` + horizonSQL + `)
SELECT h.unknown, e.tx_id, e.global_position
  FROM h LEFT JOIN LATERAL (
       SELECT tx_id, global_position FROM ` + s + `.events
        WHERE tx_id < h.x
        ORDER BY tx_id DESC, global_position DESC
        LIMIT 1) AS e ON true`,
		streamInfo: "SELECT version, state FROM " + s + ".streams WHERE stream_id = $1",
		lockStream: "SELECT pg_advisory_xact_lock($1)",
		deleteStream: "UPDATE " + s + ".streams SET state = 2, truncated_at = version, updated_at = now() " +
			"WHERE stream_id = $1",
		tombstone: "INSERT INTO " + s + ".streams AS t (stream_id, version, state, truncated_at) VALUES ($1, 0, 3, 0) " +
			"ON CONFLICT (stream_id) DO UPDATE SET state = 3, truncated_at = t.version, updated_at = now()",
		// Readers are held back when committed events sit at or above the horizon: the
		// transaction at the horizon (the oldest with an ID) must end first.
		stall: `WITH h AS MATERIALIZED (` + horizonSQL + `)
SELECT h.x, h.unknown,
       (SELECT count(*) FROM (SELECT 1 FROM ` + s + `.events e WHERE e.tx_id >= h.x LIMIT 10000) w),
       a.pid, extract(epoch FROM clock_timestamp() - a.xact_start)::float8, a.state, a.query
  FROM h
  LEFT JOIN LATERAL (
       SELECT pid, xact_start, state, left(query, 200) AS query
         FROM pg_stat_activity
        WHERE backend_xid = h.x::xid
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
// $3 limit, then the types array and the stream prefix when filtered. The first column is
// the horizon's unknown flag; a page without events is one row of NULL event columns.
func readAllSQL(s string, types, prefix bool) string {
	var b strings.Builder
	b.WriteString("WITH h AS MATERIALIZED (" + horizonSQL + ")\nSELECT h.unknown, e.* FROM h LEFT JOIN LATERAL (\n" +
		"SELECT " + eventColumns + " FROM " + s + ".events" +
		" WHERE (tx_id, global_position) > ($1, $2) AND tx_id < h.x")
	n := 3
	if types {
		n++
		b.WriteString(" AND event_type = ANY ($" + strconv.Itoa(n) + ")")
	}
	if prefix {
		n++
		b.WriteString(" AND starts_with(stream_id, $" + strconv.Itoa(n) + ")")
	}
	b.WriteString(" ORDER BY tx_id, global_position LIMIT $3) AS e ON true")
	return b.String()
}

// eventRow receives one row of eventColumns. The fields are nullable because reads that
// always return a row (to carry the stream state or the horizon flag) fill them with NULL
// when there is no event.
type eventRow struct {
	pos      pgtype.Int8
	tx       pgtype.Uint64
	stream   pgtype.Text
	version  pgtype.Int8
	id       pgtype.UUID
	typ      pgtype.Text
	data     []byte
	metadata []byte
	recorded pgtype.Timestamptz
}

func (r *eventRow) targets() []any {
	return []any{&r.pos, &r.tx, &r.stream, &r.version, &r.id, &r.typ, &r.data, &r.metadata, &r.recorded}
}

// present reports whether the row holds an event.
func (r *eventRow) present() bool { return r.pos.Valid }

func (r *eventRow) event() (eventstore.Event, error) {
	e := eventstore.Event{
		ID:         uuid.UUID(r.id.Bytes),
		StreamID:   r.stream.String,
		Version:    uint64(r.version.Int64),
		Position:   eventstore.Position{Tx: r.tx.Uint64, Pos: uint64(r.pos.Int64)},
		Type:       r.typ.String,
		Data:       r.data,
		RecordedAt: r.recorded.Time.UTC(),
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
