// Package testdomain is a small order domain for the aggregate packages' tests. Its events,
// codec and aggregate plumbing are written by hand in exactly the shape esgen generate
// writes (see the Order* declarations), with a JSON codec in place of Avro; [Order] is what a
// user would write on top.
package testdomain

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/eventstore"
)

// Event type names.
const (
	OrderCreatedType     = "orders.OrderCreated"
	ItemAddedType        = "orders.ItemAdded"
	PaymentProcessedType = "orders.PaymentProcessed"
)

// OrderCreated starts an order.
type OrderCreated struct {
	Customer string `json:"customer"`
}

// EventType implements eventstore.Message.
func (*OrderCreated) EventType() string { return OrderCreatedType }

// ItemAdded adds an item line.
type ItemAdded struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// EventType implements eventstore.Message.
func (*ItemAdded) EventType() string { return ItemAddedType }

// PaymentProcessed pays the order.
type PaymentProcessed struct {
	Amount int64 `json:"amount"`
}

// EventType implements eventstore.Message.
func (*PaymentProcessed) EventType() string { return PaymentProcessedType }

// Codec is a JSON codec for the events above (generated codecs use Avro).
type Codec struct{}

// NewCodec returns a codec.
func NewCodec() *Codec { return &Codec{} }

// Marshal implements eventstore.Codec.
func (*Codec) Marshal(m eventstore.Message) ([]byte, uint64, error) {
	switch m.(type) {
	case *OrderCreated, *ItemAdded, *PaymentProcessed:
	default:
		return nil, 0, fmt.Errorf("testdomain: cannot encode %T", m)
	}
	b, err := json.Marshal(m)
	return b, 0, err
}

// Unmarshal implements eventstore.Codec.
func (*Codec) Unmarshal(eventType string, data []byte) (eventstore.Message, error) {
	var m eventstore.Message
	switch eventType {
	case OrderCreatedType:
		m = new(OrderCreated)
	case ItemAddedType:
		m = new(ItemAdded)
	case PaymentProcessedType:
		m = new(PaymentProcessed)
	default:
		return nil, fmt.Errorf("testdomain: unknown event type %q", eventType)
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, err
	}
	return m, nil
}

// OrderApplier has one method per event of the Order aggregate.
type OrderApplier interface {
	ApplyOrderCreated(e *OrderCreated)
	ApplyItemAdded(e *ItemAdded)
	ApplyPaymentProcessed(e *PaymentProcessed)
}

// OrderBase is embedded in the user's Order.
type OrderBase struct{ aggregate.Base }

// RecordOrderCreated records an OrderCreated event.
func (b *OrderBase) RecordOrderCreated(e *OrderCreated) error { return b.Record(e) }

// RecordItemAdded records an ItemAdded event.
func (b *OrderBase) RecordItemAdded(e *ItemAdded) error { return b.Record(e) }

// RecordPaymentProcessed records a PaymentProcessed event.
func (b *OrderBase) RecordPaymentProcessed(e *PaymentProcessed) error { return b.Record(e) }

// ApplyOrder dispatches m to a's Apply method.
func ApplyOrder(a OrderApplier, m eventstore.Message) error {
	switch e := m.(type) {
	case *OrderCreated:
		a.ApplyOrderCreated(e)
	case *ItemAdded:
		a.ApplyItemAdded(e)
	case *PaymentProcessed:
		a.ApplyPaymentProcessed(e)
	default:
		return fmt.Errorf("orders: aggregate Order does not accept event %s (%T)", m.EventType(), m)
	}
	return nil
}

// OrderStreamID maps an order ID to its stream.
func OrderStreamID(id string) string { return "order-" + id }

// OrderRoot is what the user's aggregate pointer type satisfies.
type OrderRoot interface {
	aggregate.Root
	OrderApplier
}

// OrderType describes the Order aggregate to a repository.
func OrderType[T OrderRoot](codec *Codec, newFn func() T) aggregate.Type[T] {
	return aggregate.Type[T]{
		Name:       "Order",
		StreamID:   OrderStreamID,
		New:        newFn,
		Apply:      func(agg T, m eventstore.Message) error { return ApplyOrder(agg, m) },
		Codec:      codec,
		EventTypes: []string{OrderCreatedType, ItemAddedType, PaymentProcessedType},
	}
}

// Domain errors.
var (
	ErrAlreadyPaid = errors.New("order already paid")
	ErrNotCreated  = errors.New("order not created")
	ErrBadQuantity = errors.New("quantity must be positive")
)

// Order is the user's aggregate.
type Order struct {
	OrderBase
	Customer string         `json:"customer"`
	Items    map[string]int `json:"items"`
	Lines    int            `json:"lines"`
	Paid     int64          `json:"paid"`

	// SchemaVersion is what SnapshotVersion reports (1 unless a test changes it).
	SchemaVersion int `json:"-"`
}

// NewOrder returns an empty order whose snapshots have schema version 1.
func NewOrder() *Order { return &Order{SchemaVersion: 1} }

// Type is the Order aggregate type with a fresh codec.
func Type() aggregate.Type[*Order] { return OrderType(NewCodec(), NewOrder) }

// ApplyOrderCreated implements OrderApplier.
func (o *Order) ApplyOrderCreated(e *OrderCreated) {
	o.Customer = e.Customer
	o.Items = map[string]int{}
}

// ApplyItemAdded implements OrderApplier.
func (o *Order) ApplyItemAdded(e *ItemAdded) {
	if o.Items == nil {
		o.Items = map[string]int{}
	}
	o.Items[e.SKU] += e.Qty
	o.Lines++
}

// ApplyPaymentProcessed implements OrderApplier.
func (o *Order) ApplyPaymentProcessed(e *PaymentProcessed) { o.Paid += e.Amount }

// Create decides to create the order.
func (o *Order) Create(customer string) error {
	return o.RecordOrderCreated(&OrderCreated{Customer: customer})
}

// AddItem decides to add an item.
func (o *Order) AddItem(sku string, qty int) error {
	switch {
	case o.Items == nil:
		return ErrNotCreated
	case o.Paid > 0:
		return ErrAlreadyPaid
	case qty <= 0:
		return fmt.Errorf("add %s: %w (got %d)", sku, ErrBadQuantity, qty)
	}
	return o.RecordItemAdded(&ItemAdded{SKU: sku, Qty: qty})
}

// Pay decides to pay.
func (o *Order) Pay(amount int64) error {
	if o.Paid > 0 {
		return ErrAlreadyPaid
	}
	return o.RecordPaymentProcessed(&PaymentProcessed{Amount: amount})
}

// SnapshotVersion implements aggregate.Snapshotter.
func (o *Order) SnapshotVersion() int { return o.SchemaVersion }

// MarshalSnapshot implements aggregate.Snapshotter.
func (o *Order) MarshalSnapshot() ([]byte, error) { return json.Marshal(o) }

// UnmarshalSnapshot implements aggregate.Snapshotter.
func (o *Order) UnmarshalSnapshot(data []byte) error { return json.Unmarshal(data, o) }
