package avrocodec_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/esgen/esgen/codegen/avrocodec"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/schema"
)

// Greeted is written the way esgen generate writes events.
type Greeted struct {
	Name  string `avro:"name"`
	Times int64  `avro:"times"`
}

func (*Greeted) EventType() string { return "demo.Greeted" }

const (
	greetedV1 = `{"type":"record","name":"Greeted","namespace":"demo","fields":[{"name":"name","type":"string"}]}`
	greetedV2 = `{"type":"record","name":"Greeted","namespace":"demo","fields":[{"name":"name","type":"string"},{"name":"times","type":"long","default":1}]}`
	// greetedBad cannot be read as v2: name changed type without a default.
	greetedBad = `{"type":"record","name":"Greeted","namespace":"demo","fields":[{"name":"name","type":"boolean"}]}`
)

func fp(t testing.TB, s string) uint64 {
	t.Helper()
	return schema.Fingerprint(avro.MustParse(s))
}

func newCodec(t testing.TB, versions ...string) *avrocodec.Codec {
	t.Helper()
	ev := avrocodec.Event{Type: "demo.Greeted", New: func() eventstore.Message { return new(Greeted) }}
	for i, s := range versions {
		ev.Versions = append(ev.Versions, avrocodec.Version{Number: i + 1, Fingerprint: fp(t, s), Schema: s})
	}
	return avrocodec.New(avrocodec.Config{Events: []avrocodec.Event{ev}})
}

func soe(t testing.TB, s string, v any) []byte {
	t.Helper()
	body, err := avro.Marshal(avro.MustParse(s), v)
	if err != nil {
		t.Fatal(err)
	}
	h := make([]byte, avrocodec.HeaderSize, avrocodec.HeaderSize+len(body))
	h[0], h[1] = avrocodec.Magic0, avrocodec.Magic1
	binary.LittleEndian.PutUint64(h[2:], fp(t, s))
	return append(h, body...)
}

func TestIncompatibleVersion(t *testing.T) {
	t.Parallel()
	c := newCodec(t, greetedBad, greetedV2)
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Unmarshal("demo.Greeted", soe(t, greetedBad, map[string]any{"name": true}))
	if !errors.Is(err, avrocodec.ErrIncompatible) || !strings.Contains(err.Error(), "version 1 cannot be read as version 2") {
		t.Fatalf("err = %v, want ErrIncompatible naming the versions", err)
	}
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   avrocodec.Event
		want string
	}{
		{"no versions", avrocodec.Event{Type: "demo.Greeted", New: func() eventstore.Message { return new(Greeted) }}, "no versions"},
		{"wrong fingerprint", avrocodec.Event{Type: "demo.Greeted", New: func() eventstore.Message { return new(Greeted) },
			Versions: []avrocodec.Version{{Number: 1, Fingerprint: 1, Schema: greetedV1}}}, "fingerprint"},
		{"bad schema", avrocodec.Event{Type: "demo.Greeted", New: func() eventstore.Message { return new(Greeted) },
			Versions: []avrocodec.Version{{Number: 1, Schema: `{"type":`}}}, "parse schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := avrocodec.New(avrocodec.Config{Events: []avrocodec.Event{tt.ev}})
			if err := c.Err(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Err = %v, want %q", err, tt.want)
			}
			if _, _, err := c.Marshal(&Greeted{}); err == nil {
				t.Fatal("Marshal on a broken codec succeeded")
			}
		})
	}
}

// Not parallel: AllocsPerRun needs the test to run alone.
func TestAppendMarshalReusesBuffer(t *testing.T) {
	c := newCodec(t, greetedV1, greetedV2)
	buf := make([]byte, 0, 64)
	out, fpv, err := c.AppendMarshal(buf, &Greeted{Name: "ada", Times: 2})
	if err != nil {
		t.Fatal(err)
	}
	if &out[0] != &buf[:1][0] || fpv != fp(t, greetedV2) {
		t.Fatalf("AppendMarshal did not append into dst (fingerprint %#x)", fpv)
	}
	if raceEnabled {
		return // sync.Pool drops items at random under the race detector
	}
	m := &Greeted{Name: "ada", Times: 2}
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := c.AppendMarshal(buf[:0], m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("AppendMarshal allocates %.0f times per call, want 0", allocs)
	}
}

func Example() {
	ev := avrocodec.Event{
		Type: "demo.Greeted",
		New:  func() eventstore.Message { return new(Greeted) },
		Versions: []avrocodec.Version{
			{Number: 1, Fingerprint: schema.Fingerprint(avro.MustParse(greetedV1)), Schema: greetedV1},
			{Number: 2, Fingerprint: schema.Fingerprint(avro.MustParse(greetedV2)), Schema: greetedV2},
		},
	}
	codec := avrocodec.New(avrocodec.Config{Events: []avrocodec.Event{ev}})

	data, _, err := codec.Marshal(&Greeted{Name: "Ada", Times: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := codec.Unmarshal("demo.Greeted", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x ... %+v\n", data[:2], *m.(*Greeted))

	// A payload written with version 1 decodes into today's struct, times defaulted.
	body, _ := avro.Marshal(avro.MustParse(greetedV1), map[string]any{"name": "Grace"})
	old := binary.LittleEndian.AppendUint64([]byte{avrocodec.Magic0, avrocodec.Magic1}, ev.Versions[0].Fingerprint)
	m, err = codec.Unmarshal("demo.Greeted", append(old, body...))
	fmt.Printf("%+v %v\n", *m.(*Greeted), err)
	// Output:
	// c3 01 ... {Name:Ada Times:3}
	// {Name:Grace Times:1} <nil>
}

// Spinner has an array whose items take no bytes, and a field that became optional, so
// that old payloads go through the adapted writer schema.
type Spinner struct {
	A  *string    `avro:"a"`
	Xs []struct{} `avro:"xs"`
	N  *int64     `avro:"n"`
}

func (*Spinner) EventType() string { return "demo.Spinner" }

func TestAdaptedHugeArrayCount(t *testing.T) {
	t.Parallel()
	v1 := `{"type":"record","name":"Spinner","namespace":"demo","fields":[{"name":"a","type":"string"},{"name":"xs","type":{"type":"array","items":"null"}},{"name":"n","type":["null","int"]}]}`
	v2 := `{"type":"record","name":"Spinner","namespace":"demo","fields":[{"name":"a","type":["null","string"],"default":null},{"name":"xs","type":{"type":"array","items":"null"}},{"name":"n","type":["null","long"]}]}`
	ev := avrocodec.Event{Type: "demo.Spinner", New: func() eventstore.Message { return new(Spinner) }, Versions: []avrocodec.Version{
		{Number: 1, Fingerprint: fp(t, v1), Schema: v1}, {Number: 2, Fingerprint: fp(t, v2), Schema: v2},
	}}
	c := avrocodec.New(avrocodec.Config{Events: []avrocodec.Event{ev}})
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	h := binary.LittleEndian.AppendUint64([]byte{avrocodec.Magic0, avrocodec.Magic1}, fp(t, v1))
	body := append([]byte{2, 'x'}, binary.AppendVarint(nil, 1<<50)...) // a = "x", then 2^50 nulls
	if _, err := c.Unmarshal("demo.Spinner", append(h, body...)); !errors.Is(err, avrocodec.ErrMalformed) {
		t.Fatalf("Unmarshal = %v, want ErrMalformed", err)
	}
	ok := append(append([]byte{}, h...), 2, 'x', 4, 0, 2, 14) // two nulls, the end, n = 7
	m, err := c.Unmarshal("demo.Spinner", ok)
	if err != nil || *m.(*Spinner).A != "x" || len(m.(*Spinner).Xs) != 2 || *m.(*Spinner).N != 7 {
		t.Fatalf("Unmarshal = %+v, %v", m, err)
	}
}
