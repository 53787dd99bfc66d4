package app

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/examples/orders/contracts"
	"github.com/esgen/esgen/examples/orders/events"
	"github.com/esgen/esgen/examples/orders/order"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/schema"
)

// DemoClock returns a clock that starts at a fixed instant and advances one minute per
// reading, so the demo's output is the same on every run.
func DemoClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Minute)
		return t
	}
}

// Demo runs the scripted order scenario on a, then rebuilds the status projection from the
// log and prints the view and the audit log. a must be empty and use DemoClock for the output
// to be deterministic.
func Demo(ctx context.Context, a *App, w io.Writer) error {
	step := 0
	say := func(format string, args ...any) {
		step++
		fmt.Fprintf(w, "%2d. %s\n", step, fmt.Sprintf(format, args...))
	}
	book := []order.Line{{SKU: "book-ddia", Quantity: 2, UnitPriceCents: 3950}}
	lamp := []order.Line{{SKU: "lamp", Quantity: 1, UnitPriceCents: 4900}, {SKU: "bulb", Quantity: 3, UnitPriceCents: 350}}

	// 1. An order from before PaymentProcessed v2: its payment is stored as a v1 payload.
	if err := seedV1Order(ctx, a, "A-1000"); err != nil {
		return fmt.Errorf("seed v1 order: %w", err)
	}
	say("A-1000 is an old order whose payment was stored with PaymentProcessed v1 (no payment method)")

	// 2-4. An order placed and paid; the payment is retried with the same key.
	if _, err := a.Orders.Create(ctx, "k-create-1001", "A-1001", "ada", book, "EUR"); err != nil {
		return err
	}
	say("A-1001 placed by ada: 2 x book-ddia, 79.00 EUR")
	if _, err := a.Orders.Pay(ctx, "k-pay-1001", "A-1001", "psp-7781", 7900, events.PaymentMethodCard); err != nil {
		return err
	}
	say("A-1001 paid 79.00 EUR by card (Idempotency-Key k-pay-1001)")
	if _, err := a.Orders.Pay(ctx, "k-pay-1001", "A-1001", "psp-7781", 7900, events.PaymentMethodCard); err != nil {
		return fmt.Errorf("retried payment: %w", err)
	}
	payments, err := countEvents(ctx, a.Store, events.OrderStreamID("A-1001"), events.PaymentProcessedType)
	if err != nil {
		return err
	}
	say("A-1001 payment retried with the same key after a lost reply: accepted, payments recorded: %d", payments)

	// 5-6. Two writers update one order at once; one is retried through optimistic concurrency.
	if _, err := a.Orders.Create(ctx, "k-create-1002", "A-1002", "grace", lamp, "EUR"); err != nil {
		return err
	}
	say("A-1002 placed by grace: lamp and 3 bulbs, 59.50 EUR")
	attempts, err := concurrentUpdates(ctx, a)
	if err != nil {
		return err
	}
	say("A-1002 paid by wallet while a cancellation was being decided: the cancellation hit a version conflict and was decided again (%d attempts)", attempts)

	// 7-8. Shipping, and a cancellation the rules refuse.
	if _, err := a.Orders.Ship(ctx, "k-ship-1001", "A-1001", "DHL", "JD0142"); err != nil {
		return err
	}
	say("A-1001 shipped with DHL")
	_, err = a.Orders.Cancel(ctx, "k-cancel-1001", "A-1001", "too slow")
	if !errors.Is(err, order.ErrAlreadyShipped) {
		return fmt.Errorf("cancelling a shipped order: got %v, want a refusal", err)
	}
	say("A-1001 cancellation refused: %v", err)

	// 9. An order still waiting for its payment.
	if _, err := a.Orders.Create(ctx, "k-create-1003", "A-1003", "linus", book[:1], "EUR"); err != nil {
		return err
	}
	say("A-1003 placed by linus, not paid yet")

	// 10. Projections catch up, then order_status is rebuilt from the whole log and swapped in.
	if err := a.CatchUp(ctx); err != nil {
		return err
	}
	status := a.Projections[0]
	var replayed int64
	v, err := status.Rebuild(ctx, func(p projection.Progress) { replayed = p.Done })
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	say("order_status rebuilt from the log: %d events replayed into version %d, swapped in", replayed, v)

	fmt.Fprintln(w)
	return PrintViews(ctx, a, w)
}

// PrintViews prints order_status and audit_log as tables.
func PrintViews(ctx context.Context, a *App, w io.Writer) error {
	orders, err := a.OrdersView(ctx, "")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "order_status")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tCUSTOMER\tSTATUS\tTOTAL\tPAID BY\tCARRIER\tNOTE\tVERSION")
	for _, o := range orders {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", o.OrderID, o.CustomerID, o.Status,
			money(o.TotalCents, o.Currency), dash(o.PaymentMethod), dash(o.Carrier), dash(o.Note), o.Version)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	audit, err := a.AuditLog(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "audit_log")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSTREAM\tVERSION\tTYPE\tEVENT ID\tOUTCOME")
	for i, e := range audit {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", i+1, e.StreamID, e.StreamVersion, e.EventType, e.EventID[:8], e.Outcome)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func money(cents int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", cents/100, cents%100, currency)
}

// concurrentUpdates interleaves two writers on A-1002 deterministically: a cancellation loads
// the order, and before it saves, a payment commits. The cancellation's save then conflicts,
// Update reloads the now paid order and decides again. It returns the cancellation's attempts.
func concurrentUpdates(ctx context.Context, a *App) (int, error) {
	attempts := 0
	_, err := a.Orders.Decide(ctx, "cancel", "k-cancel-1002", "A-1002", func(o *order.Order) error {
		attempts++
		if attempts == 1 {
			// The other writer, on another goroutine, commits while this decision is open.
			errc := make(chan error, 1)
			go func() {
				_, err := a.Orders.Pay(ctx, "k-pay-1002", "A-1002", "psp-9120", 5950, events.PaymentMethodWallet)
				errc <- err
			}()
			if err := <-errc; err != nil {
				return fmt.Errorf("concurrent payment: %w", err)
			}
		}
		return o.Cancel("customer asked, refund issued", a.Orders.Now())
	})
	return attempts, err
}

func countEvents(ctx context.Context, s eventstore.Store, stream, typ string) (int, error) {
	n := 0
	for e, err := range s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}) {
		if err != nil {
			return 0, err
		}
		if e.Type == typ {
			n++
		}
	}
	return n, nil
}

// seedV1Order writes an order whose PaymentProcessed payload uses schema v1, as a service
// deployed before v2 wrote it: today's code must still read it (method defaults to CARD).
func seedV1Order(ctx context.Context, a *App, id string) error {
	if _, err := a.Orders.Create(ctx, "k-create-"+id, id, "margaret", []order.Line{{SKU: "mug", Quantity: 4, UnitPriceCents: 1200}}, "EUR"); err != nil {
		return err
	}
	raw, err := contracts.FS.ReadFile("PaymentProcessed/v1.avsc")
	if err != nil {
		return err
	}
	v1, err := schema.ParseSchema("PaymentProcessed/v1.avsc", raw)
	if err != nil {
		return err
	}
	body, err := avro.Marshal(v1, map[string]any{
		"order_id": id, "payment_id": "psp-0001", "amount_cents": int64(4800), "currency": "EUR",
		"paid_at": a.Orders.Now(),
	})
	if err != nil {
		return err
	}
	fp := schema.Fingerprint(v1)
	payload := append([]byte{0xC3, 0x01}, binary.LittleEndian.AppendUint64(nil, fp)...)
	payload = append(payload, body...)
	_, err = a.Store.Append(ctx, events.OrderStreamID(id), eventstore.Exactly(1), eventstore.EventData{
		ID:   uuid.NewSHA1(uuid.NameSpaceURL, []byte("esgen-demo/"+id+"/payment")),
		Type: events.PaymentProcessedType, Data: payload,
		Metadata: eventstore.Metadata{SchemaFingerprint: fp, CorrelationID: "seed-" + id},
	})
	return err
}
