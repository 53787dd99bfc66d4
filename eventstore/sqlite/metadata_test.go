package sqlite

import (
	"encoding/json"
	"maps"
	"testing"
)

func TestDecodeHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]string
		err  bool
	}{
		{"null column", "", nil, false},
		{"empty object", "{}", map[string]string{}, false},
		{"two", `{"a":"1","tenant":"acme"}`, map[string]string{"a": "1", "tenant": "acme"}, false},
		{"escaped", `{"q":"say \"hi\"","h":"\u003ctag\u003e"}`, map[string]string{"q": `say "hi"`, "h": "<tag>"}, false},
		{"unicode", `{"ü":"ß"}`, map[string]string{"ü": "ß"}, false},
		{"whitespace", `{ "a" : "1" }`, map[string]string{"a": "1"}, false},
		{"not an object", `["a"]`, nil, true},
		{"truncated", `{"a":"1"`, nil, true},
		{"number value", `{"a":1}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeHeaders([]byte(tc.in))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if !tc.err && (!maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil)) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// FuzzDecodeHeaders checks that the fast path agrees with encoding/json on any input it
// accepts, and that whatever json.Marshal writes decodes back to the same map.
func FuzzDecodeHeaders(f *testing.F) {
	f.Add(`{"a":"1","b":"2"}`, "k", "v")
	f.Add(`{"a":"1","a":"2"}`, "", "\x00")
	f.Add(`{}`, "<", "ü")
	f.Fuzz(func(t *testing.T, raw, k, v string) {
		if m, ok := decodeFlatObject([]byte(raw)); ok {
			var want map[string]string
			if err := json.Unmarshal([]byte(raw), &want); err != nil || !maps.Equal(m, want) {
				t.Fatalf("fast path accepted %q as %v; encoding/json says %v, %v", raw, m, want, err)
			}
		}
		in := map[string]string{k: v, "fixed": v + k}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]string
		_ = json.Unmarshal(b, &want) // invalid UTF-8 is replaced; compare with that
		got, err := decodeHeaders(b)
		if err != nil || !maps.Equal(got, want) {
			t.Fatalf("round trip of %q: got %v, %v; want %v", b, got, err, want)
		}
	})
}
