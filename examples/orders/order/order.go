// Package order holds the rules of the order workflow: the Order aggregate, the commands a
// service runs on it, and the read models kept from its events.
package order

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/examples/orders/events"
)

// The rules an order enforces. Each is a decision refused, not a failure: the HTTP API
// answers them with 422.
var (
	ErrNotCreated       = errors.New("order: no such order; create it first")
	ErrInvalid          = errors.New("order: invalid order")
	ErrAlreadyPaid      = errors.New("order: already paid")
	ErrNotPaid          = errors.New("order: not paid yet; it cannot ship before payment")
	ErrWrongAmount      = errors.New("order: payment amount differs from the order total")
	ErrAlreadyShipped   = errors.New("order: already shipped")
	ErrAlreadyCancelled = errors.New("order: cancelled")
)

// Status is where an order is in its life.
type Status string

// The statuses of an order.
const (
	StatusNew       Status = ""
	StatusCreated   Status = "created"
	StatusPaid      Status = "paid"
	StatusShipped   Status = "shipped"
	StatusCancelled Status = "cancelled"
)

// Order is the aggregate: the state its decisions need, folded from its events. It
// implements events.OrderApplier; a missing Apply method would not compile.
type Order struct {
	events.OrderBase

	status   Status
	total    int64
	currency string
	paid     bool
	shipped  bool
}

// New returns an empty order, for the repository.
func New() *Order { return new(Order) }

// Status returns the order's status.
func (o *Order) Status() Status { return o.status }

// Line is one product line of a new order.
type Line struct {
	SKU            string `json:"sku"`
	Quantity       int32  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// Create places the order.
func (o *Order) Create(customerID string, lines []Line, currency string, now time.Time) error {
	if o.status != StatusNew {
		return fmt.Errorf("%w: order %s exists", ErrInvalid, o.ID())
	}
	if strings.TrimSpace(customerID) == "" {
		return fmt.Errorf("%w: customer_id is empty", ErrInvalid)
	}
	if len(lines) == 0 {
		return fmt.Errorf("%w: an order needs at least one line", ErrInvalid)
	}
	if len(currency) != 3 {
		return fmt.Errorf("%w: currency %q is not an ISO 4217 code such as EUR", ErrInvalid, currency)
	}
	if err := text("customer_id", customerID); err != nil {
		return err
	}
	var total int64
	out := make([]events.OrderLine, len(lines))
	for i, l := range lines {
		if l.SKU == "" || l.Quantity <= 0 || l.UnitPriceCents < 0 {
			return fmt.Errorf("%w: line %d needs a sku, a positive quantity and a price of at least 0", ErrInvalid, i+1)
		}
		if err := text(fmt.Sprintf("line %d sku", i+1), l.SKU); err != nil {
			return err
		}
		if l.UnitPriceCents > (math.MaxInt64-total)/int64(l.Quantity) {
			return fmt.Errorf("%w: line %d: the order total overflows; split the order", ErrInvalid, i+1)
		}
		total += int64(l.Quantity) * l.UnitPriceCents
		out[i] = events.OrderLine{SKU: l.SKU, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents}
	}
	return o.RecordOrderCreated(&events.OrderCreated{
		OrderID: o.ID(), CustomerID: customerID, Lines: out, TotalCents: total,
		Currency: strings.ToUpper(currency), CreatedAt: now.UTC().Truncate(time.Millisecond),
	})
}

// Pay records the payment of the order's total.
func (o *Order) Pay(paymentID string, amountCents int64, method events.PaymentMethod, now time.Time) error {
	switch {
	case strings.TrimSpace(paymentID) == "":
		return fmt.Errorf("%w: payment_id is empty; give the payment provider's reference", ErrInvalid)
	case amountCents <= 0:
		return fmt.Errorf("%w: amount_cents is %d; a payment is a positive amount", ErrInvalid, amountCents)
	case text("payment_id", paymentID) != nil:
		return text("payment_id", paymentID)
	case o.status == StatusNew:
		return ErrNotCreated
	case o.status == StatusCancelled:
		return ErrAlreadyCancelled
	case o.paid:
		return ErrAlreadyPaid
	case amountCents != o.total:
		return fmt.Errorf("%w: paid %d, total %d %s", ErrWrongAmount, amountCents, o.total, o.currency)
	case !method.Valid():
		return fmt.Errorf("%w: payment method %q: want CARD, BANK_TRANSFER or WALLET", ErrInvalid, method)
	}
	return o.RecordPaymentProcessed(&events.PaymentProcessed{
		OrderID: o.ID(), PaymentID: paymentID, AmountCents: amountCents, Currency: o.currency,
		PaidAt: now.UTC().Truncate(time.Millisecond), Method: method,
	})
}

// Ship records that the order left the warehouse.
func (o *Order) Ship(carrier, tracking string, now time.Time) error {
	switch {
	case o.status == StatusNew:
		return ErrNotCreated
	case o.status == StatusCancelled:
		return ErrAlreadyCancelled
	case o.shipped:
		return ErrAlreadyShipped
	case !o.paid:
		return ErrNotPaid
	case carrier == "":
		return fmt.Errorf("%w: carrier is empty", ErrInvalid)
	}
	if err := errors.Join(text("carrier", carrier), text("tracking_number", tracking)); err != nil {
		return err
	}
	var tn *string
	if tracking != "" {
		tn = &tracking
	}
	return o.RecordItemShipped(&events.ItemShipped{OrderID: o.ID(), Carrier: carrier, TrackingNumber: tn, ShippedAt: now.UTC().Truncate(time.Millisecond)})
}

// Cancel cancels the order; an order that shipped cannot be cancelled.
func (o *Order) Cancel(reason string, now time.Time) error {
	switch {
	case o.status == StatusNew:
		return ErrNotCreated
	case o.shipped:
		return ErrAlreadyShipped
	case o.status == StatusCancelled:
		return ErrAlreadyCancelled
	}
	if err := text("reason", reason); err != nil {
		return err
	}
	return o.RecordOrderCancelled(&events.OrderCancelled{OrderID: o.ID(), Reason: reason, CancelledAt: now.UTC().Truncate(time.Millisecond)})
}

// text refuses free text that the read models could not store: invalid UTF-8 or control
// characters (PostgreSQL rejects NUL in text columns).
func text(field, s string) error {
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s must be valid UTF-8 without control characters", ErrInvalid, field)
	}
	return nil
}

// ApplyOrderCreated implements events.OrderApplier.
func (o *Order) ApplyOrderCreated(e *events.OrderCreated) {
	o.status, o.total, o.currency = StatusCreated, e.TotalCents, e.Currency
}

// ApplyPaymentProcessed implements events.OrderApplier.
func (o *Order) ApplyPaymentProcessed(*events.PaymentProcessed) {
	o.status, o.paid = StatusPaid, true
}

// ApplyItemShipped implements events.OrderApplier.
func (o *Order) ApplyItemShipped(*events.ItemShipped) {
	o.status, o.shipped = StatusShipped, true
}

// ApplyOrderCancelled implements events.OrderApplier.
func (o *Order) ApplyOrderCancelled(*events.OrderCancelled) {
	o.status = StatusCancelled
}

// orderState is the snapshot of an Order: its fields in an Avro record, so the snapshot
// format evolves like an event contract (add a field with a default and list the old schema
// in snapshotCodec).
type orderState struct {
	Status   string `avro:"status"`
	Total    int64  `avro:"total_cents"`
	Currency string `avro:"currency"`
	Paid     bool   `avro:"paid"`
	Shipped  bool   `avro:"shipped"`
}

const orderStateSchema = `{"type": "record", "name": "OrderState", "namespace": "orders.snapshot", "fields": [
	{"name": "status", "type": "string"},
	{"name": "total_cents", "type": "long"},
	{"name": "currency", "type": "string"},
	{"name": "paid", "type": "boolean"},
	{"name": "shipped", "type": "boolean"}
]}`

var snapshotCodec = sync.OnceValues(func() (*aggregate.AvroSnapshotCodec[orderState], error) {
	return aggregate.NewAvroSnapshotCodec[orderState](1, orderStateSchema)
})

// SnapshotVersion implements aggregate.Snapshotter.
func (o *Order) SnapshotVersion() int { return 1 }

// MarshalSnapshot implements aggregate.Snapshotter.
func (o *Order) MarshalSnapshot() ([]byte, error) {
	c, err := snapshotCodec()
	if err != nil {
		return nil, err
	}
	return c.Marshal(&orderState{Status: string(o.status), Total: o.total, Currency: o.currency, Paid: o.paid, Shipped: o.shipped})
}

// UnmarshalSnapshot implements aggregate.Snapshotter.
func (o *Order) UnmarshalSnapshot(data []byte) error {
	c, err := snapshotCodec()
	if err != nil {
		return err
	}
	var s orderState
	if err := c.Unmarshal(data, &s); err != nil {
		return err
	}
	o.status, o.total, o.currency, o.paid, o.shipped = Status(s.Status), s.Total, s.Currency, s.Paid, s.Shipped
	return nil
}
