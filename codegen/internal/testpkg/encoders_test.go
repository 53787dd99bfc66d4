package testpkg

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"

	"github.com/esgen/esgen/codegen/avrocodec"
	"github.com/esgen/esgen/eventstore"
)

func fullDispatched() *Dispatched {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	id := uuid.MustParse("123e4567-e89b-12d3-a456-426614174000")
	size, seal, n := SizeL, Seal{9, 8, 7, 6, 5}, int64(-3)
	many := make([]int64, 250) // more than one block of 100 items
	for i := range many {
		many[i] = int64(i * i)
	}
	return &Dispatched{
		Flag: true, Ratio: 0.5, Precise: -1e300, Blob: []byte("\x00\xff"),
		Day:  time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC),
		AtMs: at, AtUs: time.Date(2026, 1, 2, 3, 4, 5, 6_007_000, time.UTC),
		TodMs: 23*time.Hour + 59*time.Minute + 999*time.Millisecond, TodUs: time.Hour + time.Microsecond,
		ID: id, MaybeID: &id, MaybeAt: &at,
		Crate:  Crate{Label: "outer", Inside: []Crate{{Label: "in", Inside: []Crate{}}}, Lid: &Crate{Label: "lid", Inside: []Crate{}}},
		ByName: map[string]Crate{"only": {Label: "x", Inside: []Crate{}}},
		Sparse: map[string]*int64{"n": &n},
		Grid:   [][]int32{{1, 2}, {}, {3}},
		Seal:   seal, MaybeSeal: &seal, Size: SizeM, MaybeSize: &size, OtherSize: SizeS,
		Many: many,
	}
}

// TestEncodersMatchHamba checks that the generated encoders write exactly the bytes
// hamba/avro's reflection-based encoder writes for the same value and schema.
func TestEncodersMatchHamba(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	empty := &Dispatched{Size: SizeS, OtherSize: SizeL}
	tests := []struct {
		name   string
		m      eventstore.Message
		schema string
	}{
		{"dispatched", fullDispatched(), schemaDispatchedV1},
		{"dispatched empty", empty, schemaDispatchedV1},
		{"bench", benchEvent(), schemaBenchEventV2},
		{"evolving", &Evolving{ID: "e", Status: StatusUnknown, Tags: []string{"a", "b"}, Note: str("n")}, schemaEvolvingV3},
		{"deposited", &Deposited{Amount: Money{Currency: Currency{'E', 'U', 'R'}, Units: -1}}, schemaDepositedV1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, _, err := codec.Marshal(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			want, err := avro.Marshal(avro.MustParse(tt.schema), tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data[avrocodec.HeaderSize:], want) {
				t.Fatalf("generated encoder wrote\n% x\nhamba/avro writes\n% x", data[avrocodec.HeaderSize:], want)
			}
			got, err := codec.Unmarshal(tt.m.EventType(), data)
			if err != nil {
				t.Fatal(err)
			}
			if d, ok := got.(*Dispatched); ok {
				// hamba decodes an empty bytes value as an empty, non-nil slice.
				if len(d.Blob) == 0 && tt.m.(*Dispatched).Blob == nil {
					d.Blob = nil
				}
			}
			if tt.name != "dispatched empty" && !reflect.DeepEqual(got, tt.m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, tt.m)
			}
		})
	}
}

func TestEncoderErrors(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	bad := fullDispatched()
	bad.Size = "XL"
	badInMap := &Evolving{Status: "nope"}
	for _, m := range []eventstore.Message{bad, badInMap} {
		if _, _, err := codec.Marshal(m); !errors.Is(err, avrocodec.ErrInvalidEvent) {
			t.Fatalf("Marshal(%T with a bad enum) = %v, want ErrInvalidEvent", m, err)
		}
	}
}
