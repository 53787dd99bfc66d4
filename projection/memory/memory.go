package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/esgen/esgen/projection"
)

// Target is an in-memory [projection.Target]. Create it with [New]; the zero value is not
// usable. It is safe for concurrent use.
type Target struct {
	mu     sync.Mutex
	now    func() time.Time
	cps    map[string]map[int]*projection.Checkpoint
	leases map[string]projection.Lease
	dls    map[string][]projection.DeadLetter
	snaps  map[string]map[int]projection.Snapshot
	nextDL int64
}

// Option configures a [Target].
type Option func(*Target)

// WithClock makes the target read time (for lease expiry and timestamps) from now.
func WithClock(now func() time.Time) Option {
	return func(t *Target) {
		if now != nil {
			t.now = now
		}
	}
}

// New returns an empty target.
func New(opts ...Option) *Target {
	t := &Target{
		now:    time.Now,
		cps:    make(map[string]map[int]*projection.Checkpoint),
		leases: make(map[string]projection.Lease),
		dls:    make(map[string][]projection.DeadLetter),
		snaps:  make(map[string]map[int]projection.Snapshot),
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

var _ projection.Target[projection.NoTx] = (*Target)(nil)

// Begin implements [projection.Target]. The unit records its operations and applies them
// atomically, all or nothing, at Commit.
func (t *Target) Begin(ctx context.Context) (projection.Unit[projection.NoTx], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &unit{t: t}, nil
}

func (t *Target) ensureLocked(name string) {
	if _, ok := t.cps[name]; ok {
		return
	}
	t.cps[name] = map[int]*projection.Checkpoint{1: {Projection: name, Version: 1, Active: true, UpdatedAt: t.now()}}
}

// LoadCheckpoint implements [projection.Target].
func (t *Target) LoadCheckpoint(ctx context.Context, name string) (projection.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return projection.Checkpoint{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ensureLocked(name)
	for _, c := range t.cps[name] {
		if c.Active {
			return *c, nil
		}
	}
	return projection.Checkpoint{}, fmt.Errorf("memory: projection %s has no active version", name)
}

// Checkpoints implements [projection.Target].
func (t *Target) Checkpoints(ctx context.Context, name string) ([]projection.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checkpointsLocked(name), nil
}

func (t *Target) checkpointsLocked(name string) []projection.Checkpoint {
	var out []projection.Checkpoint
	for _, c := range t.cps[name] {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b projection.Checkpoint) int { return cmp.Compare(a.Version, b.Version) })
	return out
}

// Claim implements [projection.Target].
func (t *Target) Claim(ctx context.Context, key, owner string, ttl time.Duration) (projection.Lease, error) {
	if err := ctx.Err(); err != nil {
		return projection.Lease{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	cur, ok := t.leases[key]
	switch {
	case !ok:
		cur = projection.Lease{Key: key, Owner: owner, Epoch: 1}
	case cur.Owner != owner && cur.ExpiresAt.After(now):
		return projection.Lease{}, &projection.LeaseHeldError{Lease: cur}
	default:
		// Every claim starts a new epoch, even by the same owner: whatever an earlier
		// session of that owner still has in flight is fenced off.
		cur.Owner = owner
		cur.Epoch++
	}
	cur.ExpiresAt = now.Add(ttl)
	t.leases[key] = cur
	return cur, nil
}

// Renew implements [projection.Target].
func (t *Target) Renew(ctx context.Context, l projection.Lease, ttl time.Duration) (projection.Lease, error) {
	if err := ctx.Err(); err != nil {
		return projection.Lease{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	cur, ok := t.leases[l.Key]
	if !ok || cur.Owner != l.Owner || cur.Epoch != l.Epoch || !cur.ExpiresAt.After(now) {
		return projection.Lease{}, fmt.Errorf("memory: renew lease %q epoch %d: %w", l.Key, l.Epoch, projection.ErrLeaseLost)
	}
	cur.ExpiresAt = now.Add(ttl)
	t.leases[l.Key] = cur
	return cur, nil
}

// Release implements [projection.Target].
func (t *Target) Release(ctx context.Context, l projection.Lease) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur, ok := t.leases[l.Key]
	if ok && cur.Owner == l.Owner && cur.Epoch == l.Epoch {
		cur.ExpiresAt = t.now()
		t.leases[l.Key] = cur
	}
	return nil
}

// CurrentLease implements [projection.Target].
func (t *Target) CurrentLease(ctx context.Context, key string) (projection.Lease, bool, error) {
	if err := ctx.Err(); err != nil {
		return projection.Lease{}, false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.leases[key]
	return l, ok, nil
}

// DeadLetters implements [projection.Target].
func (t *Target) DeadLetters(ctx context.Context, name string) ([]projection.DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.dls[name]), nil
}

// CountDeadLetters implements [projection.Target].
func (t *Target) CountDeadLetters(ctx context.Context, name string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.dls[name]), nil
}

// LoadSnapshot implements [projection.Target].
func (t *Target) LoadSnapshot(ctx context.Context, name string, version int) (projection.Snapshot, bool, error) {
	if err := ctx.Err(); err != nil {
		return projection.Snapshot{}, false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.snaps[name][version]
	if ok {
		s.Data = slices.Clone(s.Data)
	}
	return s, ok, nil
}

// unit stages operations; Commit checks and applies them under the target's lock.
type unit struct {
	t    *Target
	ops  []func(now time.Time) error
	done bool
}

func (u *unit) Tx() projection.NoTx { return projection.NoTx{} }

func (u *unit) stage(ctx context.Context, op func(now time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.done {
		return fmt.Errorf("memory: unit already finished")
	}
	u.ops = append(u.ops, op)
	return nil
}

func (u *unit) Advance(ctx context.Context, a projection.Advance) error {
	t := u.t
	return u.stage(ctx, func(now time.Time) error {
		t.ensureLocked(a.Projection)
		c, ok := t.cps[a.Projection][a.Version]
		l := t.leases[a.Lease.Key]
		switch {
		case l.Epoch != a.Lease.Epoch:
			return fmt.Errorf("memory: advance %s v%d: lease %q is at epoch %d, the unit holds %d: %w", a.Projection, a.Version, a.Lease.Key, l.Epoch, a.Lease.Epoch, projection.ErrFenced)
		case !ok:
			return fmt.Errorf("memory: advance %s v%d: no such version: %w", a.Projection, a.Version, projection.ErrCheckpointMoved)
		case a.RequireActive && !c.Active:
			return fmt.Errorf("memory: advance %s v%d: %w", a.Projection, a.Version, projection.ErrNotActive)
		case c.Position != a.From:
			return fmt.Errorf("memory: advance %s v%d: checkpoint is at %s, expected %s: %w", a.Projection, a.Version, c.Position, a.From, projection.ErrCheckpointMoved)
		}
		c.Position, c.UpdatedAt = a.To, now
		return nil
	})
}

func (u *unit) Park(ctx context.Context, d projection.DeadLetter) error {
	t := u.t
	return u.stage(ctx, func(now time.Time) error {
		t.nextDL++
		d.ID, d.FailedAt = t.nextDL, now
		t.dls[d.Projection] = append(t.dls[d.Projection], d)
		return nil
	})
}

func (u *unit) Resolve(ctx context.Context, name string, id int64) error {
	t := u.t
	return u.stage(ctx, func(time.Time) error {
		i := slices.IndexFunc(t.dls[name], func(d projection.DeadLetter) bool { return d.ID == id })
		if i < 0 {
			return fmt.Errorf("memory: dead letter %d of %s: %w", id, name, projection.ErrDeadLetterNotFound)
		}
		t.dls[name] = slices.Delete(t.dls[name], i, i+1)
		return nil
	})
}

func (u *unit) CreateVersion(ctx context.Context, name string, version int) error {
	t := u.t
	return u.stage(ctx, func(now time.Time) error {
		t.ensureLocked(name)
		c, ok := t.cps[name][version]
		if ok && c.Active {
			return fmt.Errorf("memory: create version %d of %s: it is the active version", version, name)
		}
		t.cps[name][version] = &projection.Checkpoint{Projection: name, Version: version, UpdatedAt: now}
		return nil
	})
}

func (u *unit) LockCheckpoints(ctx context.Context, name string) ([]projection.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Staged operations are re-checked at Commit, so a plain read is enough here.
	u.t.mu.Lock()
	defer u.t.mu.Unlock()
	return u.t.checkpointsLocked(name), nil
}

func (u *unit) Activate(ctx context.Context, name string, version int) error {
	t := u.t
	return u.stage(ctx, func(time.Time) error {
		if _, ok := t.cps[name][version]; !ok {
			return fmt.Errorf("memory: activate version %d of %s: no such version", version, name)
		}
		for v, c := range t.cps[name] {
			c.Active = v == version
		}
		return nil
	})
}

func (u *unit) DropVersion(ctx context.Context, name string, version int) error {
	t := u.t
	return u.stage(ctx, func(time.Time) error {
		if c, ok := t.cps[name][version]; ok && c.Active {
			return fmt.Errorf("memory: drop version %d of %s: it is the active version", version, name)
		}
		delete(t.cps[name], version)
		delete(t.snaps[name], version)
		return nil
	})
}

func (u *unit) SaveSnapshot(ctx context.Context, s projection.Snapshot) error {
	t := u.t
	s.Data = slices.Clone(s.Data)
	return u.stage(ctx, func(now time.Time) error {
		if t.snaps[s.Projection] == nil {
			t.snaps[s.Projection] = make(map[int]projection.Snapshot)
		}
		s.SavedAt = now
		t.snaps[s.Projection][s.Version] = s
		return nil
	})
}

// Commit applies the staged operations atomically: if one fails, none is applied.
func (u *unit) Commit(ctx context.Context) error {
	if u.done {
		return fmt.Errorf("memory: unit already finished")
	}
	u.done = true
	t := u.t
	t.mu.Lock()
	defer t.mu.Unlock()
	// Work on copies so a failing operation leaves the target untouched.
	saved := t.cloneLocked()
	now := t.now()
	for _, op := range u.ops {
		if err := op(now); err != nil {
			t.restoreLocked(saved)
			return err
		}
	}
	return nil
}

func (u *unit) Rollback(context.Context) error {
	u.done = true
	u.ops = nil
	return nil
}

type state struct {
	cps    map[string]map[int]projection.Checkpoint
	dls    map[string][]projection.DeadLetter
	snaps  map[string]map[int]projection.Snapshot
	nextDL int64
}

func (t *Target) cloneLocked() state {
	s := state{cps: map[string]map[int]projection.Checkpoint{}, dls: map[string][]projection.DeadLetter{},
		snaps: map[string]map[int]projection.Snapshot{}, nextDL: t.nextDL}
	for n, m := range t.cps {
		s.cps[n] = map[int]projection.Checkpoint{}
		for v, c := range m {
			s.cps[n][v] = *c
		}
	}
	for n, d := range t.dls {
		s.dls[n] = slices.Clone(d)
	}
	for n, m := range t.snaps {
		s.snaps[n] = map[int]projection.Snapshot{}
		for v, sn := range m {
			s.snaps[n][v] = sn
		}
	}
	return s
}

func (t *Target) restoreLocked(s state) {
	t.cps = map[string]map[int]*projection.Checkpoint{}
	for n, m := range s.cps {
		t.cps[n] = map[int]*projection.Checkpoint{}
		for v, c := range m {
			t.cps[n][v] = &c
		}
	}
	t.dls, t.snaps, t.nextDL = s.dls, s.snaps, s.nextDL
}
