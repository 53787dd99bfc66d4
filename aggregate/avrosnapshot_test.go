package aggregate_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/esgen/esgen/aggregate"
)

const stateV1 = `{"type":"record","name":"OrderState","namespace":"orders.snapshot","fields":[
	{"name":"status","type":"string"}]}`

const stateV2 = `{"type":"record","name":"OrderState","namespace":"orders.snapshot","fields":[
	{"name":"status","type":"string"},
	{"name":"paid","type":"long","default":0}]}`

const stateIncompatible = `{"type":"record","name":"OrderState","namespace":"orders.snapshot","fields":[
	{"name":"status","type":"string"},
	{"name":"paid","type":"long"}]}`

type stateV1Go struct {
	Status string `avro:"status"`
}

type stateV2Go struct {
	Status string `avro:"status"`
	Paid   int64  `avro:"paid"`
}

func TestAvroSnapshotCodecEvolves(t *testing.T) {
	t.Parallel()
	v1, err := aggregate.NewAvroSnapshotCodec[stateV1Go](1, stateV1)
	if err != nil {
		t.Fatal(err)
	}
	old, err := v1.Marshal(&stateV1Go{Status: "created"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := aggregate.NewAvroSnapshotCodec[stateV2Go](1, stateV2, stateV1)
	if err != nil {
		t.Fatal(err)
	}
	var got stateV2Go
	if err := v2.Unmarshal(old, &got); err != nil {
		t.Fatalf("reading a v1 snapshot with v2: %v", err)
	}
	if got != (stateV2Go{Status: "created"}) {
		t.Fatalf("decoded %+v", got)
	}
	cur, err := v2.Marshal(&stateV2Go{Status: "paid", Paid: 12})
	if err != nil {
		t.Fatal(err)
	}
	got = stateV2Go{}
	if err := v2.Unmarshal(cur, &got); err != nil || got != (stateV2Go{Status: "paid", Paid: 12}) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if v2.Version() != 1 {
		t.Fatalf("Version() = %d", v2.Version())
	}
	// v1 has never heard of v2's schema.
	var back stateV1Go
	if err := v1.Unmarshal(cur, &back); err == nil || !strings.Contains(err.Error(), "unknown schema") {
		t.Fatalf("v1 reading a v2 snapshot: %v; want an unknown schema error", err)
	}
}

func TestAvroSnapshotCodecErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		version  int
		schema   string
		previous []string
		want     string
	}{
		{"version 0", 0, stateV1, nil, "start at 1"},
		{"bad schema", 1, `{"type":"record"`, nil, "schema"},
		{"not a record", 1, `"string"`, nil, "must be a record"},
		{"incompatible previous", 1, stateIncompatible, []string{stateV1}, "cannot be read"},
		{"struct mismatch", 1, `{"type":"record","name":"X","fields":[{"name":"other","type":"int"}]}`, nil, "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := aggregate.NewAvroSnapshotCodec[stateV2Go](tc.version, tc.schema, tc.previous...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one mentioning %q", err, tc.want)
			}
		})
	}
}

func FuzzAvroSnapshotUnmarshal(f *testing.F) {
	c, err := aggregate.NewAvroSnapshotCodec[stateV2Go](1, stateV2, stateV1)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := c.Marshal(&stateV2Go{Status: "x", Paid: 3})
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:11])
	f.Add(append(bytes.Clone(good[:10]), 0xff, 0xff, 0xff, 0xff, 0x0f))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s stateV2Go
		if err := c.Unmarshal(data, &s); err != nil {
			return
		}
		again, err := c.Marshal(&s)
		if err != nil {
			t.Fatalf("re-encoding a decoded snapshot: %v", err)
		}
		var s2 stateV2Go
		if err := c.Unmarshal(again, &s2); err != nil || s2 != s {
			t.Fatalf("round trip of %+v gave %+v, %v", s, s2, err)
		}
	})
}
