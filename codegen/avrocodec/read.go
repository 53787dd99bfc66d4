package avrocodec

import (
	"time"

	"github.com/hamba/avro/v2"
)

// Decoder is what the decoders esgen generate writes read from: the payload's reader and
// the codec's limits. The helpers below decode exactly as hamba/avro's decoder does.
type Decoder struct {
	R        *avro.Reader
	MaxArray int // the most items an array may have
}

// ReadArray reads array blocks into a new slice; item decodes one item in place. It
// stops at the first error, which it leaves in d.R.Error.
func ReadArray[T any](d *Decoder, item func(d *Decoder, v *T)) []T {
	r := d.R
	s := []T{}
	total := 0
	for {
		n, _ := r.ReadBlockHeader()
		if r.Error != nil || n == 0 {
			return s
		}
		if n < 0 || n > int64(d.MaxArray-total) {
			r.ReportError("decode array", "size is greater than `Config.MaxSliceAllocSize`")
			return s
		}
		start := total
		total += int(n)
		if cap(s) < total {
			grown := make([]T, total, total)
			copy(grown, s)
			s = grown
		} else {
			s = s[:total]
		}
		for i := start; i < total; i++ {
			item(d, &s[i])
			if r.Error != nil {
				return s
			}
		}
	}
}

// ReadMap reads map blocks into a new map; value decodes one value in place.
func ReadMap[V any](d *Decoder, value func(d *Decoder, v *V)) map[string]V {
	r := d.R
	m := map[string]V{}
	for {
		n, _ := r.ReadBlockHeader()
		if r.Error != nil || n == 0 {
			return m
		}
		for range n {
			k := r.ReadString()
			var v V
			value(d, &v)
			if r.Error != nil {
				return m
			}
			m[k] = v
		}
	}
}

// ReadUnionIndex reads a union's branch index and reports an error when it is not below n.
func ReadUnionIndex(r *avro.Reader, n int) int {
	i := r.ReadInt()
	if i < 0 || int(i) >= n {
		r.ReportError("decode union type", "unknown union type")
		return -1
	}
	return int(i)
}

// EnumSymbolError reports an enum index that names no symbol.
func EnumSymbolError(r *avro.Reader) {
	r.ReportError("decode enum symbol", "unknown enum symbol")
}

// ReadDate reads the date logical type.
func ReadDate(r *avro.Reader) time.Time {
	return time.Unix(int64(r.ReadInt())*int64(24*time.Hour/time.Second), 0).UTC()
}

// ReadTimestampMillis reads the timestamp-millis logical type.
func ReadTimestampMillis(r *avro.Reader) time.Time {
	i := r.ReadLong()
	sec := i / 1e3
	return time.Unix(sec, (i-sec*1e3)*1e6).UTC()
}

// ReadTimestampMicros reads the timestamp-micros logical type.
func ReadTimestampMicros(r *avro.Reader) time.Time {
	i := r.ReadLong()
	sec := i / 1e6
	return time.Unix(sec, (i-sec*1e6)*1e3).UTC()
}

// ReadTimeMillis reads the time-millis logical type.
func ReadTimeMillis(r *avro.Reader) time.Duration {
	return time.Duration(r.ReadInt()) * time.Millisecond
}

// ReadTimeMicros reads the time-micros logical type.
func ReadTimeMicros(r *avro.Reader) time.Duration {
	return time.Duration(r.ReadLong()) * time.Microsecond
}

// TextError reports a value its type's UnmarshalText refused (a malformed uuid).
func TextError(r *avro.Reader, err error) {
	if err != nil {
		r.ReportError("textMarshalerCodec", err.Error())
	}
}
