package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/esgen/esgen/aggregate/aggregatetest"
	"github.com/esgen/esgen/examples/orders/events"
	"github.com/esgen/esgen/examples/orders/order"
)

var (
	t0      = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	created = &events.OrderCreated{
		OrderID: aggregatetest.DefaultID, CustomerID: "ada",
		Lines:      []events.OrderLine{{SKU: "book", Quantity: 2, UnitPriceCents: 1500}},
		TotalCents: 3000, Currency: "EUR", CreatedAt: t0,
	}
	paid = &events.PaymentProcessed{
		OrderID: aggregatetest.DefaultID, PaymentID: "pay-1", AmountCents: 3000, Currency: "EUR",
		PaidAt: t0, Method: events.PaymentMethodCard,
	}
	shipped = &events.ItemShipped{OrderID: aggregatetest.DefaultID, Carrier: "DHL", ShippedAt: t0}
)

func orders() aggregatetest.Scenario[*order.Order] {
	return aggregatetest.For(events.OrderType(events.NewCodec(), order.New))
}

func TestCreate(t *testing.T) {
	t.Parallel()
	orders().
		When(func(o *order.Order) error {
			return o.Create("ada", []order.Line{{SKU: "book", Quantity: 2, UnitPriceCents: 1500}}, "eur", t0)
		}).
		Then(t, created)

	for name, decide := range map[string]func(*order.Order) error{
		"no lines": func(o *order.Order) error { return o.Create("ada", nil, "EUR", t0) },
		"total overflows": func(o *order.Order) error {
			return o.Create("ada", []order.Line{{SKU: "x", Quantity: 2147483647, UnitPriceCents: 9223372036854775807}}, "EUR", t0)
		},
		"NUL in customer": func(o *order.Order) error {
			return o.Create("a\x00", []order.Line{{SKU: "x", Quantity: 1, UnitPriceCents: 1}}, "EUR", t0)
		},
	} {
		t.Run(name, func(t *testing.T) { orders().When(decide).ThenError(t, order.ErrInvalid) })
	}
}

func TestPay(t *testing.T) {
	t.Parallel()
	pay := func(o *order.Order) error { return o.Pay("pay-1", 3000, events.PaymentMethodCard, t0) }

	t.Run("after creation", func(t *testing.T) {
		orders().Given(created).When(pay).Then(t, paid)
	})
	t.Run("no payment before creation", func(t *testing.T) {
		orders().When(pay).ThenError(t, order.ErrNotCreated)
	})
	t.Run("no double payment", func(t *testing.T) {
		orders().Given(created, paid).When(pay).ThenError(t, order.ErrAlreadyPaid)
	})
	t.Run("a payment reference and a positive amount", func(t *testing.T) {
		orders().Given(created).
			When(func(o *order.Order) error { return o.Pay("", 3000, events.PaymentMethodCard, t0) }).
			ThenError(t, order.ErrInvalid)
		orders().Given(created).
			When(func(o *order.Order) error { return o.Pay("pay-1", -5, events.PaymentMethodCard, t0) }).
			ThenError(t, order.ErrInvalid)
	})
	t.Run("the whole total", func(t *testing.T) {
		orders().Given(created).
			When(func(o *order.Order) error { return o.Pay("pay-1", 2999, events.PaymentMethodCard, t0) }).
			ThenError(t, order.ErrWrongAmount)
	})
	t.Run("not after cancellation", func(t *testing.T) {
		orders().Given(created, &events.OrderCancelled{OrderID: aggregatetest.DefaultID, Reason: "r", CancelledAt: t0}).
			When(pay).ThenError(t, order.ErrAlreadyCancelled)
	})
}

func TestShip(t *testing.T) {
	t.Parallel()
	ship := func(o *order.Order) error { return o.Ship("DHL", "", t0) }

	t.Run("after payment", func(t *testing.T) {
		o := orders().Given(created, paid).When(ship).Then(t, shipped)
		if o.Status() != order.StatusShipped {
			t.Errorf("status = %q, want shipped", o.Status())
		}
	})
	t.Run("no shipping before payment", func(t *testing.T) {
		orders().Given(created).When(ship).ThenError(t, order.ErrNotPaid)
	})
	t.Run("no second shipment", func(t *testing.T) {
		orders().Given(created, paid, shipped).When(ship).ThenError(t, order.ErrAlreadyShipped)
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	cancel := func(o *order.Order) error { return o.Cancel("changed my mind", t0) }
	cancelled := &events.OrderCancelled{OrderID: aggregatetest.DefaultID, Reason: "changed my mind", CancelledAt: t0}

	t.Run("before shipping", func(t *testing.T) {
		orders().Given(created, paid).When(cancel).Then(t, cancelled)
	})
	t.Run("no cancel after shipping", func(t *testing.T) {
		orders().Given(created, paid, shipped).When(cancel).ThenError(t, order.ErrAlreadyShipped)
	})
	t.Run("no cancel twice", func(t *testing.T) {
		orders().Given(created, cancelled).When(cancel).ThenError(t, order.ErrAlreadyCancelled)
	})
}

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	o := orders().Given(created, paid).When(func(*order.Order) error { return nil }).ThenNothing(t)
	data, err := o.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := order.New()
	if err := restored.UnmarshalSnapshot(data); err != nil {
		t.Fatal(err)
	}
	if restored.Status() != order.StatusPaid {
		t.Fatalf("restored status %q, want paid", restored.Status())
	}
	// The restored state enforces the same rules: no double payment.
	if err := restored.Pay("pay-2", 3000, events.PaymentMethodCard, t0); !errors.Is(err, order.ErrAlreadyPaid) {
		t.Fatalf("second payment on the restored order: got %v, want ErrAlreadyPaid", err)
	}
	if err := restored.UnmarshalSnapshot([]byte("garbage")); err == nil {
		t.Fatal("a corrupt snapshot decoded without error")
	}
}
