package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"

	"github.com/esgen/esgen/eventstore"
)

// Repository loads and saves aggregates of one [Type] in an event store, with optimistic
// concurrency: a save expects the stream to be at the version the aggregate was loaded at.
// It is safe for concurrent use; the aggregates it returns are not (use one per goroutine).
type Repository[T Root] struct {
	store    eventstore.Store
	typ      Type[T]
	cfg      config
	snapType string
	tel      telemetry
	err      error
}

// NewRepository returns a repository of aggregates of type typ (as written by esgen
// generate, e.g. orders.OrderType(codec, newOrder)) stored in store.
//
// It never fails: if typ is incomplete or the options conflict, every method returns an
// error matching [ErrInvalidRepository] saying what to fix, and [Repository.Err] reports it
// up front.
func NewRepository[T Root](store eventstore.Store, typ Type[T], opts ...Option) *Repository[T] {
	cfg := config{retry: DefaultRetryPolicy()}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.log == nil {
		cfg.log = slog.Default()
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	r := &Repository[T]{store: store, typ: typ, cfg: cfg, snapType: cfg.snapshotType}
	if r.snapType == "" {
		r.snapType = typ.Name
	}
	r.tel = newTelemetry(typ.Name, cfg.tp, cfg.mp)
	r.cfg.log = cfg.log.With("aggregate", typ.Name)
	if err := r.validate(); err != nil {
		r.err = fmt.Errorf("%w: %s", ErrInvalidRepository, err)
	}
	return r
}

func (r *Repository[T]) validate() error {
	var problems []string
	if r.store == nil {
		problems = append(problems, "the event store is nil")
	}
	t := r.typ
	if t.Name == "" {
		problems = append(problems, "Type.Name is empty")
	}
	if t.StreamID == nil {
		problems = append(problems, "Type.StreamID is nil")
	}
	if t.Apply == nil {
		problems = append(problems, "Type.Apply is nil")
	}
	if t.Codec == nil {
		problems = append(problems, "Type.Codec is nil")
	}
	if t.New == nil {
		problems = append(problems, "Type.New is nil")
	} else if r.cfg.snapshots != nil {
		if _, ok := any(t.New()).(Snapshotter); !ok {
			problems = append(problems, fmt.Sprintf("WithSnapshots was given but %T does not implement aggregate.Snapshotter (SnapshotVersion, MarshalSnapshot, UnmarshalSnapshot)", t.New()))
		}
	}
	if err := r.cfg.retry.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; ") + "; build the Type with the constructor esgen generated (e.g. orders.OrderType)")
}

// Err reports why the repository is unusable (an error matching [ErrInvalidRepository]),
// or nil.
func (r *Repository[T]) Err() error { return r.err }

// Type returns the aggregate type the repository was built for.
func (r *Repository[T]) Type() Type[T] { return r.typ }

// loadInfo describes how an aggregate was loaded.
type loadInfo struct {
	streamID     string
	fromSnapshot uint64 // stream version of the snapshot used, 0 when none
	replayed     int    // events applied from the stream
	commandSeen  bool   // the watched event ID was among the replayed events
}

// Load returns the aggregate with the given ID: its latest usable snapshot, if the
// repository has snapshots, then the events of its stream after it. A stream without events
// fails with an error matching [ErrNotFound]. A snapshot of another schema version, one that
// does not decode, or one that does not match the stream falls back to a full replay,
// logged at Warn.
func (r *Repository[T]) Load(ctx context.Context, id string) (T, error) {
	agg, _, err := r.load(ctx, id, true, uuid.Nil)
	return agg, err
}

func (r *Repository[T]) load(ctx context.Context, id string, useSnapshot bool, watch uuid.UUID) (agg T, li loadInfo, err error) {
	var zero T
	if r.err != nil {
		return zero, li, r.err
	}
	streamID := r.typ.StreamID(id)
	ctx, span := r.tel.start(ctx, "aggregate.Load", id, streamID)
	start := time.Now()
	defer func() {
		span.SetAttributes(attribute.Int("esgen.aggregate.events_replayed", li.replayed),
			attribute.Int64("esgen.aggregate.snapshot_version", int64(li.fromSnapshot)))
		end(span, err)
		if err == nil {
			r.tel.since(ctx, r.tel.loadDur, start, attribute.Bool("esgen.snapshot.used", li.fromSnapshot > 0))
			r.tel.add(ctx, r.tel.loaded, int64(li.replayed))
		}
	}()
	agg, li, mismatch, err := r.replay(ctx, id, streamID, useSnapshot, watch)
	if mismatch {
		agg, li, _, err = r.replay(ctx, id, streamID, false, watch)
	}
	return agg, li, err
}

// replay builds the aggregate from its snapshot (when useSnapshot) and its stream. mismatch
// reports a snapshot that turned out not to match the stream: the caller replays without.
func (r *Repository[T]) replay(ctx context.Context, id, streamID string, useSnapshot bool, watch uuid.UUID) (agg T, li loadInfo, mismatch bool, err error) {
	var zero T
	li.streamID = streamID
	agg = r.typ.Instance(id)
	var snap *Snapshot
	if useSnapshot && r.cfg.snapshots != nil {
		snap, agg = r.restore(ctx, id, streamID, agg)
	}
	from, version := uint64(1), uint64(0)
	if snap != nil {
		from, version = snap.StreamVersion, snap.StreamVersion
	}
	first := true
	for e, rerr := range r.store.ReadStream(ctx, streamID, eventstore.ReadStreamOptions{From: from}) {
		if rerr != nil {
			if errors.Is(rerr, eventstore.ErrStreamNotFound) || errors.Is(rerr, eventstore.ErrStreamDeleted) {
				return zero, li, false, fmt.Errorf("aggregate: load %s %q: %w: stream %q has no events; create it with Repository.Create (%w)", r.typ.Name, id, ErrNotFound, streamID, rerr)
			}
			return zero, li, false, fmt.Errorf("aggregate: load %s %q: read stream %q: %w", r.typ.Name, id, streamID, rerr)
		}
		if first && snap != nil {
			first = false
			if e.Version != snap.StreamVersion || (snap.EventID != uuid.Nil && e.ID != snap.EventID) {
				mismatch = true
				break
			}
			continue
		}
		if !first && e.Version != version+1 {
			return zero, li, false, fmt.Errorf("aggregate: load %s %q: stream %q jumps from version %d to %d; the store returned a gap, which it must never do", r.typ.Name, id, streamID, version, e.Version)
		}
		first = false
		m, derr := eventstore.Decode(r.typ.Codec, &e)
		if derr != nil {
			return zero, li, false, fmt.Errorf("aggregate: load %s %q: %w", r.typ.Name, id, derr)
		}
		if aerr := r.typ.Apply(agg, m); aerr != nil {
			return zero, li, false, fmt.Errorf("aggregate: load %s %q: apply event %s (stream %q, version %d, type %s): %w", r.typ.Name, id, e.ID, streamID, e.Version, e.Type, aerr)
		}
		version = e.Version
		li.replayed++
		if watch != uuid.Nil && e.ID == watch {
			li.commandSeen = true
		}
	}
	if snap != nil && (mismatch || first) {
		r.fallback(ctx, streamID, "stream_mismatch", "the snapshot does not match the stream (deleted and re-created, or restored from elsewhere); replaying the stream",
			slog.Uint64("snapshot_stream_version", snap.StreamVersion))
		return zero, li, true, nil
	}
	if version == 0 {
		return zero, li, false, fmt.Errorf("aggregate: load %s %q: %w: stream %q has no events; create it with Repository.Create", r.typ.Name, id, ErrNotFound, streamID)
	}
	b := agg.AggregateBase()
	b.version = version
	if snap != nil {
		b.snapshotAt = snap.StreamVersion
		li.fromSnapshot = snap.StreamVersion
	}
	return agg, li, false, nil
}

// restore returns the aggregate restored from its snapshot, or nil and agg unchanged when
// there is no usable snapshot.
func (r *Repository[T]) restore(ctx context.Context, id, streamID string, agg T) (*Snapshot, T) {
	s, ok, err := r.cfg.snapshots.Get(ctx, streamID, r.snapType)
	if err != nil {
		r.fallback(ctx, streamID, "read_failed", "cannot read the snapshot; replaying the stream", slog.Any("error", err))
		return nil, agg
	}
	if !ok {
		return nil, agg
	}
	sn := any(agg).(Snapshotter)
	if want := sn.SnapshotVersion(); s.SchemaVersion != want {
		r.fallback(ctx, streamID, "schema_version", "the snapshot has another schema version; replaying the stream (a new snapshot replaces it at the next save the policy selects)",
			slog.Int("snapshot_schema_version", s.SchemaVersion), slog.Int("want_schema_version", want))
		return nil, agg
	}
	if err := sn.UnmarshalSnapshot(s.Data); err != nil {
		r.fallback(ctx, streamID, "decode_failed", "cannot decode the snapshot; replaying the stream", slog.Any("error", err))
		return nil, r.typ.Instance(id) // the failed decode may have left partial state
	}
	return &s, agg
}

func (r *Repository[T]) fallback(ctx context.Context, streamID, reason, msg string, attrs ...slog.Attr) {
	r.tel.add(ctx, r.tel.fallbacks, 1, attribute.String("reason", reason))
	args := []any{slog.String("stream", streamID), slog.String("reason", reason)}
	for _, a := range attrs {
		args = append(args, a)
	}
	r.cfg.log.WarnContext(ctx, "aggregate: snapshot not used: "+msg, args...)
}

// Save appends the events recorded on agg since it was loaded, expecting its stream to be
// at the version it was loaded at ([eventstore.NoStream] for a new aggregate). On success
// the aggregate's version advances and its pending events are cleared; then, if the
// snapshot policy says so, a snapshot is written (a failure there is logged, and Save still
// succeeds). An aggregate with no pending events is not written.
//
// A concurrent change fails with an error matching [eventstore.ErrWrongExpectedVersion];
// [Repository.Update] handles it by retrying. Under a context from [WithCommandID] the
// events get deterministic IDs (see [CommandEventID]): if an earlier attempt of the command
// already committed the same events, Save succeeds without writing; if it committed other
// events under those IDs, Save fails with an error matching
// [eventstore.ErrDuplicateEventID] (Update and Create turn both into success).
func (r *Repository[T]) Save(ctx context.Context, agg T) (err error) {
	if r.err != nil {
		return r.err
	}
	b := agg.AggregateBase()
	if b.apply == nil {
		return fmt.Errorf("aggregate: save %s: %w", r.typ.Name, ErrNotBound)
	}
	if len(b.pending) == 0 {
		return nil
	}
	streamID := r.typ.StreamID(b.id)
	ctx, span := r.tel.start(ctx, "aggregate.Save", b.id, streamID)
	defer func() { end(span, err) }()
	start := time.Now()

	md := metadataFrom(ctx)
	cmd := CommandID(ctx)
	events := make([]eventstore.EventData, len(b.pending))
	for i, m := range b.pending {
		ed, eerr := eventstore.Encode(r.typ.Codec, m, md)
		if eerr != nil {
			return fmt.Errorf("aggregate: save %s %q: %w", r.typ.Name, b.id, eerr)
		}
		if cmd != "" {
			ed.ID = CommandEventID(cmd, streamID, b.commandSaved+i)
		}
		events[i] = ed
	}
	prev := b.version
	res, aerr := r.store.Append(ctx, streamID, eventstore.Exactly(prev), events...)
	if aerr != nil {
		if errors.Is(aerr, eventstore.ErrWrongExpectedVersion) {
			r.cfg.log.DebugContext(ctx, "aggregate: version conflict on save", "stream", streamID, "expected_version", prev, "error", aerr)
		}
		return fmt.Errorf("aggregate: save %s %q (%d events at version %d): %w", r.typ.Name, b.id, len(events), prev, aerr)
	}
	r.tel.since(ctx, r.tel.saveDur, start)
	span.SetAttributes(attribute.Int("esgen.aggregate.events_saved", len(events)),
		attribute.Int64("esgen.stream.version", int64(res.LastVersion)), attribute.Bool("esgen.append.duplicate", res.Duplicate))
	b.version = res.LastVersion
	b.pending = nil
	if cmd != "" {
		b.commandSaved += len(events)
	}
	if res.Duplicate {
		r.tel.add(ctx, r.tel.repeated, 1)
		r.cfg.log.InfoContext(ctx, "aggregate: events already saved by an earlier attempt of this command; nothing written",
			"stream", streamID, "command_id", cmd, "version", res.LastVersion)
		return nil
	}
	r.tel.add(ctx, r.tel.saved, int64(len(events)))
	r.snapshotAfterSave(ctx, agg, SaveInfo{
		AggregateID: b.id, StreamID: streamID, PreviousVersion: prev, Version: res.LastVersion,
		SnapshotVersion: b.snapshotAt, Events: len(events),
	}, res.EventIDs[len(res.EventIDs)-1])
	return nil
}

// snapshotAfterSave takes and writes a snapshot when the policy asks for one. It runs after
// the append has committed; failures are logged and counted, never returned.
func (r *Repository[T]) snapshotAfterSave(ctx context.Context, agg T, info SaveInfo, lastID uuid.UUID) {
	if r.cfg.snapshots == nil || r.cfg.policy == nil || !r.cfg.policy(info) {
		return
	}
	sn := any(agg).(Snapshotter)
	data, err := sn.MarshalSnapshot()
	if err == nil {
		err = r.cfg.snapshots.Put(ctx, Snapshot{
			StreamID: info.StreamID, Type: r.snapType, SchemaVersion: sn.SnapshotVersion(),
			StreamVersion: info.Version, EventID: lastID, Data: data, TakenAt: time.Now().UTC(),
		})
	}
	if err != nil {
		r.tel.add(ctx, r.tel.snapFailed, 1)
		r.cfg.log.WarnContext(ctx, "aggregate: snapshot not written; the save succeeded and loads replay more events until the next snapshot",
			"stream", info.StreamID, "version", info.Version, "error", err)
		return
	}
	r.tel.add(ctx, r.tel.snapshots, 1)
	agg.AggregateBase().snapshotAt = info.Version
}

// metadataFrom builds the metadata of events saved under ctx: correlation and causation IDs
// (see [WithCommandID], [WithCorrelationID], [WithCausationID]), user headers and the W3C
// trace context of the span in ctx.
func metadataFrom(ctx context.Context) eventstore.Metadata {
	cmd := CommandID(ctx)
	md := eventstore.Metadata{Headers: headersFrom(ctx)}
	md.CorrelationID, _ = ctx.Value(correlationKey{}).(string)
	md.CausationID, _ = ctx.Value(causationKey{}).(string)
	if md.CausationID == "" {
		md.CausationID = cmd
	}
	if md.CorrelationID == "" {
		md.CorrelationID = cmd
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	md.TraceParent, md.TraceState = carrier["traceparent"], carrier["tracestate"]
	return md
}

// Create makes a new aggregate with the given ID: decide runs on an empty aggregate and
// records its first events, which are saved expecting the stream not to exist.
//
// If the aggregate already exists, Create fails with an error matching [ErrAlreadyExists]
// (and [eventstore.ErrWrongExpectedVersion]). If decide fails, its error is returned as is
// and nothing is saved; if it records nothing, Create fails with [ErrNoEvents]. Under a
// context from [WithCommandID], a retry of a create that already committed returns the
// aggregate as it now is, and no error.
func (r *Repository[T]) Create(ctx context.Context, id string, decide func(T) error) (T, error) {
	var zero T
	if r.err != nil {
		return zero, r.err
	}
	streamID := r.typ.StreamID(id)
	ctx, span := r.tel.start(ctx, "aggregate.Create", id, streamID)
	agg, err := r.create(ctx, id, streamID, decide)
	end(span, err)
	return agg, err
}

func (r *Repository[T]) create(ctx context.Context, id, streamID string, decide func(T) error) (T, error) {
	var zero T
	agg := r.typ.Instance(id)
	if err := decide(agg); err != nil {
		return zero, err
	}
	if len(agg.AggregateBase().pending) == 0 {
		return zero, fmt.Errorf("aggregate: create %s %q: %w; record at least one event in the decision", r.typ.Name, id, ErrNoEvents)
	}
	err := r.Save(ctx, agg)
	if err == nil {
		return agg, nil
	}
	conflict := errors.Is(err, eventstore.ErrWrongExpectedVersion)
	cmd := CommandID(ctx)
	if cmd != "" && (conflict || errors.Is(err, eventstore.ErrDuplicateEventID)) {
		if done, again, cerr := r.alreadyApplied(ctx, id, streamID, cmd, 0); cerr != nil {
			return zero, cerr
		} else if done {
			return again, nil
		}
	}
	if conflict {
		return zero, fmt.Errorf("aggregate: create %s %q: %w: stream %q already has events; load it, or change it with Repository.Update: %w", r.typ.Name, id, ErrAlreadyExists, streamID, err)
	}
	return zero, err
}

// alreadyApplied reports whether the first event of command cmd is in the stream among
// versions 1..upTo (all versions when upTo is 0), and if so returns the aggregate loaded
// afresh: the result of the earlier attempt.
func (r *Repository[T]) alreadyApplied(ctx context.Context, id, streamID, cmd string, upTo uint64) (bool, T, error) {
	var zero T
	want := CommandEventID(cmd, streamID, 0)
	found := false
	for e, err := range r.store.ReadStream(ctx, streamID, eventstore.ReadStreamOptions{}) {
		if err != nil {
			if errors.Is(err, eventstore.ErrStreamNotFound) || errors.Is(err, eventstore.ErrStreamDeleted) {
				return false, zero, nil
			}
			return false, zero, fmt.Errorf("aggregate: look for command %q in stream %q: %w", cmd, streamID, err)
		}
		if e.ID == want {
			found = true
			break
		}
		if upTo > 0 && e.Version >= upTo {
			break
		}
	}
	if !found {
		return false, zero, nil
	}
	agg, _, err := r.load(ctx, id, true, uuid.Nil)
	if err != nil {
		return false, zero, err
	}
	r.repeatedCommand(ctx, streamID, cmd)
	return true, agg, nil
}

func (r *Repository[T]) repeatedCommand(ctx context.Context, streamID, cmd string) {
	r.tel.add(ctx, r.tel.repeated, 1)
	r.cfg.log.InfoContext(ctx, "aggregate: command already applied; returning the current aggregate without deciding again",
		"stream", streamID, "command_id", cmd)
}

// Update loads the aggregate with the given ID, runs decide on it and saves the events it
// records. If another writer changed the aggregate in between (a version conflict), Update
// reloads it and runs decide again, up to the [RetryPolicy]'s attempts with exponential
// backoff and full jitter; then it returns the conflict (matching
// [eventstore.ErrWrongExpectedVersion]). decide must therefore be free of side effects other
// than recording events.
//
// An absent aggregate fails with [ErrNotFound]. If decide fails, its error is returned as
// is (errors.Is and errors.As see it) and nothing is saved. If decide records nothing,
// nothing is written and the loaded aggregate is returned.
//
// Idempotent commands: under a context from [WithCommandID], Update first looks for the
// command's first event in the stream. If it is there (the command already committed, say
// before a timeout hid the reply), decide is not run again: Update returns the aggregate as
// it now is, and no error, exactly as if the first attempt's reply had arrived. The check
// covers the replayed tail when loading from a snapshot; if decide then fails, or the store
// reports the command's event IDs as used, the rest of the stream is searched too before
// the error is returned.
func (r *Repository[T]) Update(ctx context.Context, id string, decide func(T) error) (T, error) {
	var zero T
	if r.err != nil {
		return zero, r.err
	}
	streamID := r.typ.StreamID(id)
	ctx, span := r.tel.start(ctx, "aggregate.Update", id, streamID)
	agg, attempts, err := r.update(ctx, id, streamID, decide)
	span.SetAttributes(attribute.Int("esgen.aggregate.attempts", attempts))
	end(span, err)
	return agg, err
}

func (r *Repository[T]) update(ctx context.Context, id, streamID string, decide func(T) error) (T, int, error) {
	var zero T
	cmd := CommandID(ctx)
	watch := uuid.Nil
	if cmd != "" {
		watch = CommandEventID(cmd, streamID, 0)
	}
	useSnapshot := true
	policy := r.cfg.retry
	for attempt := 1; ; attempt++ {
		agg, li, err := r.load(ctx, id, useSnapshot, watch)
		if err != nil {
			return zero, attempt, err
		}
		if li.commandSeen {
			r.repeatedCommand(ctx, streamID, cmd)
			return agg, attempt, nil
		}
		if err := decide(agg); err != nil {
			if cmd != "" && li.fromSnapshot > 0 {
				if done, again, cerr := r.alreadyApplied(ctx, id, streamID, cmd, li.fromSnapshot); cerr == nil && done {
					return again, attempt, nil
				}
			}
			return zero, attempt, err
		}
		if len(agg.AggregateBase().pending) == 0 {
			return agg, attempt, nil
		}
		err = r.Save(ctx, agg)
		if err == nil {
			return agg, attempt, nil
		}
		if cmd != "" && errors.Is(err, eventstore.ErrDuplicateEventID) {
			if done, again, cerr := r.alreadyApplied(ctx, id, streamID, cmd, 0); cerr == nil && done {
				return again, attempt, nil
			}
			return zero, attempt, err
		}
		var vc *eventstore.VersionConflictError
		if !errors.As(err, &vc) {
			return zero, attempt, err
		}
		r.tel.add(ctx, r.tel.conflicts, 1)
		if vc.Actual < agg.AggregateBase().version && li.fromSnapshot > 0 {
			// The snapshot claims a version the stream does not have: never trust it again
			// in this call.
			useSnapshot = false
			r.fallback(ctx, streamID, "stream_mismatch", "the snapshot is ahead of the stream; replaying the stream")
		}
		if attempt >= policy.MaxAttempts {
			return zero, attempt, fmt.Errorf("aggregate: update %s %q: still conflicting after %d attempts (the aggregate is changed by many writers at once; raise RetryPolicy.MaxAttempts or serialise its commands): %w",
				r.typ.Name, id, attempt, err)
		}
		if werr := wait(ctx, policy.backoffCap(attempt)); werr != nil {
			return zero, attempt, fmt.Errorf("aggregate: update %s %q: gave up waiting to retry after a version conflict: %w", r.typ.Name, id, werr)
		}
	}
}

// wait sleeps for a random duration in [0, limit) (full jitter), or until ctx is done.
func wait(ctx context.Context, limit time.Duration) error {
	if limit <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(rand.N(limit))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
