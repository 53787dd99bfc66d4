// Package storetest is the conformance suite every [eventstore.Store] backend runs. It
// proves, through the public contract only, the semantics the eventstore package documents:
// expected versions, idempotent appends, atomicity, stream and global reads, metadata, soft
// delete and tombstone, input validation, subscriptions and their cancellation, and the
// concurrency cases that lose or duplicate events in naive stores.
//
// # Basics
//
// A backend's test calls [Run] with a [Factory] that returns a fresh, empty store per call:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t testing.TB) eventstore.Store {
//			s := memory.New()
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Subtests are named after the behaviour they check ("Idempotency/retry after lost ack
// returns the original result/NoStream", "Concurrency/out-of-order commits with a live
// subscriber"), so `go test -run` selects them. testing.Short() shrinks the concurrency
// tests; nothing is ever skipped.
//
// The suite wraps each store: it remembers the position of the last append it committed and,
// before asserting on ReadAll or Head, waits (bounded by [Timeout]) until Head reaches it,
// because a store may hide committed events from global reads for a while (PostgreSQL hides
// everything behind the server's oldest open transaction, other tests' included). It also
// checks every append's Position against the position its last event reads back with.
// Callbacks such as [RawEventCount] receive the store the factory returned, unwrapped.
//
// # Groups
//
// ExpectedVersion, Idempotency, Atomicity, EventIDs, ReadStream, ReadAll, Metadata,
// SoftDelete, Tombstone, InvalidInput, StreamInfo, Head, BeforeCommit, Subscribe, Iterators
// (early break, reads and appends inside a read loop, cancellation mid-read), Close, and
// Concurrency: Exactly on one stream from many goroutines; out-of-order commits with live
// subscribers and resuming readers (appends held open with [eventstore.WithBeforeCommit]);
// concurrent retries after lost acknowledgements; soft deletes and a tombstone racing
// appends.
//
// # Backend differences
//
// Where a backend cannot give a guarantee, it says so with an [Option] carrying a reason
// ([IdempotencyAnyBestEffort], [EventIDsUniquePerStream], [RetryMatchedByIDOnly],
// [SoftDeleteForgetsEventIDs], [SerializedWriters]); the suite then asserts what the
// backend does promise and logs the reason in every affected subtest. [RawEventCount] lets the suite look into raw storage
// to prove that rejected appends left nothing behind.
//
// # Benchmarks
//
// [Bench] runs the shared benchmarks (appends of 1, 10 and 100 events per call, concurrent
// appends to one hot stream and to 1,000 streams from 8 goroutines, reading a 10,000-event
// stream, reading the global log, a live subscription's append-to-delivery latency), each
// reporting events/s or latency, so every backend's figures compare. [BenchAppend],
// [BenchConcurrentAppend], [BenchReadStream], [BenchReadAll] and [BenchSubscribe] run one each, for a backend that places a raw baseline beside it; [BenchEvent] is the event
// they write, for baselines to write the same bytes:
//
//	func BenchmarkStore(b *testing.B) { storetest.Bench(b, newStore) }
//
//	func BenchmarkReadAllMillion(b *testing.B) {
//		storetest.BenchReadAll(b, newStore, 1_000_000) // reports peak-heap-MiB too
//	}
//
// # Caveats
//
// The suite relies on [eventstore.WithBeforeCommit] to hold appends open; a backend that
// ignores the hook passes the out-of-order test without exercising it. The suite cannot
// detect goroutine leaks; run it under -race.
package storetest
