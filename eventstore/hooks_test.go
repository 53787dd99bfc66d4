package eventstore_test

import (
	"context"
	"testing"

	"github.com/esgen/esgen/eventstore"
)

func TestHasBeforeCommit(t *testing.T) {
	ctx := context.Background()
	if eventstore.HasBeforeCommit(ctx) {
		t.Fatal("a plain context reports a hook")
	}
	ran := false
	hooked := eventstore.WithBeforeCommit(ctx, func(context.Context) error { ran = true; return nil })
	if !eventstore.HasBeforeCommit(hooked) {
		t.Fatal("a context with a hook reports none")
	}
	if ran {
		t.Fatal("HasBeforeCommit ran the hook")
	}
	if eventstore.HasBeforeCommit(eventstore.WithBeforeCommit(ctx, nil)) {
		t.Fatal("a nil hook counts as a hook")
	}
}
