// Package esdbtest is an in-process test double of an EventStoreDB server, for testing code
// that talks to EventStoreDB through github.com/EventStore/EventStore-Client-Go/v4 without a
// real server.
//
// It is NOT a server: it keeps everything in memory, has no authentication, no clustering,
// no projections, no persistent subscriptions and no scavenging, and it implements only the
// part of the gRPC protocol that eventstore/esdb uses:
//
//   - event_store.client.server_features.ServerFeatures/GetSupportedMethods (called by the
//     client on connect);
//   - event_store.client.streams.Streams: Append, Read (streams and $all, forwards and
//     backwards, counted reads and catch-up subscriptions, with stream-ID or event-type
//     filters by prefix or regular expression), Delete and Tombstone.
//
// Everything else answers Unimplemented. Connect with the connection string from
// [Server.ConnectionString] (plain text, no TLS).
//
// # Semantics followed
//
// The double follows EventStoreDB's documented behaviour closely enough that an adapter's
// mapping onto it is what gets tested:
//
//   - Stream revisions are zero-based. Expected revisions Any, NoStream, StreamExists and an
//     exact revision are checked on append, delete and tombstone; a mismatch answers
//     WrongExpectedVersion with the stream's current revision.
//   - Idempotent writes by event ID. With an exact expected revision (or NoStream) behind the
//     stream's current one, the events already stored after that revision are compared with
//     the request's IDs: all equal answers success with the original revision and position
//     and writes nothing; the first different answers WrongExpectedVersion. With Any or
//     StreamExists, only a bounded cache of recent event IDs is consulted (see
//     [WithIdempotencyCache]): when the first event's ID is in the cache for the same stream
//     the write is a replay, otherwise it is written again. Only IDs are compared, never the
//     data, as on the real server.
//   - $all holds every record in commit order with a log position; each event's commit
//     position equals its prepare position (events are written without explicit
//     transactions). Counted reads of $all from a position include the event at that
//     position; subscriptions from a position start after it.
//   - Soft delete sets the stream's truncate-before to "everything" and writes a $metadata
//     event to the $$stream metadata stream: the stream reads as not found, its revision is
//     kept, and a later append with Any, NoStream or the last revision re-creates it with
//     revisions continuing after the old ones (the old events stay in $all).
//   - Tombstone writes a $streamDeleted event: every later read or write of the stream fails
//     with the stream-deleted error.
//   - An append larger than the maximum append size (1 MiB by default, as on the server;
//     see [WithMaxAppendSize]) fails with InvalidArgument and writes nothing.
//   - System records ($-prefixed streams and event types) are part of $all, as on the server:
//     the log starts with a system event, soft deletes and tombstones add more.
package esdbtest
