package schema

import (
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
)

func TestCanonicalForm(t *testing.T) {
	t.Parallel()
	tests := []struct{ schema, want string }{
		{`"int"`, `"int"`},
		{`{"type":"long","logicalType":"timestamp-millis"}`, `"long"`},
		{`{"type":"string","logicalType":"uuid"}`, `"string"`},
		{`{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}`, `"bytes"`},
		{`{"type":"fixed","name":"D","namespace":"n","size":8,"logicalType":"decimal","precision":4}`, `{"name":"n.D","type":"fixed","size":8}`},
		{`{"type":"enum","name":"E","namespace":"a","doc":"d","aliases":["Q"],"symbols":["X","Y"],"default":"X"}`, `{"name":"a.E","type":"enum","symbols":["X","Y"]}`},
		{`{"type":"array","items":{"type":"map","values":["null","double"]}}`, `{"type":"array","items":{"type":"map","values":["null","double"]}}`},
		{`{"type":"record","name":"N","namespace":"l","fields":[{"name":"v","type":"int","default":0,"doc":"x"},{"name":"next","type":["null","N"]},{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"e2","type":"E"}]}`,
			`{"name":"l.N","type":"record","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","l.N"]},{"name":"e","type":{"name":"l.E","type":"enum","symbols":["A"]}},{"name":"e2","type":"l.E"}]}`},
	}
	for _, tt := range tests {
		s := parse(t, tt.schema)
		if got := Canonical(s); got != tt.want {
			t.Errorf("Canonical(%s)\n got %s\nwant %s", tt.schema, got, tt.want)
		}
		if Fingerprint(s) != fingerprintString(tt.want) {
			t.Errorf("Fingerprint(%s) is not the CRC-64-AVRO of its canonical form", tt.schema)
		}
	}
}

// Without logical types, hamba/avro's canonical form and fingerprint are
// the specification's, so both implementations must agree.
func TestCanonicalAgreesWithHambaWithoutLogicalTypes(t *testing.T) {
	t.Parallel()
	for _, c := range resolutionCases {
		for _, src := range []string{c.reader, c.writer} {
			s := parse(t, src)
			if strings.Contains(src, "logicalType") {
				continue
			}
			if got, want := Canonical(s), s.String(); got != want {
				t.Errorf("%s: ours %s, hamba %s", src, got, want)
			}
			b, err := s.FingerprintUsing(avro.CRC64Avro)
			if err != nil {
				t.Fatal(err)
			}
			var hamba uint64
			for _, x := range b {
				hamba = hamba<<8 | uint64(x)
			}
			if Fingerprint(s) != hamba {
				t.Errorf("%s: fingerprint %x, hamba %x", src, Fingerprint(s), hamba)
			}
		}
	}
}

func TestCheckImmutableLogicalType(t *testing.T) {
	t.Parallel()
	mk := func(field string) *Set {
		s := parse(t, rec(field))
		return &Set{Events: []*Event{{Name: "t.R", Versions: []*Version{{Event: "t.R", Number: 1, File: "R/v1.avsc", Schema: s, Canonical: Canonical(s), Fingerprint: Fingerprint(s)}}}}}
	}
	old := mk(`{"name":"at","type":"long"}`)
	edited := mk(`{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}`)
	if old.Events[0].Versions[0].Fingerprint != edited.Events[0].Versions[0].Fingerprint {
		t.Fatal("a logical type changed the fingerprint")
	}
	got := CheckImmutable(old, edited, "main")
	if len(got) != 1 || got[0].Kind != VersionEdited || !strings.Contains(got[0].Message, "logical type") {
		t.Fatalf("violations %v", got)
	}
	if got := CheckImmutable(old, mk(`{"name":"at","type":"long","default":0,"doc":"when"}`), "main"); len(got) != 0 {
		t.Fatalf("a default and doc change is not an edit: %v", got)
	}
}
