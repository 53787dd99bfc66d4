// Package postgres is the PostgreSQL [eventstore.Store], built on pgx v5 and pgxpool.
//
// # Basics
//
//	store, err := postgres.Open(ctx, "postgres://app@db/app", postgres.WithMigrate())
//	...
//	defer store.Close()
//	res, err := store.Append(ctx, "order-42", eventstore.NoStream, eventstore.EventData{Type: "orders.OrderCreated", Data: payload})
//
// [Open] owns its pool; [New] uses a pool you already have. The tables live in one schema
// ([DefaultSchema], or [WithSchema]), created by versioned migrations embedded in the binary
// and applied by [Store.Migrate] (or on open with [WithMigrate]); without them, opening fails
// with [ErrNotMigrated].
//
// # Tables
//
// streams holds one row per stream: its version (the number of events ever appended), its
// state (active, soft-deleted, tombstoned) and the version below which reads stop after a
// soft delete. events holds the log: global_position (a sequence), tx_id (the writing
// transaction's xid8, pg_current_xact_id()), stream_id, stream_version, event_id, event_type,
// data (bytea), metadata (jsonb) and recorded_at; unique on (stream_id, stream_version) and
// on event_id, with the primary key (tx_id, global_position) serving the global read.
//
// # Appends
//
// An append is one statement calling the append_events function, so one round trip and one
// transaction: it takes the stream's transaction advisory lock (pg_advisory_xact_lock on a
// hash of schema and stream) before writing anything, compares and sets the version on
// streams with one conditional UPDATE, inserts every event with one INSERT ... SELECT FROM
// unnest and notifies subscribers (pg_notify). Because the lock is taken before the
// transaction's first write, its transaction ID is assigned only after the stream's previous
// writer committed: a stream's events reach the global order in version order. Event IDs are
// checked by a unique index; when it reports a committed ID, the append is rolled back and
// [eventstore.MatchCommitted] tells a retry (answered with the original result) from a
// misuse ([eventstore.ErrDuplicateEventID]).
//
// # Reading the log
//
// [Store.ReadAll] reads pages of
//
//	WHERE (tx_id, global_position) > ($tx, $pos) AND tx_id < horizon
//	ORDER BY tx_id, global_position LIMIT $n
//
// and the checkpoint ([eventstore.Position]) is the pair (tx_id, global_position). The
// horizon is the oldest transaction of this database still running, from the reading
// statement's own snapshot: pg_snapshot_xmin(pg_current_snapshot()) refined to skip running
// transactions that pg_stat_activity places in other databases of the server (they cannot
// write here). Every transaction of this database below the horizon has ended, so no event
// can later appear behind a checkpoint, however transactions interleave: a reader never
// skips an event and never sees one twice.
//
// [Store.Subscribe] follows the log with [eventstore.Follow], woken through LISTEN/NOTIFY on
// a dedicated connection and polling as a fallback.
//
// # Caveats
//
// A long transaction in the store's database that holds a transaction ID (any write, to any
// table) holds readers back; it never loses events. [Store.ReaderStall] and the
// esgen.eventstore.postgres.reader_stall gauge show how long, and which backend is
// responsible. Keep writing transactions in this database short.
//
// Event IDs are unique across the whole store. Soft-deleted streams keep their events in the
// global log; so do tombstoned ones.
package postgres
