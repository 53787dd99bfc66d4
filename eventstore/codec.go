package eventstore

import "fmt"

// Message is a typed event, such as a struct written by esgen generate.
type Message interface {
	// EventType returns the event's type name as stored (the Avro full name for generated
	// events, e.g. "orders.OrderCreated").
	EventType() string
}

// Codec converts typed events to payloads and back. Generated packages provide one as a
// value (no global registry).
type Codec interface {
	// Marshal encodes m with its latest schema and returns the payload and the writer
	// schema's fingerprint.
	Marshal(m Message) (data []byte, fingerprint uint64, err error)
	// Unmarshal decodes a payload of the given event type, written with any published
	// version of its schema, into today's typed event.
	Unmarshal(eventType string, data []byte) (Message, error)
}

// Encode turns a typed event into event data with c, carrying md as metadata (its
// SchemaFingerprint is set from the codec).
func Encode(c Codec, m Message, md Metadata) (EventData, error) {
	data, fp, err := c.Marshal(m)
	if err != nil {
		return EventData{}, fmt.Errorf("eventstore: encode %s: %w", m.EventType(), err)
	}
	md.SchemaFingerprint = fp
	return EventData{Type: m.EventType(), Data: data, Metadata: md}, nil
}

// Decode turns a stored event into its typed event with c.
func Decode(c Codec, e *Event) (Message, error) {
	m, err := c.Unmarshal(e.Type, e.Data)
	if err != nil {
		return nil, fmt.Errorf("eventstore: decode event %s (stream %q, version %d, type %s): %w", e.ID, e.StreamID, e.Version, e.Type, err)
	}
	return m, nil
}
