package aggregate_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/examples/orders/events"
)

// This file drives the repository with code written by esgen generate (the example's
// events package: Avro codec, OrderBase, OrderType), and an Avro snapshot codec.

const orderStateSchema = `{"type":"record","name":"OrderState","namespace":"test.snapshot","fields":[
	{"name":"customer","type":"string"},
	{"name":"total","type":"long"},
	{"name":"paid","type":"boolean","default":false}]}`

type orderState struct {
	Customer string `avro:"customer"`
	Total    int64  `avro:"total"`
	Paid     bool   `avro:"paid"`
}

var errPaid = errors.New("already paid")

type genOrder struct {
	events.OrderBase
	state orderState
	snap  *aggregate.AvroSnapshotCodec[orderState]
}

func (o *genOrder) ApplyOrderCreated(e *events.OrderCreated) {
	o.state.Customer, o.state.Total = e.CustomerID, e.TotalCents
}
func (o *genOrder) ApplyPaymentProcessed(*events.PaymentProcessed) { o.state.Paid = true }
func (o *genOrder) ApplyItemShipped(*events.ItemShipped)           {}
func (o *genOrder) ApplyOrderCancelled(*events.OrderCancelled)     {}
func (o *genOrder) SnapshotVersion() int                           { return o.snap.Version() }
func (o *genOrder) MarshalSnapshot() ([]byte, error)               { return o.snap.Marshal(&o.state) }
func (o *genOrder) UnmarshalSnapshot(b []byte) error               { return o.snap.Unmarshal(b, &o.state) }

func (o *genOrder) pay(id string) error {
	if o.state.Paid {
		return errPaid
	}
	return o.RecordPaymentProcessed(&events.PaymentProcessed{OrderID: o.ID(), PaymentID: id, AmountCents: o.state.Total,
		Currency: "EUR", PaidAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Method: events.PaymentMethodCard})
}

func TestRepositoryWithGeneratedCode(t *testing.T) {
	t.Parallel()
	snapCodec, err := aggregate.NewAvroSnapshotCodec[orderState](1, orderStateSchema)
	if err != nil {
		t.Fatal(err)
	}
	codec := events.NewCodec()
	store := memory.New()
	snaps := aggregate.NewMemorySnapshotStore()
	repo := aggregate.NewRepository(store, events.OrderType(codec, func() *genOrder { return &genOrder{snap: snapCodec} }),
		aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(1)))
	if err := repo.Err(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_, err = repo.Create(ctx, "o1", func(o *genOrder) error {
		return o.RecordOrderCreated(&events.OrderCreated{OrderID: "o1", CustomerID: "ada", TotalCents: 3000, Currency: "EUR",
			Lines: []events.OrderLine{{SKU: "book", Quantity: 2, UnitPriceCents: 1500}}, CreatedAt: time.Unix(0, 0).UTC()})
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := aggregate.WithCommandID(ctx, "pay-o1")
	for range 2 {
		o, err := repo.Update(cmd, "o1", func(o *genOrder) error { return o.pay("p1") })
		if err != nil || !o.state.Paid || o.Version() != 2 {
			t.Fatalf("pay: %+v at %d, %v", o.state, o.Version(), err)
		}
	}
	s, ok, err := snaps.Get(ctx, events.OrderStreamID("o1"), "Order")
	if err != nil || !ok || s.StreamVersion != 2 {
		t.Fatalf("snapshot: %+v, %v, %v", s, ok, err)
	}
	o, err := repo.Load(ctx, "o1") // from the Avro snapshot
	if err != nil || o.state != (orderState{Customer: "ada", Total: 3000, Paid: true}) {
		t.Fatalf("load: %+v, %v", o.state, err)
	}
	var n int
	for e, err := range store.ReadStream(ctx, events.OrderStreamID("o1"), eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Metadata.SchemaFingerprint == 0 {
			t.Errorf("event %d has no schema fingerprint", e.Version)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d events, want 2", n)
	}
	if _, err := repo.Update(ctx, "o1", func(o *genOrder) error { return o.pay("p2") }); !errors.Is(err, errPaid) {
		t.Fatalf("second payment: %v, want errPaid", err)
	}
}

// TestConcurrentCreates checks that of many concurrent creates of one aggregate exactly one
// wins and the others get ErrAlreadyExists.
func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	snapCodec, _ := aggregate.NewAvroSnapshotCodec[orderState](1, orderStateSchema)
	repo := aggregate.NewRepository(memory.New(), events.OrderType(events.NewCodec(), func() *genOrder { return &genOrder{snap: snapCodec} }))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, exists := 0, 0
	for range 8 {
		wg.Go(func() {
			_, err := repo.Create(t.Context(), "o1", func(o *genOrder) error {
				return o.RecordOrderCreated(&events.OrderCreated{OrderID: "o1", CustomerID: "c", Currency: "EUR", CreatedAt: time.Unix(0, 0).UTC()})
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, aggregate.ErrAlreadyExists):
				exists++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || exists != 7 {
		t.Fatalf("%d creates won and %d found it existing; want 1 and 7", wins, exists)
	}
}
