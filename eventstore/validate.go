package eventstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits every backend enforces, so that data valid on one is valid on all.
const (
	// MaxStreamIDLength is the longest stream ID, in bytes.
	MaxStreamIDLength = 255
	// MaxEventTypeLength is the longest event type, in bytes.
	MaxEventTypeLength = 255
	// MaxEventSize is the largest event, in bytes of data plus encoded metadata (1 MiB).
	MaxEventSize = 1 << 20
	// MaxAppendEvents is the most events one append may carry.
	MaxAppendEvents = 10_000
)

// ValidateStreamID checks a stream ID against the rules in the package documentation.
func ValidateStreamID(id string) error {
	switch {
	case id == "":
		return &InputError{Field: "stream ID", Problem: "it is empty; give the stream a name such as \"order-42\""}
	case len(id) > MaxStreamIDLength:
		return &InputError{Field: "stream ID", Problem: fmt.Sprintf("it is %d bytes long, the limit is %d; use a shorter ID (a UUID or hash for long natural keys)", len(id), MaxStreamIDLength)}
	case !utf8.ValidString(id):
		return &InputError{Field: "stream ID", Problem: "it is not valid UTF-8"}
	case id[0] == '$':
		return &InputError{Field: "stream ID", Problem: fmt.Sprintf("%q starts with '$', which is reserved for system streams", id)}
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return &InputError{Field: "stream ID", Problem: fmt.Sprintf("%q contains the control character %U", id, r)}
		}
	}
	return nil
}

// PrepareAppend validates an append before any I/O and returns the events to write, with a
// new UUIDv7 for every event whose ID is zero, and each event's encoded metadata. Backends
// call it first in Append; it never modifies events.
func PrepareAppend(ctx context.Context, streamID string, events []EventData) ([]EventData, [][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := ValidateStreamID(streamID); err != nil {
		return nil, nil, err
	}
	if len(events) == 0 {
		return nil, nil, &InputError{Field: "events", Problem: "the append has no events; pass at least one"}
	}
	if len(events) > MaxAppendEvents {
		return nil, nil, &InputError{Field: "events", Problem: fmt.Sprintf("the append has %d events, the limit is %d; split it into several appends", len(events), MaxAppendEvents)}
	}
	out := make([]EventData, len(events))
	metas := make([][]byte, len(events))
	seen := make(map[uuid.UUID]int, len(events))
	for i, e := range events {
		field := func() string { return fmt.Sprintf("events[%d]", i) } // only on failure
		switch {
		case e.Type == "":
			return nil, nil, &InputError{Field: field() + ".Type", Problem: "the event type is empty; name the event, e.g. \"orders.OrderCreated\""}
		case len(e.Type) > MaxEventTypeLength:
			return nil, nil, &InputError{Field: field() + ".Type", Problem: fmt.Sprintf("the event type is %d bytes long, the limit is %d", len(e.Type), MaxEventTypeLength)}
		case !utf8.ValidString(e.Type):
			return nil, nil, &InputError{Field: field() + ".Type", Problem: "the event type is not valid UTF-8"}
		case strings.IndexFunc(e.Type, unicode.IsControl) >= 0:
			return nil, nil, &InputError{Field: field() + ".Type", Problem: fmt.Sprintf("the event type %q contains a control character", e.Type)}
		}
		if name, bad := badMetadataText(e.Metadata); bad {
			return nil, nil, &InputError{Field: field() + ".Metadata." + name, Problem: "it is not valid UTF-8 or contains a NUL character, which no backend can store unchanged; encode binary values (base64, hex)"}
		}
		if e.ID == uuid.Nil {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, nil, fmt.Errorf("eventstore: generate event ID: %w", err)
			}
			e.ID = id
		}
		if j, dup := seen[e.ID]; dup {
			return nil, nil, &InputError{Field: field() + ".ID", Problem: fmt.Sprintf("event ID %s is also used by events[%d] of the same append; every event needs its own ID", e.ID, j)}
		}
		seen[e.ID] = i
		meta, err := MarshalMetadata(e.Metadata)
		if err != nil {
			return nil, nil, &InputError{Field: field() + ".Metadata", Problem: err.Error()}
		}
		if size := len(e.Data) + len(meta); size > MaxEventSize {
			return nil, nil, &InputError{Field: field(), Problem: fmt.Sprintf("the event is %d bytes (data plus metadata), the limit is %d; store large payloads elsewhere and reference them", size, MaxEventSize)}
		}
		out[i] = e
		metas[i] = meta
	}
	return out, metas, nil
}

// MatchCommitted decides what an append means when some of its event IDs are already
// committed. committed holds the already committed events among batch's IDs (keyed by ID).
//
// When committed is empty, it returns ok == false and no error: the append is new. When every
// event of batch is committed, in the same stream, as consecutive versions in the same order,
// with the same type and data, the append is a retry: it returns the original result with
// Duplicate set and ok == true. Anything else is a [*DuplicateEventError].
func MatchCommitted(streamID string, batch []EventData, committed map[uuid.UUID]Event) (res AppendResult, ok bool, err error) {
	if len(committed) == 0 {
		return AppendResult{}, false, nil
	}
	var prev Event
	for i, e := range batch {
		c, found := committed[e.ID]
		switch {
		case !found:
			return AppendResult{}, false, &DuplicateEventError{EventID: firstCommitted(batch, committed).String(), StreamID: streamID,
				Reason: "only part of this append was committed before under the same IDs; an append commits whole, so this is a different request reusing IDs"}
		case c.StreamID != streamID:
			return AppendResult{}, false, &DuplicateEventError{EventID: e.ID.String(), StreamID: streamID,
				Reason: fmt.Sprintf("the ID is already used by an event of stream %q", c.StreamID)}
		case c.Type != e.Type:
			return AppendResult{}, false, &DuplicateEventError{EventID: e.ID.String(), StreamID: streamID,
				Reason: fmt.Sprintf("the committed event has type %q, the appended one %q", c.Type, e.Type)}
		case !bytes.Equal(c.Data, e.Data):
			return AppendResult{}, false, &DuplicateEventError{EventID: e.ID.String(), StreamID: streamID,
				Reason: "the committed event has different data"}
		case i > 0 && c.Version != prev.Version+1:
			return AppendResult{}, false, &DuplicateEventError{EventID: e.ID.String(), StreamID: streamID,
				Reason: "the committed events are not in this append's order"}
		}
		prev = c
	}
	first := committed[batch[0].ID]
	ids := make([]uuid.UUID, len(batch))
	for i, e := range batch {
		ids[i] = e.ID
	}
	return AppendResult{
		StreamID:     streamID,
		FirstVersion: first.Version,
		LastVersion:  prev.Version,
		Position:     prev.Position,
		EventIDs:     ids,
		Duplicate:    true,
	}, true, nil
}

func firstCommitted(batch []EventData, committed map[uuid.UUID]Event) uuid.UUID {
	for _, e := range batch {
		if _, ok := committed[e.ID]; ok {
			return e.ID
		}
	}
	return uuid.Nil
}

// badMetadataText finds a metadata string that some backend could not store unchanged: invalid
// UTF-8 (JSON encoding would replace it) or a NUL (PostgreSQL's jsonb refuses it).
func badMetadataText(m Metadata) (field string, bad bool) {
	invalid := func(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }
	for name, v := range map[string]string{"CorrelationID": m.CorrelationID, "CausationID": m.CausationID,
		"TraceParent": m.TraceParent, "TraceState": m.TraceState} {
		if invalid(v) {
			return name, true
		}
	}
	for k, v := range m.Headers {
		if invalid(k) || invalid(v) {
			return fmt.Sprintf("Headers[%q]", k), true
		}
	}
	return "", false
}
