package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
)

// Open a store (migrating its schema), append to a stream and read the global log from a
// checkpoint. Set DATABASE_URL to run it against a server.
func Example() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.WithSchema("shop"), postgres.WithMigrate())
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	res, err := store.Append(ctx, "order-42", eventstore.NoStream,
		eventstore.EventData{Type: "orders.OrderPlaced", Data: []byte(`{"total":12}`)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("order-42 is at version", res.LastVersion)

	var checkpoint eventstore.Position // persist it with the read model
	for e, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{After: checkpoint}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.StreamID, e.Version, e.Type)
		checkpoint = e.Position
	}
}

// Watch for readers held back by a long transaction.
func ExampleStore_ReaderStall() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	stall, err := store.ReaderStall(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if stall.Stalled() {
		fmt.Printf("%d events wait behind backend %d, open for %s: %s\n", stall.WaitingEvents, stall.PID, stall.Duration, stall.Query)
	}
}
