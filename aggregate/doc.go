// Package aggregate loads and saves event-sourced aggregates: optimistic-concurrency
// repositories over an eventstore.Store, idempotent commands, and snapshots.
//
// # Basics
//
// esgen generate writes, per aggregate declared in esgen.yaml, an applier interface (one
// Apply method per event), a base struct to embed (with typed Record methods) and a [Type]
// constructor. You write the state and the decisions:
//
//	type Order struct {
//		orders.OrderBase
//		paid bool
//	}
//
//	func (o *Order) ApplyOrderCreated(e *orders.OrderCreated)         {}
//	func (o *Order) ApplyPaymentProcessed(e *orders.PaymentProcessed) { o.paid = true }
//
//	func (o *Order) Pay(amount int64) error {
//		if o.paid {
//			return ErrAlreadyPaid
//		}
//		return o.RecordPaymentProcessed(&orders.PaymentProcessed{Amount: amount})
//	}
//
//	repo := aggregate.NewRepository(store, orders.OrderType(codec, func() *Order { return new(Order) }))
//	order, err := repo.Update(ctx, "42", func(o *Order) error { return o.Pay(100) })
//
// [Repository.Load] replays the aggregate's stream (from its latest snapshot, if any);
// [Repository.Save] appends the recorded events expecting the version that was loaded;
// [Repository.Create] starts a new aggregate and fails with [ErrAlreadyExists] if it exists;
// [Repository.Update] loads, decides and saves, and retries the whole decision when another
// writer got there first (a version conflict), with exponential backoff and full jitter,
// up to the [RetryPolicy]'s attempts. A decision's own error is returned as is and nothing
// is saved.
//
// # Idempotent commands
//
// Give a command an ID with [WithCommandID] and the events it saves get deterministic IDs
// ([CommandEventID]). Retrying the command after a timeout then never records its effects
// twice: Update and Create find the command's first event in the stream and return the
// aggregate as it now is, without error and without running the decision again. See
// [Repository.Update] for the exact rules.
//
// # Snapshots
//
// [WithSnapshots] takes a [SnapshotStore] ([MemorySnapshotStore], aggregate/pgsnapshot or
// aggregate/sqlitesnapshot) and a [SnapshotPolicy] such as [EveryNEvents]. The aggregate
// implements [Snapshotter] (often with an [AvroSnapshotCodec]). Snapshots are written after
// the save commits and never fail it; a snapshot of another schema version, one that does
// not decode, or one that does not match the stream is ignored (logged at Warn, counted)
// and the stream is replayed: a snapshot is a cache, never the truth.
//
// # Observability
//
// Loads, saves, creates and updates are OpenTelemetry spans; durations, event counts,
// conflicts, repeated commands and snapshot fallbacks are metrics; problems are logged with
// log/slog. Providers and logger are options, defaulting to the global ones. Saved events
// carry the W3C trace context, correlation and causation IDs and user headers from the
// context ([WithCorrelationID], [WithCausationID], [WithHeaders]).
//
// # Caveats
//
// A Repository is safe for concurrent use; an aggregate value is not, and belongs to the
// goroutine that loaded it. Decisions may run several times under Update, so they must not
// have side effects beyond recording events. Test decisions with aggregate/aggregatetest.
package aggregate
