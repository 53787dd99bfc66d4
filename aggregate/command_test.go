package aggregate_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/esgen/esgen/aggregate"
)

func TestCommandEventID(t *testing.T) {
	t.Parallel()
	id := aggregate.CommandEventID("cmd", "order-1", 0)
	if id != aggregate.CommandEventID("cmd", "order-1", 0) {
		t.Fatal("CommandEventID is not deterministic")
	}
	if id.Version() != 5 {
		t.Fatalf("version %d, want 5 (name-based, SHA-1)", id.Version())
	}
	seen := map[uuid.UUID]string{}
	for _, c := range []struct {
		cmd, stream string
		i           int
	}{
		{"cmd", "order-1", 0}, {"cmd", "order-1", 1}, {"cmd", "order-2", 0}, {"cmd2", "order-1", 0},
		{"a", "bc", 0}, {"ab", "c", 0}, {"a", "b1", 0}, {"a", "b", 10},
	} {
		got := aggregate.CommandEventID(c.cmd, c.stream, c.i)
		key := c.cmd + "|" + c.stream + "|" + string(rune('0'+c.i))
		if prev, dup := seen[got]; dup {
			t.Fatalf("%s and %s share the ID %s", prev, key, got)
		}
		seen[got] = key
	}
}

func TestContextValues(t *testing.T) {
	t.Parallel()
	ctx := aggregate.WithCommandID(context.Background(), "c1")
	if aggregate.CommandID(ctx) != "c1" || aggregate.CommandID(context.Background()) != "" {
		t.Fatal("CommandID does not return what WithCommandID set")
	}
}
