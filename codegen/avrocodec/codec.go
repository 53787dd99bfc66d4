package avrocodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/hamba/avro/v2"
	"github.com/modern-go/reflect2"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/schema"
)

// HeaderSize is the length of the single-object encoding header: the two marker bytes
// and the 8-byte fingerprint.
const HeaderSize = 10

// The single-object encoding marker.
const (
	Magic0 = 0xC3
	Magic1 = 0x01
)

// Version is one published version of an event's schema, as embedded in generated code.
type Version struct {
	Number      int    // 1-based version number
	Fingerprint uint64 // CRC-64-AVRO of the canonical form
	Schema      string // the schema as standalone JSON, named types inlined
}

// Event describes one event type of a generated package.
type Event struct {
	Type     string                    // the event type, the record's Avro full name
	Versions []Version                 // every published version, ascending; the last is written
	New      func() eventstore.Message // returns a new, empty event (a pointer to its struct)
	// Append, when set, appends the encoding of an event (a value New returns) with the
	// latest schema, without reflection; when nil, hamba/avro's encoder is used.
	Append func(b []byte, m eventstore.Message) ([]byte, error)
	// Read, when set, decodes a payload of the latest version into an event (a value New
	// returns) without reflection; when nil, hamba/avro's decoder is used.
	Read func(d *Decoder, m eventstore.Message)
}

// Type registers an Avro named type (or a union branch name such as "array:string") with
// the Go value it decodes into when it appears as a branch of a union.
type Type struct {
	Name  string
	Value any
}

// Config is what a generated package hands to [New].
type Config struct {
	Events []Event
	Types  []Type
	Limits Limits
}

// Limits bound what a decoder allocates for one payload, so that a corrupt or hostile
// length prefix cannot exhaust memory. Zero values select the defaults.
type Limits struct {
	// MaxArrayLen is the largest number of items an array may have; default 65536.
	MaxArrayLen int
	// MaxBytesLen is the largest string or bytes value, in bytes; default 1 MiB.
	MaxBytesLen int
}

// Default limits.
const (
	DefaultMaxArrayLen = 1 << 16
	DefaultMaxBytesLen = 1 << 20
)

// Codec encodes and decodes the events of one generated package. It is safe for
// concurrent use.
type Codec struct {
	api      avro.API
	events   map[string]*event
	byType   map[uintptr]*event // by the Go type of the event's struct pointer
	maxArray int
	byFP     map[uint64]*version
	err      error
	writers  sync.Pool
	readers  sync.Pool
	buffers  sync.Pool // *[]byte for generated encoders
}

type event struct {
	typ    string
	new    func() eventstore.Message
	latest *version
	header [HeaderSize]byte
	rtype  uintptr         // the Go type New returns
	enc    avro.ValEncoder // the latest schema's encoder for that type
	append func(b []byte, m eventstore.Message) ([]byte, error)
	read   func(d *Decoder, m eventstore.Message)
}

type version struct {
	event  *event
	number int
	fp     uint64
	schema avro.Schema     // the writer schema as parsed
	read   avro.Schema     // what payloads of this version are decoded with
	dec    avro.ValDecoder // read's decoder for the event's Go type
	adapt  step            // rewrites payloads before decoding with read; nil when not needed
	err    error           // why this version cannot be decoded, if it cannot
}

// New builds a codec from the events of a generated package: it parses every embedded
// schema, checks its fingerprint and resolves every historical version against the latest
// one. A codec that could not be built returns the reason from every call and from
// [Codec.Err].
func New(cfg Config) *Codec {
	maxArray, maxBytes := cfg.Limits.MaxArrayLen, cfg.Limits.MaxBytesLen
	if maxArray <= 0 {
		maxArray = DefaultMaxArrayLen
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytesLen
	}
	c := &Codec{
		api: avro.Config{
			TagKey:               "avro",
			UnionResolutionError: true,
			MaxSliceAllocSize:    maxArray,
			MaxByteSliceSize:     maxBytes,
		}.Freeze(),
		events:   make(map[string]*event, len(cfg.Events)),
		byType:   make(map[uintptr]*event, len(cfg.Events)),
		maxArray: maxArray,
		byFP:     map[uint64]*version{},
	}
	for _, t := range cfg.Types {
		c.api.Register(t.Name, t.Value)
	}
	c.buffers.New = func() any { b := make([]byte, 0, 512); return &b }
	c.writers.New = func() any { return avro.NewWriter(nil, 512, avro.WithWriterConfig(c.api)) }
	c.readers.New = func() any {
		return &Decoder{R: avro.NewReader(nil, 0, avro.WithReaderConfig(c.api)), MaxArray: maxArray}
	}
	var errs []error
	for _, e := range cfg.Events {
		if err := c.add(e); err != nil {
			errs = append(errs, err)
		}
	}
	c.err = errors.Join(errs...)
	return c
}

func (c *Codec) add(e Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("avrocodec: event %s: %v", e.Type, r)
		}
	}()
	if len(e.Versions) == 0 {
		return fmt.Errorf("avrocodec: event %s has no versions", e.Type)
	}
	if e.New == nil {
		return fmt.Errorf("avrocodec: event %s has no constructor", e.Type)
	}
	if _, dup := c.events[e.Type]; dup {
		return fmt.Errorf("avrocodec: event %s is declared twice", e.Type)
	}
	ev := &event{typ: e.Type, new: e.New, append: e.Append, read: e.Read}
	var versions []*version
	for _, v := range e.Versions {
		s, err := avro.ParseWithCache(v.Schema, "", &avro.SchemaCache{})
		if err != nil {
			return fmt.Errorf("avrocodec: event %s version %d: parse schema: %w", e.Type, v.Number, err)
		}
		if got := fingerprint(s); got != v.Fingerprint {
			return fmt.Errorf("avrocodec: event %s version %d: schema fingerprint is %#016x, generated code says %#016x; regenerate with the same esgen and hamba/avro versions", e.Type, v.Number, got, v.Fingerprint)
		}
		if other, dup := c.byFP[v.Fingerprint]; dup {
			return fmt.Errorf("avrocodec: event %s version %d has the same schema (fingerprint %#016x) as %s version %d", e.Type, v.Number, v.Fingerprint, other.event.typ, other.number)
		}
		ver := &version{event: ev, number: v.Number, fp: v.Fingerprint, schema: s}
		c.byFP[v.Fingerprint] = ver
		versions = append(versions, ver)
	}
	ev.latest = versions[len(versions)-1]
	ev.latest.read = ev.latest.schema
	ev.header[0], ev.header[1] = Magic0, Magic1
	binary.LittleEndian.PutUint64(ev.header[2:], ev.latest.fp)
	for _, v := range versions[:len(versions)-1] {
		v.read, v.adapt, v.err = resolve(ev.latest.schema, v.schema, c.maxArray)
		if v.err != nil {
			v.err = fmt.Errorf("%w: %s version %d cannot be read as version %d: %v", ErrIncompatible, e.Type, v.number, ev.latest.number, v.err)
		}
	}
	// Build the encoder and decoders once, for the Go type the event decodes into, so that
	// no call pays for hamba's cache lookups.
	sample := e.New()
	if sample == nil || sample.EventType() != e.Type {
		return fmt.Errorf("avrocodec: the constructor of event %s returns a value of another event type", e.Type)
	}
	typ := reflect2.TypeOf(sample)
	if typ.Kind() != reflect.Ptr {
		return fmt.Errorf("avrocodec: the constructor of event %s returns %T, want a pointer to a struct", e.Type, sample)
	}
	ev.rtype = reflect2.RTypeOf(sample)
	ev.enc = c.api.EncoderOf(ev.latest.schema, typ)
	for _, v := range versions {
		if v.err == nil {
			v.dec = c.api.DecoderOf(v.read, typ)
		}
	}
	c.events[e.Type] = ev
	if _, dup := c.byType[ev.rtype]; dup {
		return fmt.Errorf("avrocodec: event %s uses the Go type %T of another event", e.Type, sample)
	}
	c.byType[ev.rtype] = ev
	return nil
}

func fingerprint(s avro.Schema) uint64 {
	return schema.Fingerprint(s)
}

// Err reports why the codec could not be built, or nil.
func (c *Codec) Err() error { return c.err }

// EventTypes lists the event types the codec knows, sorted.
func (c *Codec) EventTypes() []string {
	out := make([]string, 0, len(c.events))
	for t := range c.events {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Fingerprint returns the fingerprint of the schema version that Marshal writes for the
// event type.
func (c *Codec) Fingerprint(eventType string) (uint64, bool) {
	ev, ok := c.events[eventType]
	if !ok {
		return 0, false
	}
	return ev.latest.fp, true
}

// Marshal encodes m with the latest schema of its event type into a single-object
// encoding and returns it with the writer schema's fingerprint.
func (c *Codec) Marshal(m eventstore.Message) ([]byte, uint64, error) {
	return c.encode(nil, m, true)
}

// AppendMarshal is Marshal appending to dst; it allocates nothing when dst has room.
func (c *Codec) AppendMarshal(dst []byte, m eventstore.Message) ([]byte, uint64, error) {
	return c.encode(dst, m, false)
}

// encode appends the payload of m to dst, or returns it in a new slice of exactly its
// size when exact is set.
func (c *Codec) encode(dst []byte, m eventstore.Message, exact bool) (out []byte, fp uint64, err error) {
	if c.err != nil {
		return dst, 0, c.err
	}
	if m == nil {
		return dst, 0, fmt.Errorf("%w: cannot encode a nil event", ErrInvalidEvent)
	}
	ev, ok := c.byType[reflect2.RTypeOf(m)]
	if !ok {
		if _, known := c.events[m.EventType()]; known {
			return dst, 0, fmt.Errorf("%w: %T claims event type %s but is not the struct generated for it", ErrUnknownEventType, m, m.EventType())
		}
		return dst, 0, fmt.Errorf("%w: %s is not an event of this codec (it knows %s)", ErrUnknownEventType, m.EventType(), strings.Join(c.EventTypes(), ", "))
	}
	ptr := reflect2.PtrOf(m)
	if ptr == nil {
		return dst, 0, fmt.Errorf("%w: cannot encode a nil *%s", ErrInvalidEvent, ev.typ)
	}
	defer func() {
		if r := recover(); r != nil {
			out, fp, err = dst, 0, fmt.Errorf("%w: encode %s: %v", ErrInvalidEvent, ev.typ, r)
		}
	}()
	if ev.append != nil {
		if exact {
			return c.appendExact(ev, m)
		}
		b, err := ev.append(append(dst, ev.header[:]...), m)
		if err != nil {
			return dst, 0, fmt.Errorf("%w: encode %s: %v", ErrInvalidEvent, ev.typ, err)
		}
		return b, ev.latest.fp, nil
	}
	w := c.writers.Get().(*avro.Writer)
	defer c.writers.Put(w)
	w.Reset(nil)
	w.Error = nil
	_, _ = w.Write(ev.header[:])
	ev.enc.Encode(ptr, w)
	if w.Error != nil {
		return dst, 0, fmt.Errorf("%w: encode %s: %v", ErrInvalidEvent, ev.typ, w.Error)
	}
	buf := w.Buffer()
	if exact {
		out = make([]byte, len(buf))
		copy(out, buf)
		return out, ev.latest.fp, nil
	}
	return append(dst, buf...), ev.latest.fp, nil
}

// appendExact encodes m with its generated encoder into a pooled buffer and returns a copy
// of exactly the payload's size.
func (c *Codec) appendExact(ev *event, m eventstore.Message) ([]byte, uint64, error) {
	bp := c.buffers.Get().(*[]byte)
	defer c.buffers.Put(bp)
	b, err := ev.append(append((*bp)[:0], ev.header[:]...), m)
	*bp = b
	if err != nil {
		return nil, 0, fmt.Errorf("%w: encode %s: %v", ErrInvalidEvent, ev.typ, err)
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out, ev.latest.fp, nil
}

// Unmarshal decodes a payload of the given event type, written with any published version
// of its schema, into a new value of today's struct.
func (c *Codec) Unmarshal(eventType string, data []byte) (eventstore.Message, error) {
	if c.err != nil {
		return nil, c.err
	}
	v, body, err := c.version(eventType, data)
	if err != nil {
		if _, ok := c.events[eventType]; !ok {
			return nil, fmt.Errorf("%w: %s is not an event of this codec (it knows %s)", ErrUnknownEventType, eventType, strings.Join(c.EventTypes(), ", "))
		}
		return nil, err
	}
	m := v.event.new()
	if err := c.decode(v, body, m); err != nil {
		return nil, err
	}
	return m, nil
}

// version checks the header of data and returns the writer version and the body.
func (c *Codec) version(eventType string, data []byte) (*version, []byte, error) {
	if len(data) < HeaderSize {
		return nil, nil, fmt.Errorf("%w: decode %s: payload is %d bytes, a single-object encoding needs at least %d (marker 0xC3 0x01 and an 8-byte fingerprint)", ErrMalformed, eventType, len(data), HeaderSize)
	}
	if data[0] != Magic0 || data[1] != Magic1 {
		return nil, nil, fmt.Errorf("%w: decode %s: payload starts with %#02x %#02x, want the single-object marker 0xc3 0x01; it was not written by an esgen codec", ErrMalformed, eventType, data[0], data[1])
	}
	fp := binary.LittleEndian.Uint64(data[2:HeaderSize])
	v, ok := c.byFP[fp]
	if !ok {
		return nil, nil, &FingerprintError{EventType: eventType, Fingerprint: fp}
	}
	if v.event.typ != eventType {
		return nil, nil, &FingerprintError{EventType: eventType, Fingerprint: fp, Found: v.event.typ}
	}
	if v.err != nil {
		return nil, nil, v.err
	}
	return v, data[HeaderSize:], nil
}

func (c *Codec) decode(v *version, body []byte, m eventstore.Message) (err error) {
	d := c.readers.Get().(*Decoder)
	r := d.R
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: decode %s version %d: %v", ErrMalformed, v.event.typ, v.number, p)
		}
		r.Reset(nil)
		r.Error = nil
		c.readers.Put(d)
	}()
	if v.adapt != nil {
		w := c.writers.Get().(*avro.Writer)
		defer func() {
			w.Reset(nil)
			w.Error = nil
			c.writers.Put(w)
		}()
		w.Reset(nil)
		w.Error = nil
		r.Reset(body)
		r.Error = nil
		v.adapt(r, w)
		if err := c.checkEnd(v, r); err != nil {
			return err
		}
		body = w.Buffer()
	}
	r.Reset(body)
	r.Error = nil
	if v == v.event.latest && v.event.read != nil {
		v.event.read(d, m)
	} else {
		v.dec.Decode(reflect2.PtrOf(m), r)
	}
	return c.checkEnd(v, r)
}

// checkEnd reports a read error, or bytes left after the event.
func (c *Codec) checkEnd(v *version, r *avro.Reader) error {
	if r.Error != nil {
		return fmt.Errorf("%w: decode %s version %d: %v", ErrMalformed, v.event.typ, v.number, r.Error)
	}
	if r.Peek(); r.Error == nil {
		return fmt.Errorf("%w: decode %s version %d: trailing bytes after the event", ErrMalformed, v.event.typ, v.number)
	}
	r.Error = nil
	return nil
}
