package schema

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
)

// Canonical returns the Parsing Canonical Form of s as the Avro
// specification defines it: full names, only the attributes that matter
// for parsing (type, name, fields, symbols, items, values, size) in that
// order, no white space. Logical types are stripped, as the specification
// and the Java implementation do (hamba/avro's String keeps them, so its
// fingerprints differ from other languages' for schemas with logical types).
func Canonical(s avro.Schema) string {
	var b strings.Builder
	writeCanonical(&b, s, map[string]bool{})
	return b.String()
}

func quote(b *strings.Builder, s string) {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c == '_' || c == '.' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	}
	if plain {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	q, err := json.Marshal(s)
	if err != nil {
		b.WriteString(strconv.Quote(s))
		return
	}
	b.Write(q)
}

func writeCanonical(b *strings.Builder, s avro.Schema, seen map[string]bool) {
	switch t := s.(type) {
	case *avro.RefSchema:
		quote(b, t.Schema().(avro.NamedSchema).FullName())
	case *avro.RecordSchema:
		if seen[t.FullName()] {
			quote(b, t.FullName())
			return
		}
		seen[t.FullName()] = true
		b.WriteString(`{"name":`)
		quote(b, t.FullName())
		b.WriteString(`,"type":"record","fields":[`)
		for i, f := range t.Fields() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":`)
			quote(b, f.Name())
			b.WriteString(`,"type":`)
			writeCanonical(b, f.Type(), seen)
			b.WriteByte('}')
		}
		b.WriteString("]}")
	case *avro.EnumSchema:
		if seen[t.FullName()] {
			quote(b, t.FullName())
			return
		}
		seen[t.FullName()] = true
		b.WriteString(`{"name":`)
		quote(b, t.FullName())
		b.WriteString(`,"type":"enum","symbols":[`)
		for i, sym := range t.Symbols() {
			if i > 0 {
				b.WriteByte(',')
			}
			quote(b, sym)
		}
		b.WriteString("]}")
	case *avro.FixedSchema:
		if seen[t.FullName()] {
			quote(b, t.FullName())
			return
		}
		seen[t.FullName()] = true
		b.WriteString(`{"name":`)
		quote(b, t.FullName())
		b.WriteString(`,"type":"fixed","size":`)
		b.WriteString(strconv.Itoa(t.Size()))
		b.WriteByte('}')
	case *avro.ArraySchema:
		b.WriteString(`{"type":"array","items":`)
		writeCanonical(b, t.Items(), seen)
		b.WriteByte('}')
	case *avro.MapSchema:
		b.WriteString(`{"type":"map","values":`)
		writeCanonical(b, t.Values(), seen)
		b.WriteByte('}')
	case *avro.UnionSchema:
		b.WriteByte('[')
		for i, u := range t.Types() {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, u, seen)
		}
		b.WriteByte(']')
	default:
		// Primitives (null, boolean, int, long, float, double, bytes,
		// string), with any logical type stripped.
		quote(b, string(s.Type()))
	}
}

// Fingerprint returns the CRC-64-AVRO (Rabin) fingerprint of the Parsing
// Canonical Form of s (see Canonical): the value Avro single-object
// encoding writes, little-endian, after its 0xC3 0x01 marker, and the one
// Java's SchemaNormalization.parsingFingerprint64 computes.
func Fingerprint(s avro.Schema) uint64 {
	return fingerprintString(Canonical(s))
}

// fingerprintString computes CRC-64-AVRO as the Avro specification defines it.
func fingerprintString(canonical string) uint64 {
	const empty = 0xc15d213aa4d7a795
	fp := uint64(empty)
	for i := 0; i < len(canonical); i++ {
		fp = (fp >> 8) ^ fpTable[byte(fp)^canonical[i]]
	}
	return fp
}

// fpTable is the constant lookup table of CRC-64-AVRO, computed once.
var fpTable = func() (t [256]uint64) {
	const empty = 0xc15d213aa4d7a795
	for i := range t {
		fp := uint64(i)
		for range 8 {
			fp = (fp >> 1) ^ (empty & -(fp & 1))
		}
		t[i] = fp
	}
	return t
}()

// layout is what must never change in a published version: the canonical
// form plus logical types, which change the generated Go types even though
// they leave the binary encoding alone.
func layout(s avro.Schema) string { return s.String() }
