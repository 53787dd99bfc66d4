package projection

import (
	"errors"
	"fmt"
	"time"

	"github.com/esgen/esgen/eventstore"
)

// Sentinel errors. Targets and the runner wrap them with detail; match them with errors.Is.
var (
	// ErrFenced means a checkpoint update carried a lease epoch that is no longer current:
	// another instance took the lease over, and this unit's effects were rolled back.
	ErrFenced = errors.New("projection: lease epoch is no longer current (another instance took over)")

	// ErrCheckpointMoved means a checkpoint update expected a position the checkpoint no
	// longer has: someone else advanced or reset it.
	ErrCheckpointMoved = errors.New("projection: checkpoint is not at the expected position")

	// ErrNotActive means a checkpoint update required the active version, and another
	// version was swapped in by a rebuild.
	ErrNotActive = errors.New("projection: version is no longer the active one")

	// ErrLeaseHeld is matched by [*LeaseHeldError]: another owner holds an unexpired lease.
	ErrLeaseHeld = errors.New("projection: lease held by another owner")

	// ErrLeaseLost means a lease expired or was taken over before it could be renewed.
	ErrLeaseLost = errors.New("projection: lease lost")

	// ErrDeadLetterNotFound means no unresolved dead letter has the given ID (it may have
	// been replayed or discarded already).
	ErrDeadLetterNotFound = errors.New("projection: dead letter not found")

	// ErrHalted is matched by [*HaltedError]: under [Halt] a handler kept failing and the
	// runner stopped.
	ErrHalted = errors.New("projection: halted on a failing event")

	// ErrDeferredWrite means a write the handler queued (see projection/postgres
	// WithDeferredWrites) failed when the unit sent it, so which event caused it is not
	// known. The runner then applies the unit's events one per unit to find it.
	ErrDeferredWrite = errors.New("projection: a deferred handler write failed")

	// ErrInvalidConfig means a runner or rebuild option was out of range.
	ErrInvalidConfig = errors.New("projection: invalid configuration")
)

// LeaseHeldError reports that another owner holds a lease. It matches [ErrLeaseHeld].
type LeaseHeldError struct {
	// Lease is the lease as stored.
	Lease Lease
}

// Error implements error.
func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("projection: lease %q is held by %q (epoch %d) until %s; wait for it to expire or stop that instance",
		e.Lease.Key, e.Lease.Owner, e.Lease.Epoch, e.Lease.ExpiresAt.UTC().Format(time.RFC3339Nano))
}

// Is reports whether target is [ErrLeaseHeld].
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// HandlerError is a handler's failure on one event, as retried by the runner.
type HandlerError struct {
	// Projection is the projection's name.
	Projection string
	// Event is the event that failed.
	Event *eventstore.Event
	// Attempts is how many times the handler was called for it.
	Attempts int
	// Err is the handler's last error.
	Err error
}

// Error implements error.
func (e *HandlerError) Error() string {
	return fmt.Sprintf("projection %s: handler failed %d time(s) on event %s (stream %q version %d, type %s, position %s): %v",
		e.Projection, e.Attempts, e.Event.ID, e.Event.StreamID, e.Event.Version, e.Event.Type, e.Event.Position, e.Err)
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }

// HaltedError reports that the runner stopped under the [Halt] policy. It matches [ErrHalted]
// and unwraps to the [*HandlerError].
type HaltedError struct {
	// Failure is the last failure.
	Failure *HandlerError
}

// Error implements error.
func (e *HaltedError) Error() string {
	return e.Failure.Error() + "; the projection halted (policy Halt): fix the handler or the data and restart, or use the Park policy to set such events aside"
}

// Is reports whether target is [ErrHalted].
func (e *HaltedError) Is(target error) bool { return target == ErrHalted }

// Unwrap returns the handler failure.
func (e *HaltedError) Unwrap() error { return e.Failure }
