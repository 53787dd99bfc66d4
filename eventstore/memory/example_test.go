package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
)

func Example() {
	ctx := context.Background()
	store := memory.New()
	defer store.Close()

	// Create the stream: NoStream fails if someone else created it first.
	res, err := store.Append(ctx, "order-42", eventstore.NoStream,
		eventstore.EventData{Type: "orders.OrderPlaced", Data: []byte(`{"total":30}`),
			Metadata: eventstore.Metadata{CorrelationID: "req-1"}},
		eventstore.EventData{Type: "orders.OrderPaid", Data: []byte(`{"amount":30}`)},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("appended versions %d..%d\n", res.FirstVersion, res.LastVersion)

	// A writer that decided on stale state gets a typed conflict.
	_, err = store.Append(ctx, "order-42", eventstore.Exactly(1),
		eventstore.EventData{Type: "orders.OrderCancelled"})
	var conflict *eventstore.VersionConflictError
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) && errors.As(err, &conflict) {
		fmt.Printf("conflict: expected %s, stream is at %d\n", conflict.Expected, conflict.Actual)
	}

	for e, err := range store.ReadStream(ctx, "order-42", eventstore.ReadStreamOptions{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d %s %s correlation=%q\n", e.Version, e.Type, e.Data, e.Metadata.CorrelationID)
	}
	// Output:
	// appended versions 1..2
	// conflict: expected version 1, stream is at 2
	// 1 orders.OrderPlaced {"total":30} correlation="req-1"
	// 2 orders.OrderPaid {"amount":30} correlation=""
}

// Retrying an append whose reply was lost is safe when the retry carries the same event IDs:
// the store answers with the original result and writes nothing.
func Example_retry() {
	ctx := context.Background()
	store := memory.New()
	defer store.Close()

	events := []eventstore.EventData{{Type: "orders.OrderPlaced", Data: []byte(`{}`)}}
	first, _ := store.Append(ctx, "order-7", eventstore.NoStream, events...)

	// The caller keeps the IDs the store generated (or chose its own) and retries.
	events[0].ID = first.EventIDs[0]
	retry, err := store.Append(ctx, "order-7", eventstore.NoStream, events...)
	fmt.Println(err, retry.Duplicate, retry.LastVersion == first.LastVersion)

	info, _ := store.StreamInfo(ctx, "order-7")
	fmt.Println(info.Version)
	// Output:
	// <nil> true true
	// 1
}
