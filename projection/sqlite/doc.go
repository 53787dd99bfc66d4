// Package sqlite is the SQLite [projection.Target]: a projection's checkpoints, leases, dead
// letters and snapshots live in tables of the same database file as its read model (and, with
// [FromStore], as the events of eventstore/sqlite), so the handler's writes (through a
// *sql.Tx) and the compare-and-set checkpoint update commit in one SQLite transaction:
// exactly-once effects on the read model, as on PostgreSQL.
//
// # Writes
//
// SQLite has one writer at a time. Every unit runs in a write transaction obtained from a
// [Writer]: the event store's [github.com/esgen/esgen/eventstore/sqlite.Store.WriteTx] with [FromStore] (BEGIN IMMEDIATE on
// its single writer connection, so projection units and appends take turns), or, given only
// a *sql.DB, transactions of that pool serialised by the target (then nothing else may write
// to the file through another pool, or writes fail with SQLITE_BUSY after the busy timeout).
// The runner keeps units short (batch size and duration): appends wait while one is open.
//
// # Leases
//
// Lease times are taken from SQLite's clock (unixepoch('subsec')) inside the statements that
// claim, renew and check them. SQLite runs in the process, so this is the host's clock; every
// process sharing the file shares the host.
//
// # Tables
//
// projection_checkpoints, projection_leases, projection_dead_letters and projection_snapshots,
// created by versioned migrations embedded in the binary ([Target.Migrate], or [WithMigrate]),
// recorded in projection_schema_migrations.
package sqlite
