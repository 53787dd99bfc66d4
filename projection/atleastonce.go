package projection

import "context"

// AtLeastOnce adapts a transactional target to handlers whose effects cannot join its
// transaction: external sinks (a search index, a cache, a message broker) whose checkpoint is
// kept durably in t's database. The handler gets [NoTx]; its effects happen when it runs, and
// the checkpoint is stored afterwards, in a transaction of t opened only then. A crash between
// the two re-delivers those events: delivery is at least once, and effectively once when the
// handler writes idempotently, keyed on the event's ID or position (see docs/guarantees.md).
func AtLeastOnce[Tx any](t Target[Tx]) Target[NoTx] { return atLeastOnce[Tx]{t} }

type atLeastOnce[Tx any] struct{ Target[Tx] }

func (a atLeastOnce[Tx]) Begin(ctx context.Context) (Unit[NoTx], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &lazyUnit[Tx]{t: a.Target}, nil
}

// Transient implements [TransientClassifier] when the wrapped target does.
func (a atLeastOnce[Tx]) Transient(err error) bool { return transient(a.Target, err) }

// lazyUnit opens the wrapped target's unit at its first operation, after the handler ran.
type lazyUnit[Tx any] struct {
	t Target[Tx]
	u Unit[Tx]
}

func (l *lazyUnit[Tx]) Tx() NoTx { return NoTx{} }

func (l *lazyUnit[Tx]) unit(ctx context.Context) (Unit[Tx], error) {
	if l.u == nil {
		u, err := l.t.Begin(ctx)
		if err != nil {
			return nil, err
		}
		l.u = u
	}
	return l.u, nil
}

func (l *lazyUnit[Tx]) Advance(ctx context.Context, a Advance) error {
	u, err := l.unit(ctx)
	if err != nil {
		return err
	}
	return u.Advance(ctx, a)
}

func (l *lazyUnit[Tx]) Park(ctx context.Context, d DeadLetter) error {
	u, err := l.unit(ctx)
	if err != nil {
		return err
	}
	return u.Park(ctx, d)
}

func (l *lazyUnit[Tx]) Resolve(ctx context.Context, p string, id int64) error {
	u, err := l.unit(ctx)
	if err != nil {
		return err
	}
	return u.Resolve(ctx, p, id)
}

func (l *lazyUnit[Tx]) CreateVersion(ctx context.Context, p string, v int) error {
	u, err := l.unit(ctx)
	if err != nil {
		return err
	}
	return u.CreateVersion(ctx, p, v)
}

func (l *lazyUnit[Tx]) LockCheckpoints(ctx context.Context, p string) ([]Checkpoint, error) {
	u, err := l.unit(ctx)
	if err != nil {
		return nil, err
	}
	return u.LockCheckpoints(ctx, p)
}

func (l *lazyUnit[Tx]) Activate(ctx context.Context, p string, v int) error {
	u, err := l.unit(ctx)
	if err != nil {
		return err
	}
	return u.Activate(ctx, p, v)
}

func (l *lazyUnit[Tx]) DropVersion(ctx context.Context, p string, v int) error {
	u, err := l.unit(ctx)
	if err != nil {
		return err
	}
	return u.DropVersion(ctx, p, v)
}

func (l *lazyUnit[Tx]) SaveSnapshot(ctx context.Context, s Snapshot) error {
	u, err := l.unit(ctx)
	if err != nil {
		return err
	}
	return u.SaveSnapshot(ctx, s)
}

func (l *lazyUnit[Tx]) Commit(ctx context.Context) error {
	if l.u == nil {
		return nil
	}
	return l.u.Commit(ctx)
}

func (l *lazyUnit[Tx]) Rollback(ctx context.Context) error {
	if l.u == nil {
		return nil
	}
	return l.u.Rollback(ctx)
}
