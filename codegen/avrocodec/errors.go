package avrocodec

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrMalformed means a payload is not a well-formed single-object encoding of an event:
	// too short, a wrong marker, a body that does not decode, or trailing bytes.
	ErrMalformed = errors.New("malformed payload")
	// ErrUnknownFingerprint means a payload names a writer schema that no published
	// version of any event in the codec has.
	ErrUnknownFingerprint = errors.New("unknown schema fingerprint")
	// ErrWrongEventType means a payload's writer schema belongs to another event type than
	// the one the caller asked for.
	ErrWrongEventType = errors.New("payload belongs to another event type")
	// ErrUnknownEventType means the codec has no event of the given type.
	ErrUnknownEventType = errors.New("unknown event type")
	// ErrIncompatible means a published version cannot be resolved into today's schema.
	ErrIncompatible = errors.New("incompatible schema versions")
	// ErrInvalidEvent means a typed event cannot be encoded with its schema (an invalid
	// enum symbol, a nil required field, an empty union).
	ErrInvalidEvent = errors.New("invalid event")
)

// FingerprintError reports a payload whose writer schema the codec does not know or that
// belongs to another event type.
type FingerprintError struct {
	EventType   string // the event type the caller asked for
	Fingerprint uint64 // the payload's writer fingerprint
	Found       string // the event type the fingerprint belongs to; empty when unknown
}

// Error says what was expected, what was found and what to do.
func (e *FingerprintError) Error() string {
	if e.Found == "" {
		return fmt.Sprintf("decode %s: writer schema fingerprint %#016x is not a published version of any event in this codec; regenerate the code from the contracts that wrote it (esgen generate)", e.EventType, e.Fingerprint)
	}
	return fmt.Sprintf("decode %s: payload was written with a schema of %s (fingerprint %#016x); the stored event type and payload disagree", e.EventType, e.Found, e.Fingerprint)
}

// Is matches ErrUnknownFingerprint or ErrWrongEventType.
func (e *FingerprintError) Is(target error) bool {
	if e.Found == "" {
		return target == ErrUnknownFingerprint
	}
	return target == ErrWrongEventType
}
