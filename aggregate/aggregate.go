package aggregate

import (
	"errors"
	"fmt"

	"github.com/esgen/esgen/eventstore"
)

// Root is implemented by every aggregate through an embedded [Base] (generated aggregate bases
// embed it for you).
type Root interface {
	// AggregateBase returns the embedded bookkeeping: ID, version and recorded events.
	AggregateBase() *Base
}

// Type describes an aggregate type to a [Repository]. esgen generate writes one constructor
// per aggregate declared in esgen.yaml; T is a pointer type such as *Order.
type Type[T Root] struct {
	// Name is the aggregate's name, e.g. "Order".
	Name string
	// StreamID maps an aggregate ID to its stream ID, e.g. "order-" + id.
	StreamID func(id string) string
	// New returns a new, empty aggregate.
	New func() T
	// Apply applies one typed event to the aggregate's state (a generated type switch).
	Apply func(agg T, m eventstore.Message) error
	// Codec encodes and decodes the aggregate's events.
	Codec eventstore.Codec
	// EventTypes lists the event types the aggregate accepts.
	EventTypes []string
}

// ErrNotBound is returned by [Base.Record] on an aggregate that was not created by a
// [Repository] or [Type.Instance], so it cannot apply events to itself.
var ErrNotBound = errors.New("aggregate: aggregate not created through its Type; use Repository.Load/Create or Type.Instance")

// Base is the bookkeeping every aggregate embeds: its ID, the stream version it was loaded
// at, and the events recorded since.
type Base struct {
	id      string
	version uint64
	pending []eventstore.Message
	apply   func(eventstore.Message) error

	// snapshotAt is the stream version of the snapshot the aggregate was loaded from or
	// last snapshotted at (0: none), for snapshot policies.
	snapshotAt uint64
	// commandSaved counts the events saved through this instance under a command ID, so a
	// command that saves twice gives its later events the next deterministic IDs.
	commandSaved int
}

// AggregateBase implements [Root].
func (b *Base) AggregateBase() *Base { return b }

// ID returns the aggregate's ID.
func (b *Base) ID() string { return b.id }

// Version returns the version of the aggregate's stream as last loaded or saved; recorded,
// unsaved events are not counted.
func (b *Base) Version() uint64 { return b.version }

// Pending returns the events recorded since the aggregate was loaded or saved.
func (b *Base) Pending() []eventstore.Message { return b.pending }

// Record applies m to the aggregate's state and queues it to be saved. Generated aggregate
// bases offer typed Record<Event> helpers that call it.
func (b *Base) Record(m eventstore.Message) error {
	if b.apply == nil {
		return ErrNotBound
	}
	if err := b.apply(m); err != nil {
		return fmt.Errorf("aggregate: record %s: %w", m.EventType(), err)
	}
	b.pending = append(b.pending, m)
	return nil
}

// Instance returns a new aggregate with the given ID, bound so that Record applies events.
func (t Type[T]) Instance(id string) T {
	agg := t.New()
	b := agg.AggregateBase()
	b.id = id
	b.version = 0
	b.pending = nil
	b.snapshotAt = 0
	b.commandSaved = 0
	b.apply = func(m eventstore.Message) error { return t.Apply(agg, m) }
	return agg
}

// Rehydrate returns the aggregate with the given ID after applying history, as if loaded
// from a stream holding those events: its version is len(history) and nothing is pending.
// Test helpers use it to set up the "given" state; repositories load from stores instead.
func (t Type[T]) Rehydrate(id string, history ...eventstore.Message) (T, error) {
	agg := t.Instance(id)
	for i, m := range history {
		if m == nil {
			var zero T
			return zero, fmt.Errorf("aggregate: rehydrate %s %q: event %d is nil", t.Name, id, i+1)
		}
		if err := t.Apply(agg, m); err != nil {
			var zero T
			return zero, fmt.Errorf("aggregate: rehydrate %s %q: apply event %d (%s): %w", t.Name, id, i+1, m.EventType(), err)
		}
	}
	agg.AggregateBase().version = uint64(len(history))
	return agg, nil
}
