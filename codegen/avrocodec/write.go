package avrocodec

import (
	"fmt"
	"time"

	"github.com/hamba/avro/v2"
)

// The helpers below are called by the encoders esgen generate writes for events whose
// types allow it; they write exactly the bytes hamba/avro writes for the same values.

// blockLength is the number of items per array block, hamba/avro's default.
const blockLength = 100

// WriteArray writes n items as array blocks of at most 100 items, each prefixed with its
// item count and byte size, and the closing empty block.
func WriteArray(w *avro.Writer, n int, item func(w *avro.Writer, i int)) {
	for start := 0; start < n; start += blockLength {
		end := min(start+blockLength, n)
		w.WriteBlockCB(func(w *avro.Writer) int64 {
			for i := start; i < end; i++ {
				item(w, i)
			}
			return int64(end - start)
		})
	}
	w.WriteLong(0)
}

// WriteMap writes m as one map block, prefixed with its entry count and byte size, and the
// closing empty block.
func WriteMap[V any](w *avro.Writer, m map[string]V, value func(w *avro.Writer, v V)) {
	if len(m) > 0 {
		w.WriteBlockCB(func(w *avro.Writer) int64 {
			for k, v := range m {
				w.WriteString(k)
				value(w, v)
			}
			return int64(len(m))
		})
	}
	w.WriteLong(0)
}

// WriteUUID writes u as the 36-character string of the uuid logical type.
func WriteUUID(w *avro.Writer, u [16]byte) {
	const hexDigits = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&0x0f]
		j += 2
	}
	w.WriteBytes(b[:])
}

// WriteDate writes t as the date logical type: days since the Unix epoch.
func WriteDate(w *avro.Writer, t time.Time) {
	w.WriteInt(int32(t.Unix() / int64(24*time.Hour/time.Second)))
}

// WriteTimestampMillis writes t as milliseconds since the Unix epoch.
func WriteTimestampMillis(w *avro.Writer, t time.Time) {
	w.WriteLong(t.Unix()*1e3 + int64(t.Nanosecond()/1e6))
}

// WriteTimestampMicros writes t as microseconds since the Unix epoch.
func WriteTimestampMicros(w *avro.Writer, t time.Time) {
	w.WriteLong(t.Unix()*1e6 + int64(t.Nanosecond()/1e3))
}

// WriteTimeMillis writes d as the time-millis logical type.
func WriteTimeMillis(w *avro.Writer, d time.Duration) {
	w.WriteInt(int32(d.Nanoseconds() / int64(time.Millisecond)))
}

// WriteTimeMicros writes d as the time-micros logical type.
func WriteTimeMicros(w *avro.Writer, d time.Duration) {
	w.WriteLong(d.Nanoseconds() / int64(time.Microsecond))
}

// EnumError records that symbol is not a symbol of enum, unless an error is already set.
func EnumError(w *avro.Writer, enum, symbol string) {
	if w.Error == nil {
		w.Error = fmt.Errorf("%q is not a symbol of enum %s", symbol, enum)
	}
}
