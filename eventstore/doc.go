// Package eventstore defines the event store contract that every esgen backend implements,
// and the types shared by all of them.
//
// # Basics
//
// A stream is an ordered sequence of events identified by a stream ID ("order-42"). Its
// version is the number of events it holds: events are numbered 1..N. Every append names
// the version it expects the stream to have ([Any], [NoStream], [StreamExists] or
// [Exactly]); a mismatch fails with a [*VersionConflictError], matched by
// errors.Is(err, [ErrWrongExpectedVersion]).
//
// Every event carries an ID. Appends are idempotent by ID: retrying an append whose events
// were already committed (the reply was lost, say) returns the original [AppendResult] with
// Duplicate set and writes nothing. Reusing an ID for a different event fails with
// [ErrDuplicateEventID]. The events of one append commit atomically.
//
// Every event also has a global [Position] in the store's log. [Store.ReadAll] reads the log
// from a checkpoint; [Store.Subscribe] catches up and then follows live appends. A reader that
// resumes from a checkpoint never skips an event that committed later with a lower position
// and never receives one twice, even when writers commit out of order.
//
// Reads are iterators (iter.Seq2[Event, error]) that fetch pages on demand, so memory stays
// bounded however long the stream or log is. Stop ranging to stop reading; a failure is
// yielded once as the error and ends the iteration.
//
// # Backends
//
// memory (tests and prototypes), sqlite (the embedded durable default), postgres (pgx) and
// esdb (EventStoreDB) all implement [Store] and pass the conformance suite in
// eventstore/storetest.
//
// # Limits
//
// Stream IDs are 1..[MaxStreamIDLength] bytes of valid UTF-8 without control characters and
// must not start with '$' (reserved for system streams). Event types are 1..[MaxEventTypeLength]
// bytes of valid UTF-8 without control characters. Metadata strings (IDs, trace context, header
// keys and values) must be valid UTF-8 without NUL characters, so every backend stores them
// unchanged. An event's data plus metadata may not exceed [MaxEventSize] bytes; one append may
// carry at most [MaxAppendEvents] events. Violations fail with errors matching
// [ErrInvalidInput] before anything is written.
package eventstore
