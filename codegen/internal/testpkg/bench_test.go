package testpkg

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/esgen/esgen/eventstore"
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
	v1 := oldBenchPayload(b)
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

// paired runs fns in alternating short blocks and returns the median time per call of
// each, so that load from other processes (preemption in a block) hits all of them alike
// and is filtered out. On a busy machine its ratios are far steadier than those of
// separate benchmarks.
func paired(b *testing.B, fns ...func()) []float64 {
	const block = 32
	blocks := make([][]time.Duration, len(fns))
	for b.Loop() {
		for i, f := range fns {
			start := time.Now()
			for range block {
				f()
			}
			blocks[i] = append(blocks[i], time.Since(start))
		}
	}
	out := make([]float64, len(fns))
	for i, ds := range blocks {
		slices.Sort(ds)
		out[i] = float64(ds[len(ds)/2].Nanoseconds()) / block
	}
	return out
}

// BenchmarkPaired reports the ratios the targets are stated in: the generated codec
// against raw hamba/avro and encoding/json, and an old-version decode against a
// same-version one.
func BenchmarkPaired(b *testing.B) {
	ev := benchEvent()
	codec := NewCodec()
	s := avro.MustParse(schemaBenchEventV2)
	latest, _, _ := codec.Marshal(ev)
	body, _ := avro.Marshal(s, ev)
	js, _ := json.Marshal(ev)
	v1 := oldBenchPayload(b)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("encode", func(b *testing.B) {
		ns := paired(b,
			func() { _, _, err := codec.Marshal(ev); must(err) },
			func() { _, err := avro.Marshal(s, ev); must(err) },
			func() { _, err := json.Marshal(ev); must(err) },
		)
		b.ReportMetric(ns[0], "ns/op")
		b.ReportMetric(ns[1], "hamba-ns/op")
		b.ReportMetric(ns[2], "json-ns/op")
		b.ReportMetric(ns[0]/ns[1], "x-hamba")
		b.ReportMetric(ns[2]/ns[0], "json/esgen")
	})
	b.Run("decode", func(b *testing.B) {
		ns := paired(b,
			func() { _, err := codec.Unmarshal(BenchEventType, latest); must(err) },
			func() { must(avro.Unmarshal(s, body, new(BenchEvent))) },
			func() { must(json.Unmarshal(js, new(BenchEvent))) },
		)
		b.ReportMetric(ns[0], "ns/op")
		b.ReportMetric(ns[1], "hamba-ns/op")
		b.ReportMetric(ns[2], "json-ns/op")
		b.ReportMetric(ns[0]/ns[1], "x-hamba")
		b.ReportMetric(ns[2]/ns[0], "json/esgen")
	})
	promotedOld := payload(b, schemaPromotedV1, fp(schemaPromotedV1), map[string]any{
		"name": "n", "kind": "k", "count": 7,
		"items":  []any{map[string]any{"sku": "a", "qty": 1}, map[string]any{"sku": "b", "qty": 2}},
		"labels": map[string]any{"x": "y"}, "tier": "GOLD", "tag": [2]byte{1, 2},
		"extras": map[string]any{}, "opt": nil, "gone": []any{},
	})
	promotedNew, _, err := codec.Marshal(must2(codec.Unmarshal(PromotedType, promotedOld)))
	must(err)
	b.Run("adapted-version", func(b *testing.B) {
		ns := paired(b,
			func() { _, err := codec.Unmarshal(PromotedType, promotedOld); must(err) },
			func() { _, err := codec.Unmarshal(PromotedType, promotedNew); must(err) },
		)
		b.ReportMetric(ns[0], "ns/op")
		b.ReportMetric(ns[1], "same-version-ns/op")
		b.ReportMetric(ns[0]/ns[1], "x-same-version")
	})
	b.Run("old-version", func(b *testing.B) {
		ns := paired(b,
			func() { _, err := codec.Unmarshal(BenchEventType, v1); must(err) },
			func() { _, err := codec.Unmarshal(BenchEventType, latest); must(err) },
		)
		b.ReportMetric(ns[0], "ns/op")
		b.ReportMetric(ns[1], "same-version-ns/op")
		b.ReportMetric(ns[0]/ns[1], "x-same-version")
	})
}

func must2(m eventstore.Message, err error) eventstore.Message {
	if err != nil {
		panic(err)
	}
	return m
}

func oldBenchPayload(b *testing.B) []byte {
	ev := benchEvent()
	return payload(b, schemaBenchEventV1, fp(schemaBenchEventV1), map[string]any{
		"order_id": ev.OrderID, "customer_id": ev.CustomerID, "sku": ev.SKU, "quantity": int(ev.Quantity),
		"unit_price": ev.UnitPrice, "currency": ev.Currency, "express": ev.Express, "created_at": ev.CreatedAt,
		"note": ev.Note, "address": map[string]any{"street": ev.Address.Street, "city": ev.Address.City, "zip": ev.Address.Zip, "country": ev.Address.Country},
	})
}
