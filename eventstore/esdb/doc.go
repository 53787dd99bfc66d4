// Package esdb is the EventStoreDB (and KurrentDB) backend of the eventstore contract, built on
// github.com/EventStore/EventStore-Client-Go/v4.
//
// # Basics
//
// [Open] connects from a standard connection string, e.g.
// "esdb://admin:changeit@localhost:2113?tls=true&tlsCAFile=ca.crt" or
// "esdb://localhost:2113?tls=false"; [New] wraps a client you created yourself. TLS, client
// certificates, cluster discovery and credentials are the client library's. Passwords never
// appear in errors or log lines: they are redacted with [RedactConnectionString] and
// scrubbed from the client library's messages. The client library logs nothing unless
// [WithLogger] is given.
//
// ReadAll, Subscribe and Head read $all, which EventStoreDB lets only $admins read by
// default: connect as an administrator or grant the user read access to $all.
//
// The contract maps onto EventStoreDB as follows:
//
//   - Versions count events from 1, EventStoreDB revisions from 0: Exactly(n) is expected
//     revision n-1; NoStream, StreamExists and Any are EventStoreDB's own.
//   - An event's ID is its EventStoreDB event ID, its metadata (eventstore.MarshalMetadata)
//     the event's user metadata, stored as JSON. Events are stored as
//     application/octet-stream unless [WithContentType] says otherwise.
//   - Delete is EventStoreDB's soft delete, Tombstone its tombstone (hard delete).
//   - The global log is $all. A Position is {Tx: commit position, Pos: prepare position};
//     it round-trips exactly through Position.String and eventstore.ParsePosition, so a
//     projection can keep its checkpoint in its own read-model database. EventStoreDB's own
//     records ($-prefixed streams and event types: stream metadata, $streamDeleted, link
//     events, ...) are skipped by ReadAll, Subscribe and Head.
//   - Subscribe is a catch-up subscription to $all from the checkpoint, filtered on the
//     server (event types as an anchored regular expression, or the stream prefix, or
//     "no system events"). Flow control of the gRPC stream bounds what is buffered.
//     The client library has no filtered counted read of $all, so a filtered ReadAll is
//     the same filtered subscription, ended at the last record of $all when the read
//     began; that needs the CaughtUp message of EventStoreDB 23.10 and later, and on older
//     servers a filtered ReadAll pages through $all and filters on the client.
//   - Errors: WrongExpectedVersion becomes *eventstore.VersionConflictError with the
//     stream's actual version, a deleted (tombstoned) stream eventstore.ErrStreamDeleted, a
//     stream not found (absent or soft-deleted) eventstore.ErrStreamNotFound.
//
// # Idempotency
//
// EventStoreDB recognises a retried append by its event IDs: with an exact expected
// revision (or NoStream) by comparing the IDs with the events stored after that revision,
// reliably; with Any or StreamExists only from a bounded server-side cache of recent IDs,
// so a retry arriving after the cache has forgotten the IDs is written again. The server
// compares IDs only, never types or data, and only within one stream.
//
// The adapter adds what it can on the client. When the caller chose event IDs (events
// without an ID get a fresh UUIDv7 and cannot be retries), Append first reads the stream
// where a committed copy of the batch would be (after the expected version; at the start
// of the live stream for NoStream; at the end of the stream for Any and StreamExists),
// one round trip. If the batch is there, whole and identical, Append returns the original
// result with Duplicate set and writes nothing; if the IDs are there for different events,
// or only some of them, it fails with eventstore.ErrDuplicateEventID. A retry that races
// the original, or that the read misses, is left to the server; when the server answers a
// write as a replay without a log position (its answer to an idempotent write), Append
// reads the original events back and returns their result with Duplicate set.
//
// What remains different from the contract:
//
//   - With Any or StreamExists, a retry is recognised only while the retried events are
//     still the last of their stream (the adapter's read) or still in the server's ID cache.
//     Later, the same events are written again.
//   - An event ID already used in another stream is not detected: it becomes a new event.
//   - A retry the server alone recognised is reported with Duplicate set only if the server
//     answers it without a position; otherwise it looks like a fresh append with the
//     original versions.
//
// [WithoutReadBeforeAppend] removes the read and leaves only the server's behaviour.
//
// # Soft deletes and tombstones
//
// A soft-deleted stream reads as not found and keeps its version; appending with NoStream
// or Any re-creates it with versions continuing after the old ones, as the contract says.
// EventStoreDB also lets Exactly(n), n being the version at deletion, re-create the stream;
// the contract says the stream does not exist, so Append reads the stream first whenever
// the expected version is exact and answers a conflict when it reads as not found (a delete
// racing that read still lets the server's behaviour through; [WithoutReadBeforeAppend]
// lets it through always). Deleting an absent or soft-deleted stream fails with
// ErrStreamNotFound (the server itself accepts it): Delete reads the stream's state first.
//
// StreamInfo reads a stream's last event; for a stream that reads as not found it sends an
// empty append with an expected revision no stream reaches, which writes nothing and
// answers with the stream's current revision: that tells a soft-deleted stream (and its
// version) from an absent one. EventStoreDB keeps no readable version for a tombstoned
// stream (reads, metadata and appends all answer "stream deleted"), so StreamInfo of a
// tombstoned stream subscribes to $all from the start with a server-side filter on the
// stream's exact name and takes the last event before the $streamDeleted record: the server
// scans the whole log up to the tombstone, so this costs time in proportion to the log's
// size, and after a scavenge removed the stream's events the version reads as 0. Delete,
// Tombstone and Append never need it.
//
// # Append size
//
// EventStoreDB limits the size of a whole append (--max-append-size, 1 MiB by default, at
// most 16 MiB), while the contract allows 1 MiB per event and 10,000 events per append. An
// append over the server's limit fails with an *eventstore.InputError (matching
// eventstore.ErrInvalidInput) and writes nothing.
//
// # Positions
//
// AppendResult.Position is the position the server reports for the write. Events read
// from a stream carry the $all position the server reports for stream reads; servers that
// do not report one there give the zero Position (events read from $all always have it).
//
// # Testing
//
// Package esdbtest is an in-process test double of the server's gRPC protocol, enough for
// this adapter; the package's tests run the eventstore conformance suite against it, or
// against a real server when ESDB_CONNECTION_STRING is set. See docs/eventstoredb.md.
package esdb
