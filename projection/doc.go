// Package projection runs checkpointed projections from an event store's global log into read
// models, with exactly-once effects where the read model and the checkpoint share a
// transaction.
//
// # Basics
//
// A projection is a [Handler]: a name (the key of its checkpoint), the event types it
// handles, and Handle, which applies one event through a transaction Tx. esgen generate
// writes handlers from a typed interface with one method per event. A [Runner] applies the
// log to a handler:
//
//	target, _ := postgres.New(ctx, pool, postgres.WithMigrate()) // projection/postgres
//	r, _ := projection.NewRunner(store, target, orders.NewOrderStatusProjection(codec, h))
//	err := r.Run(ctx) // until ctx ends
//
// The runner reads the log from the projection's checkpoint (catch-up, then live, through
// Subscribe filtered by the handler's event types), hands the events in log order to the
// handler, and commits in one unit of the [Target] the handler's writes and a
// compare-and-set checkpoint update ([Unit.Advance]: the checkpoint must still be where this
// runner left it, and its lease epoch must still be current). Units are batches bounded by
// count ([WithBatchSize]) and by time ([WithMaxBatchDuration]).
//
// # Targets
//
// A [Target] keeps checkpoints, leases, dead letters and snapshots, and opens units:
// projection/postgres (Tx is pgx.Tx) and projection/sqlite (Tx is *sql.Tx) store them in the
// read model's database, so effects are exactly once; projection/memory (Tx is [NoTx]) keeps
// them in the process. [AtLeastOnce] adapts a database target to handlers writing elsewhere
// (search indexes, caches, brokers): the checkpoint is stored after the handler, so delivery
// is at least once and handlers upsert keyed on the event's ID or position.
// [SnapshotTarget] keeps a projection's state in memory and saves it with its checkpoint
// every N events. docs/guarantees.md states what each kind of sink gets.
//
// # Failures
//
// A failing handler is retried with exponential backoff and jitter ([WithRetry]); after the
// last attempt the [FailurePolicy] applies: [Park] stores a [DeadLetter] (the event with its
// payload, the error, the attempts) and moves the checkpoint past it in the same unit, [Halt]
// stops the runner with a [*HaltedError]. [Runner.DeadLetters] lists dead letters,
// [Runner.ReplayDeadLetter] applies one and resolves it in one unit.
//
// # Several instances
//
// Every instance may run the same projection: a lease per projection, claimed, renewed and
// expired by the target's clock (the database's), lets one apply at a time; the others wait
// and take over within the lease TTL (plus a quarter) when it dies. Each claim increments the
// lease's epoch, the fencing token every checkpoint update checks, so a paused former owner's
// commit fails with [ErrFenced] and its writes roll back.
//
// # Rebuilds
//
// [Runner.Rebuild] builds the next version of the read model from the start of the log beside
// the live one and swaps them atomically once it has caught up; handlers name their tables
// with [Table] (order_status, order_status_v2, ...). [Runner.Reset] replays from the start in
// place, for development. Progress reports (events done, rate, estimated time left) go to a
// callback.
//
// # Status and telemetry
//
// [Runner.Status] gives the checkpoint, lag in events and time, lease owner and epoch, and
// dead-letter count. Runners log with log/slog and record OpenTelemetry metrics
// (esgen.projection.events.applied, .batch.duration, .lag, .retries, .dead_letters, .fenced)
// and a span per batch.
package projection
