package eventstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// EventData is an event to append.
type EventData struct {
	// ID identifies the event for idempotency. Leave it zero to get a new UUIDv7. Give the
	// same ID when retrying an append whose result was lost: the store then recognises the
	// retry and writes nothing twice.
	ID uuid.UUID
	// Type names the event, e.g. "orders.OrderCreated". Required.
	Type string
	// Data is the encoded payload (for generated code, Avro single-object encoding).
	Data []byte
	// Metadata travels with the event.
	Metadata Metadata
}

// Metadata is what travels with an event besides its payload.
type Metadata struct {
	// CorrelationID ties together every event caused by one original request.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CausationID is the ID of the command or event that caused this one.
	CausationID string `json:"causation_id,omitempty"`
	// TraceParent is the W3C trace context "traceparent" of the span that appended the event.
	TraceParent string `json:"traceparent,omitempty"`
	// TraceState is the W3C "tracestate" companion of TraceParent.
	TraceState string `json:"tracestate,omitempty"`
	// SchemaFingerprint identifies the writer schema of Data (CRC-64-AVRO for Avro payloads),
	// or 0 when the payload is not schema-encoded.
	SchemaFingerprint uint64 `json:"schema_fingerprint,omitempty,string"`
	// Headers are free-form user headers.
	Headers map[string]string `json:"headers,omitempty"`
}

// IsZero reports whether m carries nothing.
func (m Metadata) IsZero() bool {
	return m.CorrelationID == "" && m.CausationID == "" && m.TraceParent == "" &&
		m.TraceState == "" && m.SchemaFingerprint == 0 && len(m.Headers) == 0
}

// MarshalMetadata encodes m as the JSON object every backend stores. An empty Metadata
// encodes as "{}".
func MarshalMetadata(m Metadata) ([]byte, error) {
	return json.Marshal(m)
}

// UnmarshalMetadata decodes what [MarshalMetadata] wrote. Empty input gives empty Metadata.
func UnmarshalMetadata(b []byte) (Metadata, error) {
	var m Metadata
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Metadata{}, fmt.Errorf("eventstore: decode metadata: %w", err)
	}
	return m, nil
}

// Event is a committed event as read back from a store.
type Event struct {
	// ID is the event's ID.
	ID uuid.UUID
	// StreamID is the stream the event belongs to.
	StreamID string
	// Version is the event's number in its stream, from 1.
	Version uint64
	// Position is the event's place in the global log.
	Position Position
	// Type names the event.
	Type string
	// Data is the payload as appended.
	Data []byte
	// Metadata is the metadata as appended.
	Metadata Metadata
	// RecordedAt is when the store recorded the event (the server's clock, UTC).
	RecordedAt time.Time
}

// AppendResult describes a committed append.
type AppendResult struct {
	// StreamID is the stream appended to.
	StreamID string
	// FirstVersion and LastVersion are the versions of the first and last appended events;
	// LastVersion is the stream's new version, the expected version for the next append.
	FirstVersion, LastVersion uint64
	// Position is the global position of the last appended event.
	Position Position
	// EventIDs are the appended events' IDs, in order, including generated ones.
	EventIDs []uuid.UUID
	// Duplicate is true when every event had already been committed by an earlier append
	// with the same IDs: the result is that earlier append's and nothing was written.
	Duplicate bool
}

// StreamState is the lifecycle state of a stream.
type StreamState uint8

// Stream states.
const (
	// StreamAbsent: no event was ever appended.
	StreamAbsent StreamState = iota
	// StreamActive: the stream has events and can be read.
	StreamActive
	// StreamSoftDeleted: the stream was deleted; it reads as not found, keeps its version,
	// and appending re-creates it with versions continuing after the old ones.
	StreamSoftDeleted
	// StreamTombstoned: the stream is gone for good; reads and appends fail with
	// [ErrStreamDeleted].
	StreamTombstoned
)

// String names the state.
func (s StreamState) String() string {
	switch s {
	case StreamActive:
		return "active"
	case StreamSoftDeleted:
		return "deleted"
	case StreamTombstoned:
		return "tombstoned"
	default:
		return "absent"
	}
}

// StreamInfo describes a stream.
type StreamInfo struct {
	// StreamID is the stream.
	StreamID string
	// Version is the stream's version: the number of events ever appended to it (kept
	// across soft deletes).
	Version uint64
	// State is the stream's lifecycle state.
	State StreamState
}
