package schema

import (
	"github.com/hamba/avro/v2"
	"testing"
)

// TestChangeTable pins the table of docs/compatibility.md: for each kind of
// change from an old to a new schema, whether BACKWARD (new reads old) and
// FORWARD (old reads new) allow it. FULL allows what both allow.
func TestChangeTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		change            string
		old, new          string
		backward, forward bool
	}{
		{"add a field with a default", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string","default":""}`), true, true},
		{"add a field without a default", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string"}`), false, true},
		{"remove a field with a default", rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string","default":""}`), rec(`{"name":"a","type":"int"}`), true, true},
		{"remove a field without a default", rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string"}`), rec(`{"name":"a","type":"int"}`), true, false},
		{"rename a field, alias on the new one", rec(`{"name":"a","type":"int"}`), rec(`{"name":"b","type":"int","aliases":["a"]}`), true, false},
		{"promote int to long", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"long"}`), true, false},
		{"narrow long to int", rec(`{"name":"a","type":"long"}`), rec(`{"name":"a","type":"int"}`), false, true},
		{"string to bytes", rec(`{"name":"a","type":"string"}`), rec(`{"name":"a","type":"bytes"}`), true, true},
		{"change int to string", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"string"}`), false, false},
		{"make a field optional", rec(`{"name":"a","type":"string"}`), rec(`{"name":"a","type":["null","string"],"default":null}`), true, false},
		{"add an enum symbol", rec(`{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}}`), rec(`{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}`), true, false},
		{"add an enum symbol, old enum has a default", rec(`{"name":"e","type":{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}}`), rec(`{"name":"e","type":{"type":"enum","name":"E","symbols":["A","U","B"],"default":"U"}}`), true, true},
		{"remove an enum symbol", rec(`{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}`), rec(`{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}}`), false, true},
		{"add a union branch", rec(`{"name":"u","type":["null","string"]}`), rec(`{"name":"u","type":["null","string","long"]}`), true, false},
		{"remove a union branch", rec(`{"name":"u","type":["null","string","long"]}`), rec(`{"name":"u","type":["null","string"]}`), false, true},
		{"change a fixed size", rec(`{"name":"f","type":{"type":"fixed","name":"F","size":4}}`), rec(`{"name":"f","type":{"type":"fixed","name":"F","size":8}}`), false, false},
		{"rename a nested record, alias on the new one", rec(`{"name":"n","type":{"type":"record","name":"A","namespace":"t","fields":[]}}`), rec(`{"name":"n","type":{"type":"record","name":"B","namespace":"t","aliases":["t.A"],"fields":[]}}`), true, false},
		{"change a default value", rec(`{"name":"a","type":"int","default":1}`), rec(`{"name":"a","type":"int","default":2}`), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.change, func(t *testing.T) {
			t.Parallel()
			o, n := parse(t, tt.old), parse(t, tt.new)
			if got := len(CanRead(n, o)) == 0; got != tt.backward {
				t.Errorf("backward = %v, want %v: %v", got, tt.backward, CanRead(n, o))
			}
			if got := len(CanRead(o, n)) == 0; got != tt.forward {
				t.Errorf("forward = %v, want %v: %v", got, tt.forward, CanRead(o, n))
			}
			full := len(CheckLevel(LevelFull, []avro.Schema{o}, n)) == 0
			if full != (tt.backward && tt.forward) {
				t.Errorf("FULL = %v", full)
			}
		})
	}
}
