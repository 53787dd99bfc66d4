package schema

import (
	"encoding/binary"

	"github.com/hamba/avro/v2"
)

// Canonical returns the Avro Parsing Canonical Form of s.
func Canonical(s avro.Schema) string { return s.String() }

// Fingerprint returns the CRC-64-AVRO (Rabin) fingerprint of the canonical
// form of s, the value Avro single-object encoding writes (little-endian)
// after its 0xC3 0x01 marker.
func Fingerprint(s avro.Schema) uint64 {
	b, err := s.FingerprintUsing(avro.CRC64Avro)
	if err != nil || len(b) != 8 {
		// CRC64Avro is a built-in algorithm; hamba only fails for unknown ones.
		return fingerprintString(s.String())
	}
	return binary.BigEndian.Uint64(b)
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
