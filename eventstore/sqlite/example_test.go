package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "esgen-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	st, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"), sqlite.WithMigrate())
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	res, err := st.Append(ctx, "order-42", eventstore.NoStream,
		eventstore.EventData{Type: "orders.OrderPlaced", Data: []byte(`{"total":1999}`)},
		eventstore.EventData{Type: "orders.OrderPaid", Data: []byte(`{"amount":1999}`)},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stream version:", res.LastVersion, "at position", res.Position)

	for e, err := range st.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Position, e.StreamID, e.Version, e.Type)
	}
	// Output:
	// stream version: 2 at position 0/2
	// 0/1 order-42 1 orders.OrderPlaced
	// 0/2 order-42 2 orders.OrderPaid
}

// A projection commits its read model and its checkpoint in one transaction on the store's
// writer, in the same file as the events.
func ExampleStore_WriteTx() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "esgen-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"), sqlite.WithMigrate())
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	err = st.WriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS order_totals (order_id TEXT PRIMARY KEY, total INTEGER NOT NULL);
			CREATE TABLE IF NOT EXISTS checkpoints (projection TEXT PRIMARY KEY, position TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := st.Append(ctx, "order-42", eventstore.NoStream, eventstore.EventData{Type: "orders.OrderPlaced", Data: []byte("1999")}); err != nil {
		log.Fatal(err)
	}
	for e, err := range st.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
		err = st.WriteTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO order_totals VALUES (?, ?)`, e.StreamID, string(e.Data)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints VALUES ('totals', ?)
				ON CONFLICT (projection) DO UPDATE SET position = excluded.position`, e.Position.String())
			return err
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	var total int
	var checkpoint string
	if err := st.DB().QueryRowContext(ctx, `SELECT total, (SELECT position FROM checkpoints) FROM order_totals`).Scan(&total, &checkpoint); err != nil {
		log.Fatal(err)
	}
	fmt.Println(total, checkpoint)
	// Output: 1999 0/1
}
