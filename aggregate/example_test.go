package aggregate_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/testdomain"
	"github.com/esgen/esgen/eventstore/memory"
)

func Example() {
	ctx := context.Background()
	store := memory.New()
	defer store.Close()
	repo := aggregate.NewRepository(store, testdomain.OrderType(testdomain.NewCodec(), testdomain.NewOrder),
		aggregate.WithSnapshots(aggregate.NewMemorySnapshotStore(), aggregate.EveryNEvents(100)))

	if _, err := repo.Create(ctx, "42", func(o *testdomain.Order) error { return o.Create("ada") }); err != nil {
		fmt.Println(err)
		return
	}
	_, err := repo.Create(ctx, "42", func(o *testdomain.Order) error { return o.Create("bob") })
	fmt.Println("create again:", errors.Is(err, aggregate.ErrAlreadyExists))

	order, err := repo.Update(ctx, "42", func(o *testdomain.Order) error { return o.AddItem("apple", 2) })
	fmt.Println("apples:", order.Items["apple"], "version:", order.Version(), err)

	// The same command twice (a client retrying after a timeout) pays once.
	pay := aggregate.WithCommandID(ctx, "payment-7f3a")
	for range 2 {
		order, err = repo.Update(pay, "42", func(o *testdomain.Order) error { return o.Pay(10) })
		fmt.Println("paid:", order.Paid, "version:", order.Version(), err)
	}

	// A decision's error comes back as is; nothing is saved.
	_, err = repo.Update(ctx, "42", func(o *testdomain.Order) error { return o.Pay(10) })
	fmt.Println("pay again:", errors.Is(err, testdomain.ErrAlreadyPaid))
	// Output:
	// create again: true
	// apples: 2 version: 2 <nil>
	// paid: 10 version: 3 <nil>
	// paid: 10 version: 3 <nil>
	// pay again: true
}
