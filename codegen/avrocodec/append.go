package avrocodec

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// The helpers below are called by the encoders esgen generate writes for events whose
// types allow it. They append to a byte slice (no writer, no reflection) exactly the bytes
// hamba/avro's encoder writes for the same values.

// blockLength is the number of items per array block, hamba/avro's default.
const blockLength = 100

// AppendLong appends v as a zig-zag varint (Avro int and long).
func AppendLong(b []byte, v int64) []byte {
	u := (uint64(v) << 1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// AppendInt appends v as a zig-zag varint.
func AppendInt(b []byte, v int32) []byte { return AppendLong(b, int64(v)) }

// AppendBool appends v as one byte.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendFloat appends v as 4 little-endian bytes.
func AppendFloat(b []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

// AppendDouble appends v as 8 little-endian bytes.
func AppendDouble(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// AppendBytes appends v with its length.
func AppendBytes(b []byte, v []byte) []byte {
	return append(AppendLong(b, int64(len(v))), v...)
}

// AppendString appends v with its length.
func AppendString(b []byte, v string) []byte {
	return append(AppendLong(b, int64(len(v))), v...)
}

// AppendArray appends n items as array blocks of at most 100 items, each prefixed with
// its negated item count and its byte size, then the closing empty block.
func AppendArray(b []byte, n int, item func(b []byte, i int) ([]byte, error)) ([]byte, error) {
	var err error
	for start := 0; start < n; start += blockLength {
		end := min(start+blockLength, n)
		at := len(b)
		for i := start; i < end; i++ {
			if b, err = item(b, i); err != nil {
				return b, err
			}
		}
		b = blockHeader(b, at, end-start)
	}
	return append(b, 0), nil
}

// AppendMap appends m as one map block, prefixed with its negated entry count and byte
// size, then the closing empty block.
func AppendMap[V any](b []byte, m map[string]V, value func(b []byte, v V) ([]byte, error)) ([]byte, error) {
	if len(m) > 0 {
		at := len(b)
		var err error
		for k, v := range m {
			b = AppendString(b, k)
			if b, err = value(b, v); err != nil {
				return b, err
			}
		}
		b = blockHeader(b, at, len(m))
	}
	return append(b, 0), nil
}

// blockHeader inserts, at offset at, the header of the block of count items that
// occupies b[at:].
func blockHeader(b []byte, at, count int) []byte {
	var h [20]byte
	hdr := AppendLong(AppendLong(h[:0], -int64(count)), int64(len(b)-at))
	n := len(b)
	b = append(b, hdr...)
	copy(b[at+len(hdr):], b[at:n])
	copy(b[at:], hdr)
	return b
}

// AppendUUID appends u as the 36-character string of the uuid logical type.
func AppendUUID(b []byte, u [16]byte) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, 36<<1)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return b
}

// AppendDate appends t as the date logical type: days since the Unix epoch.
func AppendDate(b []byte, t time.Time) []byte {
	return AppendInt(b, int32(t.Unix()/int64(24*time.Hour/time.Second)))
}

// AppendTimestampMillis appends t as milliseconds since the Unix epoch.
func AppendTimestampMillis(b []byte, t time.Time) []byte {
	return AppendLong(b, t.Unix()*1e3+int64(t.Nanosecond()/1e6))
}

// AppendTimestampMicros appends t as microseconds since the Unix epoch.
func AppendTimestampMicros(b []byte, t time.Time) []byte {
	return AppendLong(b, t.Unix()*1e6+int64(t.Nanosecond()/1e3))
}

// AppendTimeMillis appends d as the time-millis logical type.
func AppendTimeMillis(b []byte, d time.Duration) []byte {
	return AppendInt(b, int32(d.Nanoseconds()/int64(time.Millisecond)))
}

// AppendTimeMicros appends d as the time-micros logical type.
func AppendTimeMicros(b []byte, d time.Duration) []byte {
	return AppendLong(b, d.Nanoseconds()/int64(time.Microsecond))
}

// EnumError reports that symbol is not a symbol of enum.
func EnumError(enum, symbol string) error {
	return fmt.Errorf("%q is not a symbol of enum %s", symbol, enum)
}
