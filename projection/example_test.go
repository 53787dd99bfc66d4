package projection_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/esgen/esgen/eventstore"
	esmemory "github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/memory"
)

// totals is an in-memory read model: order totals by stream, upserted by stream version so a
// redelivered event changes nothing.
type totals struct {
	mu   sync.Mutex
	sums map[string]int
	seen map[string]uint64
}

// Handle implements projection.Handler (esgen generate writes such adapters for you).
func (t *totals) Handle(_ context.Context, _ projection.NoTx, e *eventstore.Event) error {
	n, err := strconv.Atoi(string(e.Data))
	if err != nil {
		return fmt.Errorf("amount %q: %w", e.Data, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Version <= t.seen[e.StreamID] {
		return nil // already applied
	}
	t.seen[e.StreamID] = e.Version
	t.sums[e.StreamID] += n
	return nil
}

func (t *totals) Name() string         { return "order_totals" }
func (t *totals) EventTypes() []string { return []string{"orders.ItemAdded"} }

func Example() {
	ctx := context.Background()
	store := esmemory.New()
	for _, amount := range []string{"3", "4"} {
		_, _ = store.Append(ctx, "order-1", eventstore.Any, eventstore.EventData{Type: "orders.ItemAdded", Data: []byte(amount)})
	}
	_, _ = store.Append(ctx, "order-2", eventstore.Any, eventstore.EventData{Type: "orders.ItemAdded", Data: []byte("5")})
	head, _ := store.Head(ctx)

	model := &totals{sums: map[string]int{}, seen: map[string]uint64{}}
	caughtUp := make(chan struct{})
	var once sync.Once
	r, err := projection.NewRunner(store, projection.Target[projection.NoTx](memory.New()), projection.Handler[projection.NoTx](model),
		projection.WithLogger(slog.New(slog.DiscardHandler)),
		projection.WithProgress(func(p projection.Progress) {
			if !p.Position.Less(head) {
				once.Do(func() { close(caughtUp) })
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- r.Run(runCtx) }()
	<-caughtUp
	stop()
	<-done

	st, _ := r.Status(ctx)
	fmt.Println("order-1:", model.sums["order-1"], "order-2:", model.sums["order-2"])
	fmt.Println("checkpoint:", st.Checkpoint, "lag:", st.LagEvents)
	// Output:
	// order-1: 7 order-2: 5
	// checkpoint: 0/3 lag: 0
}
