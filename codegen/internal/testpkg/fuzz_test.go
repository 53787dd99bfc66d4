package testpkg

import (
	"errors"
	"strings"
	"testing"

	"github.com/esgen/esgen/codegen/avrocodec"
)

// FuzzUnmarshal feeds random payloads to the decoder of every event type: it must return
// an error or an event, never panic. Whatever it decodes must encode again, or fail with
// ErrInvalidEvent (a decimal beyond its declared precision decodes but does not encode),
// and what encodes must decode again.
func FuzzUnmarshal(f *testing.F) {
	codec := NewCodec()
	for _, m := range []interface{ EventType() string }{fullAllTypes(), benchEvent(), &AccountOpened{Owner: "x"}, fullDispatched()} {
		data, _, err := codec.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Old versions, one of them decoded through the adapted writer schema.
	f.Add(payload(f, schemaEvolvingV1, fp(schemaEvolvingV1), map[string]any{"id": "e1", "amount": 42, "removed": "gone"}))
	f.Add(payload(f, schemaPromotedV1, fp(schemaPromotedV1), map[string]any{
		"name": "n", "kind": "k", "count": 7,
		"items":  []any{map[string]any{"sku": "a", "qty": 1}},
		"labels": map[string]any{"x": "y"},
		"tier":   "GOLD", "tag": [2]byte{1, 2}, "extras": map[string]any{}, "opt": nil, "gone": []any{"SILVER"},
	}))
	f.Add([]byte{})
	f.Add([]byte{0xC3, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range EventTypes() {
			m, err := codec.Unmarshal(typ, data)
			if err != nil {
				// The codec turns panics into ErrMalformed; a Go runtime error among them
				// (nil dereference, index out of range) is a bug to fix, not bad input.
				if strings.Contains(err.Error(), "runtime error") {
					t.Fatalf("decoding %s panicked: %v", typ, err)
				}
				continue
			}
			again, _, err := codec.Marshal(m)
			if errors.Is(err, avrocodec.ErrInvalidEvent) {
				continue
			}
			if err != nil {
				t.Fatalf("decoded %s does not encode again: %v", typ, err)
			}
			if _, err := codec.Unmarshal(typ, again); err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", typ, err)
			}
		}
	})
}
