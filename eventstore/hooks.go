package eventstore

import "context"

type beforeCommitKey struct{}

// WithBeforeCommit returns a context under which a backend calls hook after an append's
// events are written inside its transaction and before that transaction commits. If hook
// returns an error the append is rolled back and fails with it.
//
// It exists for tests: holding a transaction open to force out-of-order commits, or failing
// between two steps to simulate a crash. Backends whose writes become visible in one step
// (memory, sqlite) call it just before that step.
func WithBeforeCommit(ctx context.Context, hook func(context.Context) error) context.Context {
	return context.WithValue(ctx, beforeCommitKey{}, hook)
}

// BeforeCommit runs the hook set by [WithBeforeCommit], if any.
func BeforeCommit(ctx context.Context) error {
	if h, ok := ctx.Value(beforeCommitKey{}).(func(context.Context) error); ok && h != nil {
		return h(ctx)
	}
	return nil
}

// HasBeforeCommit reports whether ctx carries a hook set by [WithBeforeCommit]. Backends
// that append in one statement use it to take the slower path that can run the hook.
func HasBeforeCommit(ctx context.Context) bool {
	h, ok := ctx.Value(beforeCommitKey{}).(func(context.Context) error)
	return ok && h != nil
}
