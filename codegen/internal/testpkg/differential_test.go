package testpkg

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/esgen/esgen/codegen/avrocodec"
	"github.com/esgen/esgen/eventstore"
)

// hambaCodec is the package's codec without its generated encoders and decoders: every
// event goes through hamba/avro, the reference the generated code must agree with.
func hambaCodec() *avrocodec.Codec {
	cfg := codecConfig()
	for i := range cfg.Events {
		cfg.Events[i].Append = nil
		cfg.Events[i].Read = nil
	}
	return avrocodec.New(cfg)
}

// agree checks that the generated and the reference codec decode data alike: both fail,
// or both succeed with equal events (compared by value, or by their encodings where NaN
// floats make values unequal to themselves).
func agree(t *testing.T, gen *Codec, ref *avrocodec.Codec, eventType string, data []byte) {
	t.Helper()
	a, errA := gen.Unmarshal(eventType, data)
	b, errB := ref.Unmarshal(eventType, data)
	if (errA == nil) != (errB == nil) {
		t.Fatalf("%s: generated decoder says %v, hamba/avro says %v", eventType, errA, errB)
	}
	if errA != nil || reflect.DeepEqual(a, b) {
		return
	}
	ea, _, errA := ref.Marshal(a)
	eb, _, errB := ref.Marshal(b)
	if errA != nil || errB != nil || !bytes.Equal(ea, eb) {
		t.Fatalf("%s: generated decoder gives\n%+v\nhamba/avro gives\n%+v", eventType, a, b)
	}
}

func TestDecodersMatchHamba(t *testing.T) {
	t.Parallel()
	gen, ref := NewCodec(), hambaCodec()
	if err := ref.Err(); err != nil {
		t.Fatal(err)
	}
	for _, m := range []eventstore.Message{fullDispatched(), &Dispatched{Size: SizeS, OtherSize: SizeL}, benchEvent(),
		&Evolving{ID: "e", Status: StatusClosed, Tags: []string{}, Note: str("n")}, &AccountOpened{}, &Deposited{}} {
		data, _, err := gen.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		agree(t, gen, ref, m.EventType(), data)
		got, err := gen.Unmarshal(m.EventType(), data)
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := got.(*Dispatched); ok && d.Blob != nil && len(d.Blob) == 0 && m.(*Dispatched).Blob == nil {
			d.Blob = nil
		}
		if m.EventType() != DispatchedType || m.(*Dispatched).Crate.Inside != nil {
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip through the generated decoder:\n got %+v\nwant %+v", got, m)
			}
		}
		// Every truncation is rejected by both.
		for i := avrocodec.HeaderSize; i < len(data); i++ {
			agree(t, gen, ref, m.EventType(), data[:i])
		}
	}
}

// FuzzDecodersAgree feeds random payloads to the generated decoders and to hamba/avro's:
// they must agree on every input.
func FuzzDecodersAgree(f *testing.F) {
	gen, ref := NewCodec(), hambaCodec()
	for _, m := range []eventstore.Message{fullDispatched(), benchEvent(), &Evolving{ID: "e", Status: StatusOpen, Tags: []string{"t"}}} {
		data, _, err := gen.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range []string{DispatchedType, BenchEventType, EvolvingType, DepositedType} {
			agree(t, gen, ref, typ, data)
		}
	})
}
