package schema

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var fuzzSeeds = []string{
	`"int"`,
	`["null","string"]`,
	`{"type":"record","name":"E","namespace":"n","fields":[{"name":"a","type":"int","default":1}]}`,
	`{"type":"record","name":"E","fields":[{"name":"next","type":["null","E"],"default":null}]}`,
	`{"type":"enum","name":"S","symbols":["A","B"],"default":"A"}`,
	`{"type":"fixed","name":"F","size":16,"logicalType":"decimal","precision":4}`,
	`{"type":"array","items":{"type":"map","values":"long"}}`,
	`{"type":"record","name":"E","fields":[{"name":"r","type":{"type":"record","name":"R","fields":[]},"default":{}}]}`,
	`{"type":"long","logicalType":"timestamp-millis"}`,
	`{"type":"record","name":"E","fields":[`,
	`{"type":{"type":"array","items":"int"}}`,
	``,
}

// FuzzParseSchema feeds arbitrary bytes to the validator and parser: they
// must never panic, and whatever parses must have a canonical form that
// parses again to itself.
func FuzzParseSchema(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := ParseSchema("f.avsc", raw)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error is not a *LoadError with problems: %v", err)
			}
			return
		}
		again, err := ParseSchema("canonical", []byte(s.String()))
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", s.String(), err)
		}
		if again.String() != s.String() || Fingerprint(again) != Fingerprint(s) {
			t.Fatalf("canonical form not stable: %s vs %s", s.String(), again.String())
		}
	})
}

// FuzzLoadDir loads a contracts directory holding one arbitrary file as
// the first version of an event: never a panic, always a *LoadError or an
// event named after the folder.
func FuzzLoadDir(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "E"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "E", "v1.avsc"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := LoadDir(dir)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error is not a *LoadError with problems: %v", err)
			}
			return
		}
		if len(set.Events) != 1 || len(set.Events[0].Versions) != 1 || set.Events[0].Latest().Canonical == "" {
			t.Fatalf("set %+v", set.Events)
		}
	})
}
