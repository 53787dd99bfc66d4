package order

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/examples/orders/events"
	"github.com/esgen/esgen/projection"
)

// DB is the little the read models need from a transaction. It is implemented over pgx.Tx
// (PostgreSQL) and *sql.Tx (SQLite) in stores.go, so both views are written once. Queries
// use $1-style placeholders, which both databases accept.
type DB interface {
	Exec(ctx context.Context, query string, args ...any) error
}

// The read models' tables. Each projection version writes its own copy (order_status_v1,
// order_status_v2, ...) so a rebuild can fill a new one while the live one serves.
const (
	StatusTable = "order_status"
	AuditTable  = "audit_log"
)

// StatusDDL creates version v of the order_status table.
func StatusDDL(v int) string {
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
	order_id       TEXT PRIMARY KEY,
	customer_id    TEXT NOT NULL,
	status         TEXT NOT NULL,
	total_cents    BIGINT NOT NULL,
	currency       TEXT NOT NULL,
	payment_method TEXT NOT NULL DEFAULT '',
	carrier        TEXT NOT NULL DEFAULT '',
	note           TEXT NOT NULL DEFAULT '',
	version        BIGINT NOT NULL,
	updated_at     TEXT NOT NULL
)`, projection.VersionedName(StatusTable, v))
}

// AuditDDL creates version v of the audit_log table.
func AuditDDL(v int) string {
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
	event_id       TEXT PRIMARY KEY,
	pos_tx         BIGINT NOT NULL,
	pos            BIGINT NOT NULL,
	stream_id      TEXT NOT NULL,
	stream_version BIGINT NOT NULL,
	event_type     TEXT NOT NULL,
	recorded_at    TEXT NOT NULL,
	outcome        TEXT NOT NULL
)`, projection.VersionedName(AuditTable, v))
}

// StatusView keeps order_status, the view customers query: one row per order with its
// current status. Its writes share the runner's transaction with the checkpoint, so each
// event changes the view exactly once.
type StatusView[Tx any] struct {
	// DB adapts the runner's transaction.
	DB func(Tx) DB
}

var _ events.OrderStatusHandler[DB] = StatusView[DB]{}

func (v StatusView[Tx]) set(ctx context.Context, tx Tx, ev *eventstore.Event, orderID string, at time.Time, assignments string, args ...any) error {
	q := fmt.Sprintf(`UPDATE %s SET %s, version = $1, updated_at = $2 WHERE order_id = $3`,
		projection.Table(ctx, StatusTable), assignments)
	return v.DB(tx).Exec(ctx, q, append([]any{int64(ev.Version), stamp(at), orderID}, args...)...)
}

// OnOrderCreated implements events.OrderStatusHandler.
func (v StatusView[Tx]) OnOrderCreated(ctx context.Context, tx Tx, e *events.OrderCreated, ev *eventstore.Event) error {
	q := fmt.Sprintf(`INSERT INTO %s (order_id, customer_id, status, total_cents, currency, version, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING`, projection.Table(ctx, StatusTable))
	return v.DB(tx).Exec(ctx, q, e.OrderID, e.CustomerID, string(StatusCreated), e.TotalCents, e.Currency, int64(ev.Version), stamp(e.CreatedAt))
}

// OnPaymentProcessed implements events.OrderStatusHandler.
func (v StatusView[Tx]) OnPaymentProcessed(ctx context.Context, tx Tx, e *events.PaymentProcessed, ev *eventstore.Event) error {
	return v.set(ctx, tx, ev, e.OrderID, e.PaidAt, `status = $4, payment_method = $5`, string(StatusPaid), string(e.Method))
}

// OnItemShipped implements events.OrderStatusHandler.
func (v StatusView[Tx]) OnItemShipped(ctx context.Context, tx Tx, e *events.ItemShipped, ev *eventstore.Event) error {
	return v.set(ctx, tx, ev, e.OrderID, e.ShippedAt, `status = $4, carrier = $5`, string(StatusShipped), e.Carrier)
}

// OnOrderCancelled implements events.OrderStatusHandler.
func (v StatusView[Tx]) OnOrderCancelled(ctx context.Context, tx Tx, e *events.OrderCancelled, ev *eventstore.Event) error {
	return v.set(ctx, tx, ev, e.OrderID, e.CancelledAt, `status = $4, note = $5`, string(StatusCancelled), e.Reason)
}

// AuditLog keeps audit_log: append-only, one row per event with what it did. The row is keyed
// by the event ID, and written in the runner's transaction with the checkpoint.
type AuditLog[Tx any] struct {
	// DB adapts the runner's transaction.
	DB func(Tx) DB
}

var _ events.AuditLogHandler[DB] = AuditLog[DB]{}

func (a AuditLog[Tx]) add(ctx context.Context, tx Tx, ev *eventstore.Event, outcome string) error {
	q := fmt.Sprintf(`INSERT INTO %s (event_id, pos_tx, pos, stream_id, stream_version, event_type, recorded_at, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`, projection.Table(ctx, AuditTable))
	return a.DB(tx).Exec(ctx, q, ev.ID.String(), int64(ev.Position.Tx), int64(ev.Position.Pos), ev.StreamID, int64(ev.Version),
		ev.Type, stamp(ev.RecordedAt), outcome)
}

// OnOrderCreated implements events.AuditLogHandler.
func (a AuditLog[Tx]) OnOrderCreated(ctx context.Context, tx Tx, e *events.OrderCreated, ev *eventstore.Event) error {
	return a.add(ctx, tx, ev, fmt.Sprintf("created for %s, %s", e.CustomerID, money(e.TotalCents, e.Currency)))
}

// OnPaymentProcessed implements events.AuditLogHandler.
func (a AuditLog[Tx]) OnPaymentProcessed(ctx context.Context, tx Tx, e *events.PaymentProcessed, ev *eventstore.Event) error {
	return a.add(ctx, tx, ev, fmt.Sprintf("paid %s by %s (%s)", money(e.AmountCents, e.Currency), e.Method, e.PaymentID))
}

// OnItemShipped implements events.AuditLogHandler.
func (a AuditLog[Tx]) OnItemShipped(ctx context.Context, tx Tx, e *events.ItemShipped, ev *eventstore.Event) error {
	return a.add(ctx, tx, ev, "shipped with "+e.Carrier)
}

// OnOrderCancelled implements events.AuditLogHandler.
func (a AuditLog[Tx]) OnOrderCancelled(ctx context.Context, tx Tx, e *events.OrderCancelled, ev *eventstore.Event) error {
	return a.add(ctx, tx, ev, "cancelled: "+e.Reason)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, strings.ToUpper(currency))
}
