package testpkg

import (
	"encoding/json"
	"testing"

	"github.com/hamba/avro/v2"
)

// The benchmarks compare the generated codec with raw hamba/avro and encoding/json on the
// same struct (BenchEvent: ten fields, one nested record), in the same run:
//
//	go test -run '^$' -bench . -benchmem ./codegen/internal/testpkg

func BenchmarkEncode(b *testing.B) {
	ev := benchEvent()
	codec := NewCodec()
	s := avro.MustParse(schemaBenchEventV2)
	b.Run("esgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := codec.Marshal(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("esgen-append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			if _, _, err := codec.AppendMarshal(buf[:0], ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hamba", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := avro.Marshal(s, ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	ev := benchEvent()
	codec := NewCodec()
	s := avro.MustParse(schemaBenchEventV2)
	payload, _, err := codec.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	body, err := avro.Marshal(s, ev)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("esgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := codec.Unmarshal(BenchEventType, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hamba", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := avro.Unmarshal(s, body, new(BenchEvent)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := json.Unmarshal(js, new(BenchEvent)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeVersion decodes a payload written with the latest schema and one written
// with version 1, resolved into today's struct.
func BenchmarkDecodeVersion(b *testing.B) {
	codec := NewCodec()
	latest, _, err := codec.Marshal(benchEvent())
	if err != nil {
		b.Fatal(err)
	}
	ev := benchEvent()
	v1 := payload(b, schemaBenchEventV1, fp(schemaBenchEventV1), map[string]any{
		"order_id": ev.OrderID, "customer_id": ev.CustomerID, "sku": ev.SKU, "quantity": int(ev.Quantity),
		"unit_price": ev.UnitPrice, "currency": ev.Currency, "express": ev.Express, "created_at": ev.CreatedAt,
		"note": ev.Note, "address": map[string]any{"street": ev.Address.Street, "city": ev.Address.City, "zip": ev.Address.Zip, "country": ev.Address.Country},
	})
	for _, bc := range []struct {
		name string
		data []byte
	}{{"same-version", latest}, {"old-version", v1}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := codec.Unmarshal(BenchEventType, bc.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
