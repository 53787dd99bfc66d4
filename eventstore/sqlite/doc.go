// Package sqlite is the embedded, durable event store: an [eventstore.Store] kept in one
// SQLite database file, with no database server and no cgo (it uses modernc.org/sqlite, a
// pure-Go translation of SQLite, so `go build` works on every platform Go supports).
// Projections can keep their read models, checkpoints, leases, dead letters and snapshots
// in the same file and commit them in the same transactions ([Store.WriteTx]).
//
// # Basics
//
// [Open] opens (or creates) the file; [WithMigrate] applies the embedded schema:
//
//	st, err := sqlite.Open(ctx, "data/events.db", sqlite.WithMigrate())
//	if err != nil {
//		return err // errors.Is(err, sqlite.ErrLocked), ErrReadOnly, ErrNotDatabase, ErrSchemaTooNew
//	}
//	defer st.Close()
//
// The store then behaves exactly like every other backend (it passes eventstore/storetest
// unchanged). A Position is {Tx: 0, Pos: n}, where n is the event's gap-free place in the
// global log.
//
// # Ordering
//
// SQLite admits one writer at a time. The store has one writer connection and starts every
// write transaction with BEGIN IMMEDIATE, so transactions commit one after another, and an
// event's position is its rowid in the events table, assigned inside its transaction: the
// order of positions is the order of commits, and readers (which see only committed
// transactions, WAL snapshots) never find a gap that a later commit fills. Reading
// "position > checkpoint" therefore never skips or repeats an event.
//
// Appends that wait for the writer at the same time are committed together (group
// commit): one transaction, one savepoint per append, one fsync; each append still
// succeeds or fails on its own.
//
// # Durability
//
// The database is in WAL mode with synchronous=FULL: Append returns after the write-ahead
// log holding its events was fsynced, so an acknowledged append survives a process crash,
// an operating system crash and a power cut. [WithSynchronous]([SynchronousNormal]) trades
// that for speed: acknowledged appends then survive a process crash but the last ones may
// be lost on power loss.
//
// # One process per file
//
// Open takes an exclusive advisory lock on "<file>.lock" for the life of the Store, so a
// second process (or a second Store in the same process) fails with [ErrLocked], naming the
// process that holds the file. The operating system drops the lock when its holder exits,
// however it exits.
//
// # Caveats
//
// Do not put the file on a network file system: WAL needs shared memory that works only on
// a local disk. Never delete rows from the events table; positions rely on it. Do not call
// the store's write methods from inside a [Store.WriteTx] function: they wait for the
// connection that function holds.
package sqlite
