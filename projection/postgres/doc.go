// Package postgres is the PostgreSQL [projection.Target]: a projection's checkpoints, leases,
// dead letters and snapshots live in tables of the read model's database, so the handler's
// writes (through a pgx.Tx) and the compare-and-set checkpoint update commit in one
// transaction: exactly-once effects on the read model.
//
// # Tables
//
// projection_checkpoints, projection_leases, projection_dead_letters and
// projection_snapshots, in a configurable schema ([DefaultSchema] unless [WithSchema] says
// otherwise; the event store's schema by default, so a database holds one esgen schema),
// created by versioned migrations embedded in the binary and applied by [Target.Migrate] (or
// on [New] with [WithMigrate]). Positions are stored as two bigint columns holding the bit
// patterns of their uint64 parts, which round-trips every value; checkpoints are only ever
// compared for equality in SQL.
//
// # Leases
//
// Leases are rows claimed, renewed and expired with the database clock (clock_timestamp()),
// never the clock of the process: instances with skewed clocks agree on who holds a lease.
// Every claim increments the lease's epoch, and every checkpoint update checks it, so an
// instance that lost its lease while paused cannot commit. Leases are plain rows, not session
// advisory locks, so they work behind transaction-pooling proxies such as PgBouncer.
//
// # Transactions
//
// A unit is one transaction at the default isolation (read committed). The runner bounds
// each by count and time ([projection.WithBatchSize], [projection.WithMaxBatchDuration]):
// an open transaction that has written holds back every event-store reader's horizon.
package postgres
