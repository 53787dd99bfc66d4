// Package sqlitesnapshot keeps aggregate snapshots in SQLite: an [aggregate.SnapshotStore]
// with one row per (stream, snapshot type) in the table aggregate_snapshots, usually in the
// same database file as the eventstore/sqlite event store.
//
// # Basics
//
//	snaps, err := sqlitesnapshot.Open(ctx, "data/events.db") // same file as the event store
//	defer snaps.Close()
//	repo := aggregate.NewRepository(store, orders.OrderType(codec, newOrder),
//		aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(100)))
//
// [Open] opens its own connection with WAL and a busy timeout, so snapshot writes wait for
// the event store's writer instead of failing. [New] uses a *sql.DB you opened yourself
// (with the modernc.org/sqlite driver, registered as "sqlite"); give it a busy timeout
// (the "_pragma=busy_timeout(5000)" DSN parameter) for the same reason.
//
// Snapshots are written by the repository after a save has committed, never inside the
// event store's transaction. The table is created by an embedded, versioned migration that
// [New] and [Open] apply; applied versions are recorded in aggregate_snapshot_migrations.
package sqlitesnapshot
