package eventstore

import (
	"fmt"
)

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// ExpectedVersion is the optimistic-concurrency condition of an append or delete. The zero
// value is [Any].
type ExpectedVersion struct {
	kind    expectKind
	version uint64
}

var (
	// Any accepts the stream in any state (but a tombstoned stream still fails).
	Any = ExpectedVersion{kind: expectAny}
	// NoStream requires that the stream has no events (never written, or soft-deleted).
	NoStream = ExpectedVersion{kind: expectNoStream}
	// StreamExists requires that the stream has at least one event and is not deleted.
	StreamExists = ExpectedVersion{kind: expectStreamExists}
)

// Exactly requires that the stream's version (its number of events) is n. Exactly(0) is the
// same as [NoStream].
func Exactly(n uint64) ExpectedVersion {
	if n == 0 {
		return NoStream
	}
	return ExpectedVersion{kind: expectExact, version: n}
}

// IsAny reports whether e is [Any].
func (e ExpectedVersion) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e is [NoStream] (or Exactly(0)).
func (e ExpectedVersion) IsNoStream() bool { return e.kind == expectNoStream }

// IsStreamExists reports whether e is [StreamExists].
func (e ExpectedVersion) IsStreamExists() bool { return e.kind == expectStreamExists }

// Exact returns the version required by [Exactly] and true, or 0 and false for the other kinds.
func (e ExpectedVersion) Exact() (uint64, bool) {
	return e.version, e.kind == expectExact
}

// Check reports whether a stream whose current version is actual (exists reports whether it
// has live events: written and not soft-deleted) satisfies e. It returns a
// [*VersionConflictError] when it does not. Backends call it inside their write transaction.
func (e ExpectedVersion) Check(streamID string, actual uint64, exists bool) error {
	ok := false
	switch e.kind {
	case expectAny:
		ok = true
	case expectNoStream:
		ok = !exists
	case expectStreamExists:
		ok = exists
	case expectExact:
		ok = exists && actual == e.version
	}
	if ok {
		return nil
	}
	return &VersionConflictError{StreamID: streamID, Expected: e, Actual: actual, Exists: exists}
}

// String renders e for messages: "any", "no stream", "stream exists" or "version N".
func (e ExpectedVersion) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("version %d", e.version)
	default:
		return "any"
	}
}
