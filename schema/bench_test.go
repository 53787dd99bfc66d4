package schema

import (
	"testing"

	"github.com/hamba/avro/v2"
)

// BenchmarkCanRead compares esgen's checker, which collects every problem
// with its path, with hamba/avro's, which stops at the first (a fresh
// instance each time, as esgen would need to avoid its stale cache).
func BenchmarkCanRead(b *testing.B) {
	set, err := LoadDir("testdata/contracts/ok")
	if err != nil {
		b.Fatal(err)
	}
	ev := set.Event("orders.OrderCreated")
	reader, writer := ev.Versions[1].Schema, ev.Versions[0].Schema
	b.Run("esgen", func(b *testing.B) {
		for b.Loop() {
			if len(CanRead(reader, writer)) != 0 {
				b.Fatal("incompatible")
			}
		}
	})
	b.Run("hamba-baseline", func(b *testing.B) {
		for b.Loop() {
			if avro.NewSchemaCompatibility().Compatible(reader, writer) != nil {
				b.Fatal("incompatible")
			}
		}
	})
}

// BenchmarkFingerprint compares the specification's canonical form and
// CRC-64-AVRO with hamba/avro's (uncached) computation of both.
func BenchmarkFingerprint(b *testing.B) {
	set, err := LoadDir("testdata/contracts/ok")
	if err != nil {
		b.Fatal(err)
	}
	s := set.Event("orders.OrderCreated").Latest().Schema
	b.Run("esgen", func(b *testing.B) {
		for b.Loop() {
			_ = Fingerprint(s)
		}
	})
	b.Run("hamba-baseline", func(b *testing.B) {
		for b.Loop() {
			_ = fingerprintString(s.String())
		}
	})
}

// BenchmarkLoadDir measures loading and validating a small contracts
// directory, beside parsing the same files with hamba/avro alone.
func BenchmarkLoadDir(b *testing.B) {
	set, err := LoadDir("testdata/contracts/ok")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("esgen", func(b *testing.B) {
		for b.Loop() {
			if _, err := LoadDir("testdata/contracts/ok"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hamba-parse-baseline", func(b *testing.B) {
		types, err := avro.ParseFiles("testdata/contracts/ok/_types/Money.avsc")
		if err != nil {
			b.Fatal(err)
		}
		_ = types
		for b.Loop() {
			cache := &avro.SchemaCache{}
			if _, err := avro.ParseBytesWithCache([]byte(`{"type":"record","name":"Money","namespace":"orders.types","fields":[{"name":"currency","type":{"type":"fixed","name":"Currency","size":3}},{"name":"units","type":"long"}]}`), "", cache); err != nil {
				b.Fatal(err)
			}
			for _, ev := range set.Events {
				for _, v := range ev.Versions {
					if _, err := avro.ParseBytesWithCache(v.Raw, "", cache); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
}
