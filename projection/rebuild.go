package projection

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/esgen/esgen/eventstore"
)

// Progress reports how far a rebuild (or a live runner, see [WithProgress]) has got. Rate and
// ETA are estimates: the fraction done is judged from log positions, which grow with every
// event in the log, including those of types the projection skips.
type Progress struct {
	// Projection and Version name the projection version being built.
	Projection string
	Version    int
	// Phase is "catch-up", "swap" or "done".
	Phase string
	// Done is the number of events applied so far (dead letters included).
	Done int64
	// Position is the checkpoint reached.
	Position eventstore.Position
	// Head is the store's head when last looked at.
	Head eventstore.Position
	// Fraction is the estimated fraction done, 0..1.
	Fraction float64
	// Rate is the number of events applied per second since the start.
	Rate float64
	// Elapsed is the time since the start.
	Elapsed time.Duration
	// ETA is the estimated time left (0 when unknown or done).
	ETA time.Duration
}

// tracker turns applied batches into Progress reports.
type tracker struct {
	mu    sync.Mutex
	p     Progress
	start time.Time
	from  eventstore.Position
	fn    func(Progress)
}

func newTracker(name string, version int, from eventstore.Position, fn func(Progress)) *tracker {
	return &tracker{p: Progress{Projection: name, Version: version, Phase: "catch-up", Position: from}, start: time.Now(), from: from, fn: fn}
}

func (t *tracker) setHead(h eventstore.Position) {
	t.mu.Lock()
	t.p.Head = h
	t.mu.Unlock()
}

func (t *tracker) add(n int, last *eventstore.Event) {
	t.mu.Lock()
	t.p.Done += int64(n)
	if last != nil {
		t.p.Position = last.Position
	}
	p := t.snapshotLocked()
	t.mu.Unlock()
	if t.fn != nil {
		t.fn(p)
	}
}

func (t *tracker) phase(ph string) {
	t.mu.Lock()
	t.p.Phase = ph
	p := t.snapshotLocked()
	t.mu.Unlock()
	if t.fn != nil {
		t.fn(p)
	}
}

func (t *tracker) snapshotLocked() Progress {
	p := t.p
	p.Elapsed = time.Since(t.start)
	if s := p.Elapsed.Seconds(); s > 0 {
		p.Rate = float64(p.Done) / s
	}
	total := float64(p.Head.Pos) - float64(t.from.Pos)
	doneSpan := float64(p.Position.Pos) - float64(t.from.Pos)
	switch {
	case p.Phase == "done" || (total > 0 && doneSpan >= total):
		p.Fraction = 1
	case total > 0 && doneSpan > 0:
		p.Fraction = doneSpan / total
	}
	if p.Fraction > 0 && p.Fraction < 1 {
		p.ETA = time.Duration(float64(p.Elapsed) * (1 - p.Fraction) / p.Fraction)
	}
	return p
}

// RebuildOptions configure [Runner.Rebuild].
type RebuildOptions[Tx any] struct {
	// Prepare creates the new version's read-model objects (tables named with
	// [VersionedName]). It runs in the unit that creates the version, so a crash leaves
	// either both or neither. Optional.
	Prepare func(ctx context.Context, tx Tx, version int) error
	// Retire removes the old version's read-model objects after the swap (in its own unit,
	// together with the old version's checkpoint). Optional: without it the old tables stay
	// for the user to drop.
	Retire func(ctx context.Context, tx Tx, version int) error
	// Progress is called after every batch and phase change. Optional.
	Progress func(Progress)
}

// Rebuild builds a new version of the projection from the start of the log beside the live
// one, which keeps serving (and keeps being updated by its runners) meanwhile. When the new
// version has caught up with the live one, one unit makes it the active version; live runners
// then switch to it at their next batch (their commit to the old version fails with
// [ErrNotActive]). Handlers learn the version to write from their context ([Table],
// [VersionFrom]).
//
// A rebuild holds the lease [RebuildLeaseKey], so only one runs per projection; an
// interrupted rebuild resumes the inactive version where it stopped. It returns the new
// version.
func (r *Runner[Tx]) Rebuild(ctx context.Context, opts RebuildOptions[Tx]) (int, error) {
	lease, err := r.target.Claim(ctx, RebuildLeaseKey(r.name), r.cfg.owner, r.cfg.leaseTTL)
	if err != nil {
		return 0, fmt.Errorf("projection %s: rebuild: %w", r.name, err)
	}
	lctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.keepLease(lctx, cancel, lease, time.Now().Add(-r.cfg.leaseTTL/10)) }()
	defer func() {
		cancel(nil)
		wg.Wait()
		rctx, c := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = r.target.Release(rctx, lease)
		c()
	}()
	return r.rebuild(lctx, lease, opts)
}

func (r *Runner[Tx]) rebuild(ctx context.Context, lease Lease, opts RebuildOptions[Tx]) (int, error) {
	if _, err := r.target.LoadCheckpoint(ctx, r.name); err != nil {
		return 0, fmt.Errorf("projection %s: rebuild: %w", r.name, err)
	}
	cps, err := r.target.Checkpoints(ctx, r.name)
	if err != nil {
		return 0, fmt.Errorf("projection %s: rebuild: %w", r.name, err)
	}
	live, nv := 0, 0
	for _, c := range cps {
		if c.Active {
			live = c.Version
		}
	}
	var from eventstore.Position
	for _, c := range cps {
		if c.Version > live && c.Version > nv {
			nv, from = c.Version, c.Position
		}
	}
	if nv == 0 {
		nv = slices.MaxFunc(cps, func(a, b Checkpoint) int { return a.Version - b.Version }).Version + 1
		if err := r.inUnit(ctx, func(u Unit[Tx]) error {
			if err := u.CreateVersion(ctx, r.name, nv); err != nil {
				return err
			}
			if opts.Prepare != nil {
				return opts.Prepare(WithVersion(ctx, nv), u.Tx(), nv)
			}
			return nil
		}); err != nil {
			return 0, fmt.Errorf("projection %s: rebuild: create version %d: %w", r.name, nv, err)
		}
		r.logger.Info("projection rebuild started", "version", nv, "live_version", live)
	} else {
		r.logger.Info("projection rebuild resumed", "version", nv, "live_version", live, "from", from)
	}
	tr := newTracker(r.name, nv, from, opts.Progress)
	s := &session[Tx]{r: r, lease: lease, version: nv, progress: tr.add}
	pos := from
	for {
		head, err := r.log.Head(ctx)
		if err != nil {
			return 0, fmt.Errorf("projection %s: rebuild: read head: %w", r.name, err)
		}
		tr.setHead(head)
		if pos, err = s.catchUp(ctx, pos); err != nil {
			if errors.Is(err, errReload) {
				cps, lerr := r.target.Checkpoints(ctx, r.name)
				if lerr != nil {
					return 0, lerr
				}
				for _, c := range cps {
					if c.Version == nv {
						pos = c.Position
					}
				}
				continue
			}
			return 0, err
		}
		tr.phase("swap")
		swapped, livePos, err := r.trySwap(ctx, lease, nv, pos)
		if err != nil {
			return 0, fmt.Errorf("projection %s: rebuild: swap to version %d: %w", r.name, nv, err)
		}
		if swapped {
			break
		}
		// The live version is ahead: catch up again. If nothing of ours lies between, move
		// the new version's checkpoint to the live one's.
		n, err := s.catchUpCount(ctx, &pos)
		if err != nil {
			return 0, err
		}
		if n == 0 && pos.Less(livePos) {
			if err := r.inUnit(ctx, func(u Unit[Tx]) error {
				return u.Advance(ctx, Advance{Projection: r.name, Version: nv, From: pos, To: livePos, Lease: lease})
			}); err != nil {
				return 0, fmt.Errorf("projection %s: rebuild: %w", r.name, err)
			}
			pos = livePos
		}
		tr.phase("catch-up")
	}
	tr.phase("done")
	r.logger.Info("projection rebuild swapped in the new version", "version", nv, "old_version", live, "position", pos)
	if err := r.inUnit(ctx, func(u Unit[Tx]) error {
		if opts.Retire != nil {
			if err := opts.Retire(WithVersion(ctx, live), u.Tx(), live); err != nil {
				return err
			}
		}
		return u.DropVersion(ctx, r.name, live)
	}); err != nil {
		return nv, fmt.Errorf("projection %s: rebuild: version %d is live; retiring old version %d failed: %w", r.name, nv, live, err)
	}
	return nv, nil
}

// trySwap activates version nv if its checkpoint (at pos) has reached the live version's.
func (r *Runner[Tx]) trySwap(ctx context.Context, lease Lease, nv int, pos eventstore.Position) (bool, eventstore.Position, error) {
	var swapped bool
	var livePos eventstore.Position
	err := r.inUnit(ctx, func(u Unit[Tx]) error {
		cps, err := u.LockCheckpoints(ctx, r.name)
		if err != nil {
			return err
		}
		var live, mine *Checkpoint
		for i := range cps {
			switch {
			case cps[i].Active:
				live = &cps[i]
			case cps[i].Version == nv:
				mine = &cps[i]
			}
		}
		if mine == nil || mine.Position != pos {
			return fmt.Errorf("%w: version %d of %s is not at %s", ErrCheckpointMoved, nv, r.name, pos)
		}
		if live != nil && pos.Less(live.Position) {
			livePos = live.Position
			return errNotYet
		}
		// Fence: the rebuild lease must still be ours.
		if err := u.Advance(ctx, Advance{Projection: r.name, Version: nv, From: pos, To: pos, Lease: lease}); err != nil {
			return err
		}
		swapped = true
		return u.Activate(ctx, r.name, nv)
	})
	if errors.Is(err, errNotYet) {
		return false, livePos, nil
	}
	return swapped, livePos, err
}

var errNotYet = errors.New("projection: not caught up yet")

// catchUp applies the log after pos up to what is visible now.
func (s *session[Tx]) catchUp(ctx context.Context, pos eventstore.Position) (eventstore.Position, error) {
	_, err := s.catchUpCount(ctx, &pos)
	return pos, err
}

// catchUpCount applies the log after *pos up to what is visible now, advancing *pos, and
// returns the number of events read.
func (s *session[Tx]) catchUpCount(ctx context.Context, pos *eventstore.Position) (int, error) {
	r := s.r
	total := 0
	for {
		batch := make([]eventstore.Event, 0, r.cfg.batchSize)
		for e, err := range r.log.ReadAll(ctx, eventstore.ReadAllOptions{After: *pos, Types: r.types, Limit: r.cfg.batchSize, PageSize: r.cfg.pageSize}) {
			if err != nil {
				return total, fmt.Errorf("projection %s: read the log after %s: %w", r.name, *pos, err)
			}
			batch = append(batch, e)
		}
		if len(batch) == 0 {
			return total, nil
		}
		total += len(batch)
		np, err := s.apply(ctx, *pos, batch)
		*pos = np
		if err != nil {
			return total, err
		}
	}
}

// inUnit runs fn in a unit and commits it.
func (r *Runner[Tx]) inUnit(ctx context.Context, fn func(Unit[Tx]) error) error {
	u, err := r.target.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(u); err != nil {
		_ = u.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := u.Commit(ctx); err != nil {
		_ = u.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return nil
}

// Reset sets the active version's checkpoint back to the start of the log, after clear has
// emptied the read model in the same unit: the next Run replays everything. It is meant for
// development; production uses [Runner.Rebuild]. Stop the projection's runners first: Reset
// takes the projection's lease, and fails with [ErrLeaseHeld] while another instance holds it.
func (r *Runner[Tx]) Reset(ctx context.Context, clear func(ctx context.Context, tx Tx, version int) error) error {
	lease, err := r.target.Claim(ctx, r.name, r.cfg.owner, r.cfg.leaseTTL)
	if err != nil {
		return fmt.Errorf("projection %s: reset: %w", r.name, err)
	}
	defer func() {
		rctx, c := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = r.target.Release(rctx, lease)
		c()
	}()
	if _, err := r.target.LoadCheckpoint(ctx, r.name); err != nil {
		return fmt.Errorf("projection %s: reset: %w", r.name, err)
	}
	err = r.inUnit(ctx, func(u Unit[Tx]) error {
		cps, err := u.LockCheckpoints(ctx, r.name)
		if err != nil {
			return err
		}
		for _, c := range cps {
			if !c.Active {
				continue
			}
			if clear != nil {
				if err := clear(WithVersion(ctx, c.Version), u.Tx(), c.Version); err != nil {
					return err
				}
			}
			return u.Advance(ctx, Advance{Projection: r.name, Version: c.Version, From: c.Position, To: eventstore.Start, Lease: lease, RequireActive: true})
		}
		return fmt.Errorf("projection %s has no active version", r.name)
	})
	if err != nil {
		return fmt.Errorf("projection %s: reset: %w", r.name, err)
	}
	r.logger.Info("projection reset to the start of the log")
	return nil
}
