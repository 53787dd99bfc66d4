package testpkg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/soe"

	"github.com/esgen/esgen/codegen/avrocodec"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/schema"
)

var _ eventstore.Codec = (*Codec)(nil)

func str(s string) *string { return &s }

func fullAllTypes() *AllTypes {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	id := uuid.MustParse("0190f1c2-7a3b-7c4d-8e5f-6a7b8c9d0e1f")
	return &AllTypes{
		Flag: true, I32: -7, I64: 1 << 40, F32: 1.5, F64: -2.25,
		Raw:   []byte{0, 1, 2, 255},
		Text:  "héllo",
		Price: Money{Currency: Currency{'E', 'U', 'R'}, Units: 1999},
		Tree: Node{Label: "root", Children: []Node{
			{Label: "a", Children: []Node{}},
			{Label: "b", Children: []Node{{Label: "b1", Children: []Node{}}}, Next: &Node{Label: "n", Children: []Node{}}},
		}},
		Color:       ColorGreen,
		Hash:        Hash{1, 2, 3, 4},
		List:        []int32{1, -2, 3},
		Dict:        map[string]string{"k": "v", "x": ""},
		Maybe:       str("here"),
		MaybeMoney:  &Money{Currency: Currency{'U', 'S', 'D'}, Units: -5},
		Choice:      &AllTypesChoice{Value: AllTypesChoiceMoney{Currency: Currency{'G', 'B', 'P'}, Units: 3}},
		OptChoice:   &AllTypesOptChoice{Value: AllTypesOptChoiceColor(ColorBlue)},
		Day:         time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC),
		AtMs:        at,
		AtUs:        time.Date(2026, 3, 4, 5, 6, 7, 8_000, time.UTC),
		TodMs:       5*time.Hour + 123*time.Millisecond,
		TodUs:       5*time.Hour + 123*time.Microsecond,
		ID:          id,
		Amount:      big.NewRat(12345, 100),
		AmountFixed: big.NewRat(-1, 1000),
		MaybeAt:     &at,
		MaybeID:     &id,
		When:        &AllTypesWhen{Value: AllTypesWhenTimestampMillis(at)},
		SmallChoice: []*AllTypesSmallChoiceItem{
			{Value: AllTypesSmallChoiceItemInt(-5)}, {Value: AllTypesSmallChoiceItemDouble(2.5)},
			{Value: AllTypesSmallChoiceItemBytes{7}}, {Value: AllTypesSmallChoiceItemUUID(id)},
			{Value: AllTypesSmallChoiceItemMap{"k": 1}},
		},
	}
}

// normalize replaces the *big.Rat fields (compared with Cmp) so reflect.DeepEqual can
// compare the rest.
func normalize(t *testing.T, want, got *AllTypes) {
	t.Helper()
	for _, p := range [][2]**big.Rat{{&want.Amount, &got.Amount}, {&want.AmountFixed, &got.AmountFixed}} {
		w, g := *p[0], *p[1]
		if (w == nil) != (g == nil) || w != nil && w.Cmp(g) != 0 {
			t.Fatalf("decimal = %v, want %v", g, w)
		}
		*p[0], *p[1] = nil, nil
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	if err := codec.Err(); err != nil {
		t.Fatal(err)
	}
	minimal := fullAllTypes()
	minimal.Maybe, minimal.MaybeMoney, minimal.OptChoice, minimal.MaybeAt, minimal.MaybeID = nil, nil, nil, nil, nil
	minimal.Choice = &AllTypesChoice{Value: AllTypesChoiceString("cash")}
	minimal.When = &AllTypesWhen{Value: AllTypesWhenString("later")}
	longs := fullAllTypes()
	longs.Choice = &AllTypesChoice{Value: AllTypesChoiceLong(-42)}
	longs.OptChoice = &AllTypesOptChoice{Value: AllTypesOptChoiceBoolean(false)}
	arrays := fullAllTypes()
	arrays.Choice = &AllTypesChoice{Value: AllTypesChoiceArray{"x", "y"}}
	tests := []struct {
		name string
		m    eventstore.Message
	}{
		{"all types", fullAllTypes()},
		{"nulls and string branches", minimal},
		{"long and boolean branches", longs},
		{"array branch", arrays},
		{"evolving", &Evolving{ID: "e1", Amount: 1 << 35, Currency: "USD", Status: StatusClosed, Tags: []string{"a"}, Note: str("n"), Origin: Origin{System: "s", Version: 3}}},
		{"bench", benchEvent()},
		{"account opened", &AccountOpened{Owner: "ada"}},
		{"promoted", &Promoted{Kind: &PromotedKind{Value: PromotedKindLong(9)}, Items: []Item{{SKU: "s"}}, Labels: map[string]*string{"a": nil},
			Tier: TierGold, Extras: map[string]Item{},
			Added: &PromotedAdded{Value: PromotedAddedLong(-1)}, AddedOpt: &Item{SKU: "o", Qty: new(int32)}}},
		{"deposited", &Deposited{Amount: Money{Currency: Currency{'E', 'U', 'R'}, Units: 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, fp, err := codec.Marshal(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if data[0] != 0xC3 || data[1] != 0x01 || binary.LittleEndian.Uint64(data[2:10]) != fp {
				t.Fatalf("header = % x, want c3 01 and fingerprint %#x little-endian", data[:10], fp)
			}
			got, err := codec.Unmarshal(tt.m.EventType(), data)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.m
			if w, ok := want.(*AllTypes); ok {
				w2 := *w
				normalize(t, &w2, got.(*AllTypes))
				want = &w2
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestHeaderMatchesHamba checks the header against hamba/avro's own single-object encoder.
func TestHeaderMatchesHamba(t *testing.T) {
	t.Parallel()
	s := avro.MustParse(schemaBenchEventV2)
	want, err := soe.BuildHeader(s)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := NewCodec().Marshal(benchEvent())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data[:10], want) {
		t.Fatalf("header = % x, hamba soe writes % x", data[:10], want)
	}
}

// payload encodes v with the schema JSON s and prefixes the single-object header.
func payload(t testing.TB, s string, fp uint64, v any) []byte {
	t.Helper()
	sch, err := avro.ParseWithCache(s, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := avro.Marshal(sch, v)
	if err != nil {
		t.Fatal(err)
	}
	h := []byte{0xC3, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint64(h[2:], fp)
	return append(h, body...)
}

func fp(s string) uint64 {
	return schema.Fingerprint(avro.MustParse(s))
}

func TestOldVersionsDecodeIntoLatest(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	v1 := payload(t, schemaEvolvingV1, fp(schemaEvolvingV1), map[string]any{"id": "e1", "amount": 42, "removed": "gone"})
	v2 := payload(t, schemaEvolvingV2, fp(schemaEvolvingV2), map[string]any{"id": "e2", "amount": int64(1 << 40), "currency": "USD", "status": "CLOSED"})
	tests := []struct {
		name string
		data []byte
		want *Evolving
	}{
		{"v1", v1, &Evolving{ID: "e1", Amount: 42, Currency: "EUR", Status: StatusOpen, Tags: []string{"new"}, Origin: Origin{System: "legacy", Version: 1}}},
		{"v2", v2, &Evolving{ID: "e2", Amount: 1 << 40, Currency: "USD", Status: StatusClosed, Tags: []string{"new"}, Origin: Origin{System: "legacy", Version: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := codec.Unmarshal(EvolvingType, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	good, _, err := codec.Marshal(&AccountOpened{Owner: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	unknown := append([]byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}, good[10:]...)
	tests := []struct {
		name      string
		eventType string
		data      []byte
		want      error
	}{
		{"empty", AccountOpenedType, nil, avrocodec.ErrMalformed},
		{"short header", AccountOpenedType, good[:5], avrocodec.ErrMalformed},
		{"bad marker", AccountOpenedType, append([]byte{0xC3, 0x02}, good[2:]...), avrocodec.ErrMalformed},
		{"truncated body", AccountOpenedType, good[:len(good)-1], avrocodec.ErrMalformed},
		{"trailing bytes", AccountOpenedType, append(append([]byte{}, good...), 0), avrocodec.ErrMalformed},
		{"unknown fingerprint", AccountOpenedType, unknown, avrocodec.ErrUnknownFingerprint},
		{"other event type", DepositedType, good, avrocodec.ErrWrongEventType},
		{"unknown event type", "test.Nope", good, avrocodec.ErrUnknownEventType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := codec.Unmarshal(tt.eventType, tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal = %v, %v; want %v", m, err, tt.want)
			}
		})
	}
	var fe *avrocodec.FingerprintError
	if _, err := codec.Unmarshal(AccountOpenedType, unknown); !errors.As(err, &fe) || fe.Fingerprint != 0x0807060504030201 {
		t.Fatalf("unknown fingerprint error = %v, want a FingerprintError naming 0x0807060504030201", err)
	}
}

func TestMarshalErrors(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	badEnum := fullAllTypes()
	badEnum.Color = "PURPLE"
	emptyUnion := fullAllTypes()
	emptyUnion.Choice = nil
	emptyValue := fullAllTypes()
	emptyValue.Choice = &AllTypesChoice{}
	nilDecimal := fullAllTypes()
	nilDecimal.Amount = nil
	tests := []struct {
		name string
		m    eventstore.Message
		want error
	}{
		{"nil", nil, avrocodec.ErrInvalidEvent},
		{"typed nil", (*AccountOpened)(nil), avrocodec.ErrInvalidEvent},
		{"bad enum", badEnum, avrocodec.ErrInvalidEvent},
		{"nil required union", emptyUnion, avrocodec.ErrInvalidEvent},
		{"union without value", emptyValue, avrocodec.ErrInvalidEvent},
		{"nil decimal", nilDecimal, avrocodec.ErrInvalidEvent},
		{"foreign event", foreign{}, avrocodec.ErrUnknownEventType},
		{"impostor", impostor{}, avrocodec.ErrUnknownEventType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := codec.Marshal(tt.m); !errors.Is(err, tt.want) {
				t.Fatalf("Marshal = %v, want %v", err, tt.want)
			}
		})
	}
}

type foreign struct{}

func (foreign) EventType() string { return "other.Event" }

// impostor claims a generated event's type without being its struct.
type impostor struct{ Owner string }

func (impostor) EventType() string { return AccountOpenedType }

func TestEnum(t *testing.T) {
	t.Parallel()
	if c, err := ParseColor("RED"); err != nil || c != ColorRed || !c.Valid() {
		t.Fatalf("ParseColor(RED) = %v, %v", c, err)
	}
	if _, err := ParseColor("red"); err == nil {
		t.Fatal("ParseColor(red) succeeded, want an error naming the symbols")
	}
}

func benchEvent() *BenchEvent {
	return &BenchEvent{
		OrderID: "ord-0190f1c2-7a3b", CustomerID: "cus-42", SKU: "SKU-123-XL", Quantity: 3,
		UnitPrice: 1999, Currency: "EUR", Express: true, CreatedAt: 1767225600000, Note: "leave at the door",
		Address: Address{Street: "1 Main Street", City: "Springfield", Zip: "12345", Country: "US"},
		Channel: "web",
	}
}

// TestFieldsBecomeUnions decodes a v1 payload whose fields later became unions (optional
// or sealed), directly, inside an array of records and as map values.
func TestFieldsBecomeUnions(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	v1 := payload(t, schemaPromotedV1, fp(schemaPromotedV1), map[string]any{
		"name": "n", "kind": "k", "count": 7,
		"items":  []any{map[string]any{"sku": "a", "qty": 1}, map[string]any{"sku": "b", "qty": 2}},
		"labels": map[string]any{"x": "y"},
		"tier":   "SILVER", "tag": [2]byte{'o', 'k'},
		"extras": map[string]any{"e": map[string]any{"sku": "c", "qty": 3}},
		"opt":    map[string]any{"string": "o"},
		"gone":   []any{"GOLD"},
	})
	got, err := codec.Unmarshal(PromotedType, v1)
	if err != nil {
		t.Fatal(err)
	}
	one, two, three, seven := int32(1), int32(2), int32(3), int64(7)
	want := &Promoted{
		Name: str("n"), Kind: &PromotedKind{Value: PromotedKindString("k")}, Count: &seven,
		Items:  []Item{{SKU: "a", Qty: &one}, {SKU: "b", Qty: &two}},
		Labels: map[string]*string{"x": str("y")},
		Tier:   TierSilver, Tag: Tag{'o', 'k'},
		Extras: map[string]Item{"e": {SKU: "c", Qty: &three}},
		Opt:    str("o"),
		Added:  &PromotedAdded{Value: PromotedAddedString("fresh")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
}

// TestConcurrentUse runs encoders and decoders of one codec from many goroutines; the race
// detector checks the codec's shared state.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	old := payload(t, schemaPromotedV1, fp(schemaPromotedV1), map[string]any{
		"name": "n", "kind": "k", "count": 7, "items": []any{}, "labels": map[string]any{}, "tier": "GOLD", "tag": [2]byte{}, "extras": map[string]any{}, "opt": nil, "gone": []any{},
	})
	msgs := []eventstore.Message{fullAllTypes(), benchEvent(), fullDispatched(), &AccountOpened{Owner: "a"}}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 200 {
				m := msgs[(g+i)%len(msgs)]
				data, _, err := codec.Marshal(m)
				if err == nil {
					_, err = codec.Unmarshal(m.EventType(), data)
				}
				if err == nil {
					_, err = codec.Unmarshal(PromotedType, old)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
