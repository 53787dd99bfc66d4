package schema

import (
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
)

func parse(t *testing.T, s string) avro.Schema {
	t.Helper()
	sch, err := avro.ParseWithCache(s, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return sch
}

func rec(fields ...string) string {
	return `{"type":"record","name":"R","namespace":"t","fields":[` + strings.Join(fields, ",") + `]}`
}

// Each case is one Avro schema-resolution rule; want is the rule broken
// ("" when the reader can read the writer's data) and path where it breaks.
var resolutionCases = []struct {
	name, reader, writer string
	want                 Rule
	path                 string
}{
	{"same primitive", `"int"`, `"int"`, "", ""},
	{"int to long", `"long"`, `"int"`, "", ""},
	{"int to float", `"float"`, `"int"`, "", ""},
	{"int to double", `"double"`, `"int"`, "", ""},
	{"long to float", `"float"`, `"long"`, "", ""},
	{"long to double", `"double"`, `"long"`, "", ""},
	{"float to double", `"double"`, `"float"`, "", ""},
	{"string to bytes", `"bytes"`, `"string"`, "", ""},
	{"bytes to string", `"string"`, `"bytes"`, "", ""},
	{"long to int narrows", `"int"`, `"long"`, RuleTypeMismatch, "$"},
	{"double to float narrows", `"float"`, `"double"`, RuleTypeMismatch, "$"},
	{"int to string", `"string"`, `"int"`, RuleTypeMismatch, "$"},
	{"boolean to int", `"int"`, `"boolean"`, RuleTypeMismatch, "$"},
	{"array items promote", `{"type":"array","items":"long"}`, `{"type":"array","items":"int"}`, "", ""},
	{"array items narrow", `{"type":"array","items":"int"}`, `{"type":"array","items":"long"}`, RuleTypeMismatch, "$[]"},
	{"map values promote", `{"type":"map","values":"double"}`, `{"type":"map","values":"float"}`, "", ""},
	{"map values mismatch", `{"type":"map","values":"string"}`, `{"type":"map","values":"boolean"}`, RuleTypeMismatch, "${}"},
	{"array vs map", `{"type":"array","items":"int"}`, `{"type":"map","values":"int"}`, RuleTypeMismatch, "$"},
	{"fixed same", `{"type":"fixed","name":"F","size":4}`, `{"type":"fixed","name":"F","size":4}`, "", ""},
	{"fixed size", `{"type":"fixed","name":"F","size":4}`, `{"type":"fixed","name":"F","size":8}`, RuleFixedSize, "F"},
	{"fixed name", `{"type":"fixed","name":"G","size":4}`, `{"type":"fixed","name":"F","size":4}`, RuleNameMismatch, "G"},
	{"fixed alias", `{"type":"fixed","name":"G","aliases":["F"],"size":4}`, `{"type":"fixed","name":"F","size":4}`, "", ""},
	{"enum same", `{"type":"enum","name":"E","symbols":["A","B"]}`, `{"type":"enum","name":"E","symbols":["B","A"]}`, "", ""},
	{"enum reader adds symbol", `{"type":"enum","name":"E","symbols":["A","B","C"]}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, "", ""},
	{"enum writer extra symbol", `{"type":"enum","name":"E","symbols":["A"]}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, RuleMissingEnumSymbol, "E"},
	{"enum reader default", `{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, "", ""},
	{"enum renamed", `{"type":"enum","name":"E2","symbols":["A"]}`, `{"type":"enum","name":"E","symbols":["A"]}`, RuleNameMismatch, "E2"},
	{"enum namespace change only", `{"type":"enum","name":"E","namespace":"x","symbols":["A"]}`, `{"type":"enum","name":"E","namespace":"y","symbols":["A"]}`, "", ""},
	{"record same", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"}`), "", ""},
	{"record field promoted", rec(`{"name":"a","type":"long"}`), rec(`{"name":"a","type":"int"}`), "", ""},
	{"record field narrowed", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"long"}`), RuleTypeMismatch, "R.a"},
	{"reader adds field with default", rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string","default":""}`), rec(`{"name":"a","type":"int"}`), "", ""},
	{"reader adds field without default", rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string"}`), rec(`{"name":"a","type":"int"}`), RuleMissingDefault, "R.b"},
	{"writer extra field ignored", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string"}`), "", ""},
	{"field renamed with alias", rec(`{"name":"b","type":"int","aliases":["a"]}`), rec(`{"name":"a","type":"int"}`), "", ""},
	{"field renamed without alias", rec(`{"name":"b","type":"int"}`), rec(`{"name":"a","type":"int"}`), RuleMissingDefault, "R.b"},
	{"record renamed with alias", `{"type":"record","name":"S","namespace":"t","aliases":["t.R"],"fields":[]}`, rec(), "", ""},
	{"record renamed", `{"type":"record","name":"S","namespace":"t","fields":[]}`, rec(), RuleNameMismatch, "S"},
	{"nested record field", rec(`{"name":"n","type":{"type":"record","name":"N","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}}`), rec(`{"name":"n","type":{"type":"record","name":"N","fields":[{"name":"x","type":"int"}]}}`), RuleMissingDefault, "R.n.y"},
	{"array of records", rec(`{"name":"l","type":{"type":"array","items":{"type":"record","name":"L","fields":[{"name":"q","type":"string"}]}}}`), rec(`{"name":"l","type":{"type":"array","items":{"type":"record","name":"L","fields":[{"name":"q","type":"int"}]}}}`), RuleTypeMismatch, "R.l[].q"},
	{"union reader has writer type", `["null","string"]`, `"string"`, "", ""},
	{"union reader promotes", `["null","long"]`, `"int"`, "", ""},
	{"union reader lacks writer type", `["null","string"]`, `"int"`, RuleMissingUnionBranch, "$"},
	{"union writer subset", `["null","string","int"]`, `["null","string"]`, "", ""},
	{"union writer superset", `["null","string"]`, `["null","string","int"]`, RuleMissingUnionBranch, "$"},
	{"union writer vs plain reader", `"string"`, `["null","string"]`, RuleTypeMismatch, "$"},
	{"union of one vs plain", `"long"`, `["int"]`, "", ""},
	{"optional field made required", rec(`{"name":"a","type":"string"}`), rec(`{"name":"a","type":["null","string"],"default":null}`), RuleTypeMismatch, "R.a"},
	{"required field made optional", rec(`{"name":"a","type":["null","string"],"default":null}`), rec(`{"name":"a","type":"string"}`), "", ""},
	{"union records by name", `[{"type":"record","name":"A","fields":[]},{"type":"record","name":"B","fields":[]}]`, `{"type":"record","name":"B","fields":[]}`, "", ""},
	{"recursive", `{"type":"record","name":"N","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","N"]}]}`, `{"type":"record","name":"N","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","N"]}]}`, "", ""},
	{"recursive broken", `{"type":"record","name":"N","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","N"]}]}`, `{"type":"record","name":"N","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","N"]}]}`, RuleTypeMismatch, "N.v"},
	{"logical type on same base", `{"type":"long","logicalType":"timestamp-micros"}`, `{"type":"long","logicalType":"timestamp-millis"}`, "", ""},
}

func TestCanReadRules(t *testing.T) {
	t.Parallel()
	for _, tt := range resolutionCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := CanRead(parse(t, tt.reader), parse(t, tt.writer))
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("want readable, got %v", got)
				}
				return
			}
			for _, inc := range got {
				if inc.Rule == tt.want && inc.Path == tt.path && inc.Message != "" {
					return
				}
			}
			t.Fatalf("want %s at %s, got %v", tt.want, tt.path, got)
		})
	}
}

// hamba/avro's checker must give the same verdict, each with a fresh
// instance (see TestHambaCacheIgnoresDefaults for why).
func TestCanReadAgreesWithHamba(t *testing.T) {
	t.Parallel()
	for _, tt := range resolutionCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, w := parse(t, tt.reader), parse(t, tt.writer)
			ours := len(CanRead(r, w)) == 0
			theirs := avro.NewSchemaCompatibility().Compatible(r, w) == nil
			if ours != theirs {
				t.Fatalf("CanRead says readable=%v, hamba says %v", ours, theirs)
			}
		})
	}
}

// hamba/avro caches verdicts by canonical-form fingerprints, which leave out
// defaults and aliases: a reused instance answers a later question with an
// earlier verdict. CanRead keeps no state, which is why esgen uses it.
func TestHambaCacheIgnoresDefaults(t *testing.T) {
	t.Parallel()
	old := parse(t, rec(`{"name":"a","type":"int"}`))
	noDefault := parse(t, rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"int"}`))
	withDefault := parse(t, rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"int","default":0}`))
	c := avro.NewSchemaCompatibility()
	if c.Compatible(noDefault, old) == nil {
		t.Fatal("hamba: field without default should be incompatible")
	}
	hambaStale := c.Compatible(withDefault, old) != nil
	if got := CanRead(withDefault, old); len(got) != 0 {
		t.Fatalf("CanRead: %v", got)
	}
	t.Logf("hamba reused instance reports stale verdict: %v", hambaStale)
}

func TestCanReadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	r := parse(t, rec(`{"name":"a","type":"int"}`, `{"name":"b","type":"string"}`, `{"name":"c","type":{"type":"fixed","name":"F","size":2}}`))
	w := parse(t, rec(`{"name":"a","type":"long"}`, `{"name":"c","type":{"type":"fixed","name":"F","size":3}}`))
	got := CanRead(r, w)
	var paths []string
	for _, g := range got {
		paths = append(paths, g.Path+"="+string(g.Rule))
	}
	want := "R.a=TYPE_MISMATCH R.b=READER_FIELD_MISSING_DEFAULT R.c=FIXED_SIZE_MISMATCH"
	if strings.Join(paths, " ") != want {
		t.Fatalf("got %s, want %s", strings.Join(paths, " "), want)
	}
}

func TestCheckLevel(t *testing.T) {
	t.Parallel()
	a := `{"name":"a","type":"int"}`
	// Scenarios, oldest first; the last schema is the new version.
	scenarios := map[string][]string{
		"add optional field":    {rec(a), rec(a, `{"name":"b","type":"string","default":""}`)},
		"add required field":    {rec(a), rec(a, `{"name":"b","type":"string"}`)},
		"remove required field": {rec(a, `{"name":"b","type":"string"}`), rec(a)},
		// v2 drops f, v3 brings it back as a string: fine against v2, not v1.
		"backward only latest": {rec(a, `{"name":"f","type":"int"}`), rec(a), rec(a, `{"name":"f","type":"string","default":""}`)},
		// v1 readers need x; v2 keeps it (with a default), v3 drops it.
		"forward only latest": {rec(`{"name":"x","type":"int"}`), rec(`{"name":"x","type":"int","default":0}`, `{"name":"y","type":"string","default":""}`), rec(`{"name":"y","type":"string","default":""}`)},
		"change type":         {rec(a), rec(`{"name":"a","type":"string"}`)},
		"promote int to long": {rec(a), rec(`{"name":"a","type":"long"}`)},
	}
	// Expected verdicts per level, in the order of Levels(): B BT F FT FU FUT N ("ok" or "x").
	want := map[string]string{
		"add optional field":    "ok ok ok ok ok ok ok",
		"add required field":    "x x ok ok x x ok",
		"remove required field": "ok ok x x x x ok",
		"backward only latest":  "ok x ok x ok x ok",
		"forward only latest":   "ok ok ok x ok x ok",
		"change type":           "x x x x x x ok",
		"promote int to long":   "ok ok x x x x ok",
	}
	for name, schemas := range scenarios {
		var parsed []avro.Schema
		for _, s := range schemas {
			parsed = append(parsed, parse(t, s))
		}
		var got []string
		for _, level := range Levels() {
			f := CheckLevel(level, parsed[:len(parsed)-1], parsed[len(parsed)-1])
			if len(f) == 0 {
				got = append(got, "ok")
			} else {
				got = append(got, "x")
				for _, fi := range f {
					if fi.Newer != len(parsed) || fi.Older < 1 || fi.Older >= fi.Newer || fi.Path == "" {
						t.Errorf("%s %s: bad finding %+v", name, level, fi)
					}
				}
			}
		}
		if g := strings.Join(got, " "); g != want[name] {
			t.Errorf("%s: verdicts %s, want %s (levels %v)", name, g, want[name], Levels())
		}
	}
}

func TestCheckEventNamesVersionPair(t *testing.T) {
	t.Parallel()
	ev := &Event{Name: "t.R"}
	for i, s := range []string{rec(`{"name":"f","type":"int"}`), rec(), rec(`{"name":"f","type":"string","default":""}`)} {
		ev.Versions = append(ev.Versions, &Version{Event: "t.R", Number: i + 1, Schema: parse(t, s)})
	}
	got := CheckEvent(ev, LevelBackwardTransitive)
	if len(got) != 1 {
		t.Fatalf("findings: %v", got)
	}
	f := got[0]
	if f.Event != "t.R" || f.Older != 1 || f.Newer != 3 || f.Direction != Backward || f.Path != "R.f" || f.Rule != RuleTypeMismatch {
		t.Fatalf("finding %+v", f)
	}
	if s := f.String(); !strings.Contains(s, "v3 cannot read data written with v1") {
		t.Fatalf("String() = %s", s)
	}
	if got := CheckEvent(ev, LevelBackward); len(got) != 0 {
		t.Fatalf("BACKWARD: %v", got)
	}
}
