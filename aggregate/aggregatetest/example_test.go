package aggregatetest_test

import (
	"fmt"
	"testing"

	"github.com/esgen/esgen/aggregate/aggregatetest"
	"github.com/esgen/esgen/aggregate/internal/testdomain"
)

// printTB prints failures, to show them in the example.
type printTB struct{ testing.TB }

func (printTB) Helper()                           {}
func (printTB) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func Example() {
	var t testing.TB = printTB{} // in a test: the *testing.T

	orders := aggregatetest.For(testdomain.OrderType(testdomain.NewCodec(), testdomain.NewOrder))
	created := orders.Given(&testdomain.OrderCreated{Customer: "ada"})

	// Passes: the decision records exactly this event.
	created.
		When(func(o *testdomain.Order) error { return o.AddItem("apple", 2) }).
		Then(t, &testdomain.ItemAdded{SKU: "apple", Qty: 2})

	// Passes: paying twice fails with the domain error.
	created.Given(&testdomain.PaymentProcessed{Amount: 10}).
		When(func(o *testdomain.Order) error { return o.Pay(10) }).
		ThenError(t, testdomain.ErrAlreadyPaid)

	// Fails, and says how.
	created.
		When(func(o *testdomain.Order) error { return o.AddItem("apple", 1) }).
		Then(t, &testdomain.ItemAdded{SKU: "apple", Qty: 2})
	// Output:
	// aggregatetest: Order "test": the recorded events differ from the expected ones (expected 1, recorded 1)
	//   #1 differs   want orders.ItemAdded {"sku":"apple","qty":2}
	//                 got  orders.ItemAdded {"sku":"apple","qty":1}
	//                 fields: qty: want 2, got 1
}
