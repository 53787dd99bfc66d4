// Package memory is an in-memory [eventstore.Store]: every event lives in the process and
// is lost when it exits. Use it in tests, examples and prototypes; it passes the same
// conformance suite (eventstore/storetest) as the durable backends, so code tested against
// it behaves the same on them.
//
// # Basics
//
// [New] returns an empty store. Appends are serialised by one lock and become visible
// atomically; global positions are Position{Tx: 0, Pos: n} with n = 1, 2, 3, ... without
// gaps, in commit order. Reads copy at most one page of events at a time under a read lock,
// so a long read never blocks writers for long and holds bounded extra memory; Subscribe is
// woken by every commit. A hook set with [eventstore.WithBeforeCommit] runs just before the
// append takes the lock that makes it visible, so a held append never blocks other writers.
// [WithClock] sets the clock RecordedAt comes from.
//
// # Caveats
//
// The store keeps every event for ever (soft-deleted and tombstoned streams' events stay in
// the global log, as on every backend), so its memory grows with the log. Events read back
// are copies: changing their Data or Headers does not change the store.
package memory
