package eventstore

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them with detail; callers match them with errors.Is.
var (
	// ErrWrongExpectedVersion is matched by every [*VersionConflictError]: the stream's
	// version differed from the expected version given to an append or delete.
	ErrWrongExpectedVersion = errors.New("eventstore: wrong expected version")

	// ErrStreamNotFound means the stream has no events, or was soft-deleted.
	ErrStreamNotFound = errors.New("eventstore: stream not found")

	// ErrStreamDeleted means the stream was tombstoned: it can never be read or written again.
	ErrStreamDeleted = errors.New("eventstore: stream tombstoned")

	// ErrDuplicateEventID means an event ID in an append was already used for a different
	// event, or only some of an append's IDs were already committed. Nothing was written.
	ErrDuplicateEventID = errors.New("eventstore: event ID already used for a different event")

	// ErrInvalidInput is matched by every [*InputError]: the request was malformed and nothing
	// was written.
	ErrInvalidInput = errors.New("eventstore: invalid input")

	// ErrClosed means the store was closed.
	ErrClosed = errors.New("eventstore: store closed")
)

// VersionConflictError reports an expected-version mismatch. It matches
// [ErrWrongExpectedVersion] with errors.Is.
type VersionConflictError struct {
	// StreamID is the stream that was written.
	StreamID string
	// Expected is what the caller expected.
	Expected ExpectedVersion
	// Actual is the stream's version when the append was checked (0 for a stream with no
	// events).
	Actual uint64
	// Exists reports whether the stream existed (had events and was not deleted).
	Exists bool
}

// Error implements error.
func (e *VersionConflictError) Error() string {
	state := fmt.Sprintf("at version %d", e.Actual)
	if !e.Exists {
		if e.Actual == 0 {
			state = "does not exist"
		} else {
			state = fmt.Sprintf("is deleted (last version %d)", e.Actual)
		}
	}
	return fmt.Sprintf("eventstore: wrong expected version for stream %q: expected %s, but the stream %s; reload the stream and retry the decision",
		e.StreamID, e.Expected, state)
}

// Is reports whether target is [ErrWrongExpectedVersion].
func (e *VersionConflictError) Is(target error) bool { return target == ErrWrongExpectedVersion }

// InputError reports a malformed request. It matches [ErrInvalidInput] with errors.Is.
type InputError struct {
	// Field names what was wrong, e.g. "stream ID" or "events[2].Type".
	Field string
	// Problem says what was wrong with it and what to do.
	Problem string
}

// Error implements error.
func (e *InputError) Error() string {
	return "eventstore: invalid " + e.Field + ": " + e.Problem
}

// Is reports whether target is [ErrInvalidInput].
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

// DuplicateEventError details an [ErrDuplicateEventID] failure.
type DuplicateEventError struct {
	// EventID is the reused ID.
	EventID string
	// StreamID is the stream the append targeted.
	StreamID string
	// Reason says how the committed event differs from the appended one.
	Reason string
}

// Error implements error.
func (e *DuplicateEventError) Error() string {
	return fmt.Sprintf("eventstore: event ID %s in append to stream %q: %s; give each new event a fresh ID (leave ID zero to get a UUIDv7)",
		e.EventID, e.StreamID, e.Reason)
}

// Is reports whether target is [ErrDuplicateEventID].
func (e *DuplicateEventError) Is(target error) bool { return target == ErrDuplicateEventID }
