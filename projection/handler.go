package projection

import (
	"context"

	"github.com/esgen/esgen/eventstore"
)

// Handler applies events to a read model. Tx is what the read model is written through: a
// pgx.Tx for PostgreSQL read models, a *sql.Tx for SQLite ones, or a type of the user's
// choosing for in-memory and external sinks. The runner calls Handle with the transaction in
// which it also advances the projection's checkpoint, so that writes made through tx and the
// checkpoint commit together. esgen generate writes an adapter from a typed handler interface
// (one method per event) to Handler.
type Handler[Tx any] interface {
	// Name is the projection's name, the key of its checkpoint, e.g. "order_status".
	Name() string
	// EventTypes lists the event types the projection handles; other events are skipped
	// (and filtered out by the store where it can).
	EventTypes() []string
	// Handle applies one event. The event's ID and Position are available for idempotent
	// upserts into sinks outside the transaction.
	Handle(ctx context.Context, tx Tx, e *eventstore.Event) error
}
