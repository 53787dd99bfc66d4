package schema

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDirReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := LoadDir("testdata/contracts/bad")
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want *LoadError", err)
	}
	dir := filepath.Join("testdata", "contracts", "bad")
	want := []struct{ file, path, msg string }{
		{"Broken/v1.avsc", "", "truncated"},
		{"Defaults/v1.avsc", "$.namespace", "invalid namespace"},
		{"Defaults/v1.avsc", "$.fields[0].default", "want an integer"},
		{"Defaults/v1.avsc", "$.fields[1].default", "32-bit"},
		{"Defaults/v1.avsc", "$.fields[2].default", "first branch"},
		{"Defaults/v1.avsc", "$.fields[3].type.symbols[2]", "unique"},
		{"Defaults/v1.avsc", "$.fields[4].default", `lacks field "city"`},
		{"Defaults/v1.avsc", "$.fields[5].type", `unknown type "shop.Nowhere"`},
		{"Defaults/v1.avsc", "$.fields[6].name", "unique"},
		{"Defaults/v1.avsc", "$.fields[7].name", "invalid field name"},
		{"Defaults/v1.avsc", "$.fields[8].default", "size 4"},
		{"Gappy/v3.avsc", "", "without gaps"},
		{"Misnamed/v1.avsc", "$.name", `folder is "Misnamed"`},
		{"NotRecord/v1.avsc", "$.type", "must be a record"},
		{"Renamed/v2.avsc", "$.name", "keep its full name"},
		{"stray.avsc", "", "outside an event folder"},
	}
	got := map[string]string{}
	for _, p := range le.Problems {
		got[p.File+"|"+p.Path] += p.Message + "\n"
	}
	for _, w := range want {
		key := filepath.Join(dir, w.file) + "|" + w.path
		if !strings.Contains(got[key], w.msg) {
			t.Errorf("no problem %q at %s; got:\n%s", w.msg, key, err)
		}
	}
}

func TestValidateSchemaTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema, path, msg string
	}{
		{"valid primitive", `"string"`, "", ""},
		{"valid recursive", `{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}`, "", ""},
		{"nested union", `["null",["int"]]`, "$[1]", "flatten"},
		{"duplicate branch", `["int","string","int"]`, "$[2]", "repeats branch 0"},
		{"enum default", `{"type":"enum","name":"E","symbols":["A"],"default":"B"}`, "$.default", "not one of its symbols"},
		{"fixed size", `{"type":"fixed","name":"F","size":-1}`, "$.size", "non-negative"},
		{"array items", `{"type":"array"}`, "$.items", "needs \"items\""},
		{"map values", `{"type":"map"}`, "$.values", "needs \"values\""},
		{"no type", `{"name":"X"}`, "$", "missing \"type\""},
		{"record no name", `{"type":"record","fields":[]}`, "$.name", "needs a \"name\""},
		{"primitive as name", `{"type":"record","name":"int","fields":[]}`, "$.name", "primitive"},
		{"map default", `{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":"int"},"default":{"a":"x"}}]}`, "$.fields[0].default", `key "a"`},
		{"array default", `{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"long"},"default":[1,2.5]}]}`, "$.fields[0].default", "item 1"},
		{"null default", `{"type":"record","name":"R","fields":[{"name":"a","type":"null","default":0}]}`, "$.fields[0].default", "want null"},
		{"bad order", `{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"up"}]}`, "$.fields[0].order", "ascending"},
		{"redefined", `{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"enum","name":"R","symbols":["X"]}}]}`, "$.fields[0].type.name", "defined twice"},
		{"type as word", `{"type":"record","name":"R","fields":[{"name":"a","type":"record"}]}`, "$.fields[0].type", "written as objects"},
		{"trailing data", `"int" "long"`, "", "extra data"},
		{"logical type on wrong base", `{"type":"int","logicalType":"timestamp-millis"}`, "$.logicalType", "applies to long"},
		{"decimal without precision", `{"type":"bytes","logicalType":"decimal"}`, "$.precision", "positive integer"},
		{"decimal scale above precision", `{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}`, "$.scale", "from 0 to its precision"},
		{"decimal too wide for fixed", `{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":19}`, "$.precision", "at most 18"},
		{"valid decimal fixed", `{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":18,"scale":2}`, "", ""},
		{"duration size", `{"type":"fixed","name":"D","size":8,"logicalType":"duration"}`, "$.size", "size 12"},
		{"unknown logical type ignored", `{"type":"string","logicalType":"color"}`, "", ""},
		{"valid timestamp", `{"type":"long","logicalType":"timestamp-micros"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ps, _ := validateSchema("f.avsc", []byte(tt.schema), nil)
			if tt.msg == "" {
				if len(ps) != 0 {
					t.Fatalf("problems: %v", ps)
				}
				return
			}
			for _, p := range ps {
				if p.Path == tt.path && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Fatalf("want %q at %q, got %v", tt.msg, tt.path, ps)
		})
	}
}
