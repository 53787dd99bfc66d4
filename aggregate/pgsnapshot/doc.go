// Package pgsnapshot keeps aggregate snapshots in PostgreSQL: an [aggregate.SnapshotStore]
// with one row per (stream, snapshot type) in the table aggregate_snapshots of a
// configurable schema (default "esgen", the event store's).
//
// # Basics
//
//	snaps, err := pgsnapshot.New(ctx, pool) // creates the schema and table if needed
//	repo := aggregate.NewRepository(store, orders.OrderType(codec, newOrder),
//		aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(100)))
//
// Snapshots are written by the repository after a save has committed, in their own
// statement, never inside the append's transaction. A row holds the snapshot schema
// version, the stream version it includes, the ID of the event at that version, the data
// and when it was taken.
//
// # Migrations
//
// The table is created by embedded, versioned migrations that [New] (or [Store.Migrate])
// applies under a transaction-scoped advisory lock, so several processes may start at once.
// Applied versions are recorded in aggregate_snapshot_migrations.
package pgsnapshot
