package order

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/examples/orders/events"
)

// Service runs the order commands. Every command takes an idempotency key (an HTTP
// Idempotency-Key, say): the events it records get IDs derived from the key, so a retry of a
// command that already committed records nothing and answers as the first attempt would
// have. Keys are scoped by command, so reusing a key for a different command cannot
// suppress it.
type Service struct {
	repo *aggregate.Repository[*Order]
	now  func() time.Time
}

// NewService returns the order service over a repository; now is the clock stamped on new
// events (time.Now in production, a fixed sequence in the demo).
func NewService(repo *aggregate.Repository[*Order], now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{repo: repo, now: now}
}

// NewRepository returns the Order repository on a store.
func NewRepository(store eventstore.Store, codec *events.Codec, opts ...aggregate.Option) *aggregate.Repository[*Order] {
	return aggregate.NewRepository(store, events.OrderType(codec, New), opts...)
}

// ErrNoKey is returned when a command has no idempotency key.
var ErrNoKey = errors.New("order: an idempotency key is required, so that retries never act twice")

func (s *Service) command(ctx context.Context, name, key string) (context.Context, error) {
	if key == "" {
		return nil, ErrNoKey
	}
	return aggregate.WithCommandID(ctx, name+":"+key), nil
}

// Create places a new order with the given ID.
func (s *Service) Create(ctx context.Context, key, orderID, customerID string, lines []Line, currency string) (*Order, error) {
	ctx, err := s.command(ctx, "create", key)
	if err != nil {
		return nil, err
	}
	if err := checkOrderID(orderID); err != nil {
		return nil, err
	}
	return s.repo.Create(ctx, orderID, func(o *Order) error { return o.Create(customerID, lines, currency, s.now()) })
}

// Pay records the payment of an order. Retried with the same key, it charges once.
func (s *Service) Pay(ctx context.Context, key, orderID, paymentID string, amountCents int64, method events.PaymentMethod) (*Order, error) {
	ctx, err := s.command(ctx, "pay", key)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, orderID, func(o *Order) error { return o.Pay(paymentID, amountCents, method, s.now()) })
}

// Ship records the shipment of an order.
func (s *Service) Ship(ctx context.Context, key, orderID, carrier, tracking string) (*Order, error) {
	ctx, err := s.command(ctx, "ship", key)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, orderID, func(o *Order) error { return o.Ship(carrier, tracking, s.now()) })
}

// Cancel cancels an order.
func (s *Service) Cancel(ctx context.Context, key, orderID, reason string) (*Order, error) {
	ctx, err := s.command(ctx, "cancel", key)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, orderID, func(o *Order) error { return o.Cancel(reason, s.now()) })
}

// Update runs any decision on an order with optimistic concurrency and retries.
func (s *Service) update(ctx context.Context, orderID string, decide func(*Order) error) (*Order, error) {
	if err := checkOrderID(orderID); err != nil {
		return nil, err
	}
	o, err := s.repo.Update(ctx, orderID, decide)
	if errors.Is(err, aggregate.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotCreated, orderID)
	}
	return o, err
}

// Decide runs decide on an order under an idempotency key, like the named commands; the demo
// uses it to interleave two writers deterministically.
func (s *Service) Decide(ctx context.Context, name, key, orderID string, decide func(*Order) error) (*Order, error) {
	ctx, err := s.command(ctx, name, key)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, orderID, decide)
}

// Now returns the service clock's time, for decisions passed to Decide.
func (s *Service) Now() time.Time { return s.now() }

// maxOrderIDLength is the longest order ID: the stream ID "order-<id>" must fit the store's
// limit.
func maxOrderIDLength() int { return eventstore.MaxStreamIDLength - len(events.OrderStreamID("")) }

func checkOrderID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return fmt.Errorf("%w: order_id is empty", ErrInvalid)
	case len(id) > maxOrderIDLength():
		return fmt.Errorf("%w: order_id is %d bytes long, the limit is %d", ErrInvalid, len(id), maxOrderIDLength())
	}
	return text("order_id", id)
}
