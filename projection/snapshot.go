package projection

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/esgen/esgen/eventstore"
)

// SnapshotOptions configure a [SnapshotTarget].
type SnapshotOptions[S any] struct {
	// New returns an empty state. Required.
	New func() *S
	// Encode and Decode convert the state to and from bytes (JSON, Avro, ...). Required.
	Encode func(*S) ([]byte, error)
	Decode func([]byte) (*S, error)
	// SchemaVersion is the version of the encoding. Bump it when the state's shape changes
	// incompatibly: snapshots of another version are ignored and the projection replays.
	SchemaVersion int
	// Every is the number of events between snapshots (>= 1).
	Every int
}

// SnapshotTarget keeps a projection's state in memory and saves it, with its checkpoint, in
// one unit of the wrapped target every Every events, so a restart resumes from the snapshot
// instead of replaying the whole log. The handler's Tx is the state (*S).
//
// The state and the checkpoint are saved together, so a restart sees exactly the events after
// the snapshot: the in-memory state is built exactly once per run. A snapshot of another
// SchemaVersion, or one that does not decode, is ignored (logged by the runner as a reload):
// the projection replays from the start of the log. Read the state with [SnapshotTarget.View].
// A SnapshotTarget serves one projection.
type SnapshotTarget[S any, Tx any] struct {
	t    Target[Tx]
	opts SnapshotOptions[S]

	mu        sync.Mutex // held by an open unit, and by View
	state     *S
	loaded    bool
	version   int
	memPos    eventstore.Position // checkpoint of the in-memory state
	persisted eventstore.Position // checkpoint stored in t
	since     int                 // events applied since the last snapshot
	dirty     bool                // the state may hold rolled-back effects
	skipped   error               // why the last stored snapshot was not used
}

// NewSnapshotTarget wraps t.
func NewSnapshotTarget[S any, Tx any](t Target[Tx], opts SnapshotOptions[S]) (*SnapshotTarget[S, Tx], error) {
	switch {
	case t == nil:
		return nil, fmt.Errorf("%w: NewSnapshotTarget needs a target, got nil", ErrInvalidConfig)
	case opts.New == nil || opts.Encode == nil || opts.Decode == nil:
		return nil, fmt.Errorf("%w: SnapshotOptions need New, Encode and Decode", ErrInvalidConfig)
	case opts.Every < 1:
		return nil, fmt.Errorf("%w: SnapshotOptions.Every is %d, want at least 1", ErrInvalidConfig, opts.Every)
	}
	return &SnapshotTarget[S, Tx]{t: t, opts: opts, state: opts.New()}, nil
}

// View calls fn with the state, which must not be kept or modified after fn returns.
func (s *SnapshotTarget[S, Tx]) View(fn func(state *S, at eventstore.Position)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.state, s.memPos)
}

// SkippedSnapshot returns why the last load did not use the stored snapshot (nil if it did,
// or if there was none).
func (s *SnapshotTarget[S, Tx]) SkippedSnapshot() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped
}

// LoadCheckpoint implements [Target]: it restores the state from the stored snapshot and
// returns the snapshot's position (Start, with an empty state, when there is no usable one).
func (s *SnapshotTarget[S, Tx]) LoadCheckpoint(ctx context.Context, name string) (Checkpoint, error) {
	cp, err := s.t.LoadCheckpoint(ctx, name)
	if err != nil {
		return cp, err
	}
	snap, ok, err := s.t.LoadSnapshot(ctx, name, cp.Version)
	if err != nil {
		return cp, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state, s.memPos, s.skipped = s.opts.New(), eventstore.Start, nil
	switch {
	case ok && snap.SchemaVersion != s.opts.SchemaVersion:
		s.skipped = fmt.Errorf("snapshot of %s has schema version %d, this code writes %d; replaying from the start", name, snap.SchemaVersion, s.opts.SchemaVersion)
	case ok && snap.Position != cp.Position:
		s.skipped = fmt.Errorf("snapshot of %s is at %s, its checkpoint at %s; replaying from the start", name, snap.Position, cp.Position)
	case ok:
		st, derr := s.opts.Decode(snap.Data)
		if derr != nil || st == nil {
			s.skipped = fmt.Errorf("snapshot of %s does not decode (%v); replaying from the start", name, derr)
			break
		}
		s.state, s.memPos = st, snap.Position
	case !cp.Position.IsZero():
		s.skipped = fmt.Errorf("%s has a checkpoint at %s but no snapshot; replaying from the start", name, cp.Position)
	}
	s.loaded, s.version, s.persisted, s.since, s.dirty = true, cp.Version, cp.Position, 0, false
	cp.Position = s.memPos
	return cp, nil
}

// Begin implements [Target]. The unit holds the state until Commit or Rollback.
func (s *SnapshotTarget[S, Tx]) Begin(ctx context.Context) (Unit[*S], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	return &snapUnit[S, Tx]{s: s}, nil
}

// Checkpoints implements [Target].
func (s *SnapshotTarget[S, Tx]) Checkpoints(ctx context.Context, name string) ([]Checkpoint, error) {
	return s.t.Checkpoints(ctx, name)
}

// Claim implements [Target].
func (s *SnapshotTarget[S, Tx]) Claim(ctx context.Context, key, owner string, ttl time.Duration) (Lease, error) {
	return s.t.Claim(ctx, key, owner, ttl)
}

// Renew implements [Target].
func (s *SnapshotTarget[S, Tx]) Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	return s.t.Renew(ctx, l, ttl)
}

// Release implements [Target].
func (s *SnapshotTarget[S, Tx]) Release(ctx context.Context, l Lease) error {
	return s.t.Release(ctx, l)
}

// CurrentLease implements [Target].
func (s *SnapshotTarget[S, Tx]) CurrentLease(ctx context.Context, key string) (Lease, bool, error) {
	return s.t.CurrentLease(ctx, key)
}

// DeadLetters implements [Target].
func (s *SnapshotTarget[S, Tx]) DeadLetters(ctx context.Context, name string) ([]DeadLetter, error) {
	return s.t.DeadLetters(ctx, name)
}

// CountDeadLetters implements [Target].
func (s *SnapshotTarget[S, Tx]) CountDeadLetters(ctx context.Context, name string) (int, error) {
	return s.t.CountDeadLetters(ctx, name)
}

// LoadSnapshot implements [Target].
func (s *SnapshotTarget[S, Tx]) LoadSnapshot(ctx context.Context, name string, version int) (Snapshot, bool, error) {
	return s.t.LoadSnapshot(ctx, name, version)
}

// Transient implements [TransientClassifier] when the wrapped target does.
func (s *SnapshotTarget[S, Tx]) Transient(err error) bool { return transient(s.t, err) }

// snapUnit applies to the in-memory state; it persists (snapshot plus checkpoint, in one unit
// of the wrapped target) every Every events, and whenever another operation needs the
// wrapped target.
type snapUnit[S any, Tx any] struct {
	s       *SnapshotTarget[S, Tx]
	inner   Unit[Tx]
	advance *Advance
	done    bool
}

func (u *snapUnit[S, Tx]) Tx() *S { return u.s.state }

func (u *snapUnit[S, Tx]) innerUnit(ctx context.Context) (Unit[Tx], error) {
	if u.inner == nil {
		in, err := u.s.t.Begin(ctx)
		if err != nil {
			return nil, err
		}
		u.inner = in
	}
	return u.inner, nil
}

func (u *snapUnit[S, Tx]) Advance(ctx context.Context, a Advance) error {
	s := u.s
	if s.dirty || !s.loaded || a.From != s.memPos || a.Version != s.version {
		return fmt.Errorf("projection: in-memory state of %s must be reloaded (expected it at %s v%d): %w", a.Projection, a.From, a.Version, ErrCheckpointMoved)
	}
	u.advance = &a
	return nil
}

func (u *snapUnit[S, Tx]) Park(ctx context.Context, d DeadLetter) error {
	in, err := u.innerUnit(ctx)
	if err != nil {
		return err
	}
	return in.Park(ctx, d)
}

func (u *snapUnit[S, Tx]) Resolve(ctx context.Context, p string, id int64) error {
	in, err := u.innerUnit(ctx)
	if err != nil {
		return err
	}
	return in.Resolve(ctx, p, id)
}

func (u *snapUnit[S, Tx]) CreateVersion(ctx context.Context, p string, v int) error {
	in, err := u.innerUnit(ctx)
	if err != nil {
		return err
	}
	return in.CreateVersion(ctx, p, v)
}

func (u *snapUnit[S, Tx]) LockCheckpoints(ctx context.Context, p string) ([]Checkpoint, error) {
	in, err := u.innerUnit(ctx)
	if err != nil {
		return nil, err
	}
	return in.LockCheckpoints(ctx, p)
}

func (u *snapUnit[S, Tx]) Activate(ctx context.Context, p string, v int) error {
	in, err := u.innerUnit(ctx)
	if err != nil {
		return err
	}
	return in.Activate(ctx, p, v)
}

func (u *snapUnit[S, Tx]) DropVersion(ctx context.Context, p string, v int) error {
	in, err := u.innerUnit(ctx)
	if err != nil {
		return err
	}
	return in.DropVersion(ctx, p, v)
}

func (u *snapUnit[S, Tx]) SaveSnapshot(ctx context.Context, sn Snapshot) error {
	in, err := u.innerUnit(ctx)
	if err != nil {
		return err
	}
	return in.SaveSnapshot(ctx, sn)
}

func (u *snapUnit[S, Tx]) Commit(ctx context.Context) error {
	if u.done {
		return nil
	}
	u.done = true
	s := u.s
	defer s.mu.Unlock()
	a := u.advance
	if a == nil {
		if u.inner != nil {
			return u.inner.Commit(ctx)
		}
		return nil
	}
	if s.since+a.Events < s.opts.Every && u.inner == nil {
		s.memPos = a.To
		s.since += a.Events
		return nil
	}
	err := u.persist(ctx, a)
	if err != nil {
		if u.inner != nil {
			_ = u.inner.Rollback(context.WithoutCancel(ctx))
		}
		s.dirty = true
		return err
	}
	s.memPos, s.persisted, s.since = a.To, a.To, 0
	return nil
}

func (u *snapUnit[S, Tx]) persist(ctx context.Context, a *Advance) error {
	s := u.s
	data, err := s.opts.Encode(s.state)
	if err != nil {
		return fmt.Errorf("projection: encode the state of %s: %w", a.Projection, err)
	}
	in, err := u.innerUnit(ctx)
	if err != nil {
		return err
	}
	pa := *a
	pa.From = s.persisted
	if err := in.Advance(ctx, pa); err != nil {
		return err
	}
	if err := in.SaveSnapshot(ctx, Snapshot{Projection: a.Projection, Version: a.Version, Position: a.To,
		SchemaVersion: s.opts.SchemaVersion, Data: data}); err != nil {
		return err
	}
	return in.Commit(ctx)
}

func (u *snapUnit[S, Tx]) Rollback(ctx context.Context) error {
	if u.done {
		return nil
	}
	u.done = true
	u.s.dirty = true
	defer u.s.mu.Unlock()
	if u.inner != nil {
		return u.inner.Rollback(ctx)
	}
	return nil
}
