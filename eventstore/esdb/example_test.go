package esdb_test

import (
	"context"
	"fmt"
	"log"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/esdb"
	"github.com/esgen/esgen/eventstore/esdb/esdbtest"
)

// Open a store from a connection string, append with an expected version, retry safely,
// and resume reading $all from a checkpoint kept as text. The test double stands in for a
// server here; with a real one the connection string is e.g.
// "esdb://admin:changeit@localhost:2113?tls=true".
func Example() {
	srv, err := esdbtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	store, err := esdb.Open(ctx, srv.ConnectionString())
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	created := eventstore.EventData{Type: "orders.Created", Data: []byte("order 42")}
	res, err := store.Append(ctx, "order-42", eventstore.NoStream, created)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("appended version", res.LastVersion)

	// The reply was lost? Retry with the same ID: nothing is written twice.
	created.ID = res.EventIDs[0]
	retry, err := store.Append(ctx, "order-42", eventstore.NoStream, created)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("retry is a duplicate:", retry.Duplicate)

	// A checkpoint stored as text elsewhere resumes exactly after the event.
	checkpoint := res.Position.String()
	if _, err := store.Append(ctx, "order-42", eventstore.Exactly(1), eventstore.EventData{Type: "orders.Paid"}); err != nil {
		log.Fatal(err)
	}
	after, err := eventstore.ParsePosition(checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	for e, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{After: after}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("next:", e.StreamID, e.Version, e.Type)
	}
	// Output:
	// appended version 1
	// retry is a duplicate: true
	// next: order-42 2 orders.Paid
}
