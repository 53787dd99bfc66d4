package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/esgen/esgen/eventstore"
)

// metadataArgs returns the metadata column values of m, NULL (nil) for empty fields.
func metadataArgs(m *eventstore.Metadata) (corr, cause, tp, ts, fp, headers any, err error) {
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	corr, cause, tp, ts = str(m.CorrelationID), str(m.CausationID), str(m.TraceParent), str(m.TraceState)
	if m.SchemaFingerprint != 0 {
		fp = int64(m.SchemaFingerprint) // stored bit for bit; read back as uint64
	}
	if len(m.Headers) > 0 {
		b, err := json.Marshal(m.Headers)
		if err != nil {
			return nil, nil, nil, nil, nil, nil, fmt.Errorf("encode headers: %w", err)
		}
		headers = string(b)
	}
	return corr, cause, tp, ts, fp, headers, nil
}

// decodeHeaders decodes the headers column: NULL gives nil.
func decodeHeaders(b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if m, ok := decodeFlatObject(b); ok {
		return m, nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode headers: %w", err)
	}
	return m, nil
}

// decodeFlatObject is the fast path for what json.Marshal writes for a map[string]string
// whose keys and values need no escaping: {"k":"v",...} without whitespace. It reports
// false for anything else, which then goes through encoding/json.
func decodeFlatObject(b []byte) (map[string]string, bool) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, false
	}
	m := make(map[string]string, 4)
	i := 1
	if b[i] == '}' {
		return m, i == len(b)-1
	}
	for {
		k, j, ok := flatString(b, i)
		if !ok || j >= len(b) || b[j] != ':' {
			return nil, false
		}
		v, j, ok := flatString(b, j+1)
		if !ok || j >= len(b) {
			return nil, false
		}
		if _, dup := m[k]; dup {
			return nil, false
		}
		m[k] = v
		switch b[j] {
		case ',':
			i = j + 1
		case '}':
			return m, j == len(b)-1
		default:
			return nil, false
		}
	}
}

// flatString reads a JSON string without escapes starting at b[i] and returns it and the
// index after its closing quote.
func flatString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return string(b[i+1 : j]), j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			// Escapes, control characters and non-ASCII (which encoding/json validates
			// and may replace) take the slow path.
			return "", 0, false
		}
	}
	return "", 0, false
}
