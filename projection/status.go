package projection

import (
	"context"
	"fmt"
	"time"

	"github.com/esgen/esgen/eventstore"
)

// Status describes a projection: where it is, how far behind, who runs it.
type Status struct {
	// Projection is the projection's name.
	Projection string
	// Version is the active read-model version (0 when the projection never ran).
	Version int
	// Checkpoint is the active version's checkpoint; UpdatedAt when it last moved.
	Checkpoint eventstore.Position
	UpdatedAt  time.Time
	// Head is the store's head.
	Head eventstore.Position
	// LagEvents counts the events of the projection's types after the checkpoint; when
	// LagCapped is set there are at least that many (see [WithStatusScanLimit]).
	LagEvents int64
	LagCapped bool
	// Lag is the age of the oldest event not applied yet (0 when caught up).
	Lag time.Duration
	// Owner, Epoch and LeaseExpiresAt describe the lease; Leased reports whether it is held
	// (unexpired by the target's clock as last stored).
	Owner          string
	Epoch          uint64
	LeaseExpiresAt time.Time
	Leased         bool
	// DeadLetters counts unresolved dead letters.
	DeadLetters int
	// Versions lists every version's checkpoint, including one being rebuilt.
	Versions []Checkpoint
}

// Status reports the projection's state.
func (r *Runner[Tx]) Status(ctx context.Context) (Status, error) {
	st := Status{Projection: r.name}
	var err error
	if st.Versions, err = r.target.Checkpoints(ctx, r.name); err != nil {
		return st, fmt.Errorf("projection %s: status: %w", r.name, err)
	}
	cp := activeOf(st.Versions)
	st.Version, st.Checkpoint, st.UpdatedAt = cp.Version, cp.Position, cp.UpdatedAt
	if st.Head, err = r.log.Head(ctx); err != nil {
		return st, fmt.Errorf("projection %s: status: read head: %w", r.name, err)
	}
	limit := r.cfg.statusScanMax
	for e, err := range r.log.ReadAll(ctx, eventstore.ReadAllOptions{After: cp.Position, Types: r.types, Limit: limit + 1}) {
		if err != nil {
			return st, fmt.Errorf("projection %s: status: read the log: %w", r.name, err)
		}
		if st.LagEvents == 0 && !e.RecordedAt.IsZero() {
			st.Lag = time.Since(e.RecordedAt)
			if st.Lag < 0 {
				st.Lag = 0
			}
		}
		st.LagEvents++
		if st.LagEvents > int64(limit) {
			st.LagEvents, st.LagCapped = int64(limit), true
			break
		}
	}
	l, ok, err := r.target.CurrentLease(ctx, r.name)
	if err != nil {
		return st, fmt.Errorf("projection %s: status: %w", r.name, err)
	}
	if ok {
		st.Owner, st.Epoch, st.LeaseExpiresAt = l.Owner, l.Epoch, l.ExpiresAt
		st.Leased = l.ExpiresAt.After(time.Now())
	}
	if st.DeadLetters, err = r.target.CountDeadLetters(ctx, r.name); err != nil {
		return st, fmt.Errorf("projection %s: status: %w", r.name, err)
	}
	return st, nil
}

// DeadLetters lists the projection's unresolved dead letters, oldest first.
func (r *Runner[Tx]) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	return r.target.DeadLetters(ctx, r.name)
}

// ReplayDeadLetter applies a dead letter's event with the handler and resolves the dead letter
// in the same unit, so with a transactional target the event is applied exactly once however
// often replay is called (a second call fails with [ErrDeadLetterNotFound]). The handler sees
// the version the event was parked under if it is still active, else the active version.
// The event is applied out of log order: handlers should tolerate that (upserts keyed by
// stream and version, say).
func (r *Runner[Tx]) ReplayDeadLetter(ctx context.Context, id int64) error {
	dls, err := r.target.DeadLetters(ctx, r.name)
	if err != nil {
		return fmt.Errorf("projection %s: replay dead letter %d: %w", r.name, id, err)
	}
	var dl *DeadLetter
	for i := range dls {
		if dls[i].ID == id {
			dl = &dls[i]
		}
	}
	if dl == nil {
		return fmt.Errorf("projection %s: replay dead letter %d: %w; list them with DeadLetters", r.name, id, ErrDeadLetterNotFound)
	}
	cps, err := r.target.Checkpoints(ctx, r.name)
	if err != nil {
		return fmt.Errorf("projection %s: replay dead letter %d: %w", r.name, id, err)
	}
	cp := activeOf(cps)
	if cp.Version == 0 {
		cp.Version = dl.Version
	}
	err = r.inUnit(ctx, func(u Unit[Tx]) error {
		if err := r.h.Handle(WithVersion(ctx, cp.Version), u.Tx(), &dl.Event); err != nil {
			return &HandlerError{Projection: r.name, Event: &dl.Event, Attempts: 1, Err: err}
		}
		return u.Resolve(ctx, r.name, id)
	})
	if err != nil {
		return fmt.Errorf("projection %s: replay dead letter %d: %w", r.name, id, err)
	}
	r.logger.Info("projection replayed a dead letter", "dead_letter", id, "event_id", dl.Event.ID)
	return nil
}

// DiscardDeadLetter resolves a dead letter without applying it.
func (r *Runner[Tx]) DiscardDeadLetter(ctx context.Context, id int64) error {
	err := r.inUnit(ctx, func(u Unit[Tx]) error { return u.Resolve(ctx, r.name, id) })
	if err != nil {
		return fmt.Errorf("projection %s: discard dead letter %d: %w", r.name, id, err)
	}
	return nil
}

// activeOf returns the active checkpoint among cps (zero Version when none is).
func activeOf(cps []Checkpoint) Checkpoint {
	for _, c := range cps {
		if c.Active {
			return c
		}
	}
	return Checkpoint{}
}
