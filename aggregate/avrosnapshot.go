package aggregate

import (
	"encoding/binary"
	"fmt"

	"github.com/hamba/avro/v2"
)

// AvroSnapshotCodec encodes an aggregate's snapshot state S with an Avro record schema you
// give, and decodes snapshots written with that schema or any earlier one you list, by Avro
// schema resolution. So the snapshot format evolves like an event contract: add a field with
// a default, list the old schema as previous, and old snapshots keep loading, with no
// [Snapshotter.SnapshotVersion] bump. Bump the version (and drop the old schemas) only for
// a change old snapshots cannot be resolved across.
//
// Payloads use Avro single-object encoding (0xC3 0x01, the writer schema's CRC-64-AVRO
// fingerprint, then the binary body), so each snapshot names its writer schema. A codec is
// safe for concurrent use.
type AvroSnapshotCodec[S any] struct {
	version int
	api     avro.API
	schema  avro.Schema
	fp      uint64
	readers map[uint64]avro.Schema // by writer fingerprint: the schema to decode with
}

// NewAvroSnapshotCodec returns a codec of snapshot schema version version (>= 1) that writes
// with schema and reads snapshots written with schema or any of previous. It fails if a
// schema does not parse or a previous schema cannot be resolved into schema.
func NewAvroSnapshotCodec[S any](version int, schema string, previous ...string) (*AvroSnapshotCodec[S], error) {
	if version < 1 {
		return nil, fmt.Errorf("aggregate: avro snapshot codec: version %d; start at 1", version)
	}
	cur, fp, err := parseSnapshotSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("aggregate: avro snapshot codec: schema: %w", err)
	}
	c := &AvroSnapshotCodec[S]{version: version, api: avro.Config{}.Freeze(), schema: cur, fp: fp,
		readers: map[uint64]avro.Schema{fp: cur}}
	for i, p := range previous {
		w, wfp, err := parseSnapshotSchema(p)
		if err != nil {
			return nil, fmt.Errorf("aggregate: avro snapshot codec: previous schema %d: %w", i+1, err)
		}
		if _, dup := c.readers[wfp]; dup {
			continue
		}
		resolved, err := avro.NewSchemaCompatibility().Resolve(cur, w)
		if err != nil {
			return nil, fmt.Errorf("aggregate: avro snapshot codec: previous schema %d cannot be read by the current schema (%v); give defaults to added fields, or bump the snapshot version and drop the old schema", i+1, err)
		}
		c.readers[wfp] = resolved
	}
	var probe S
	if _, err := c.api.Marshal(cur, &probe); err != nil {
		return nil, fmt.Errorf("aggregate: avro snapshot codec: %T does not match the schema: %w", probe, err)
	}
	return c, nil
}

func parseSnapshotSchema(s string) (avro.Schema, uint64, error) {
	sch, err := avro.ParseWithCache(s, "", &avro.SchemaCache{})
	if err != nil {
		return nil, 0, err
	}
	if sch.Type() != avro.Record {
		return nil, 0, fmt.Errorf("the schema is a %s; a snapshot schema must be a record", sch.Type())
	}
	b, err := sch.FingerprintUsing(avro.CRC64Avro)
	if err != nil {
		return nil, 0, err
	}
	return sch, binary.BigEndian.Uint64(b), nil
}

// Version returns the snapshot schema version, for [Snapshotter.SnapshotVersion].
func (c *AvroSnapshotCodec[S]) Version() int { return c.version }

// Marshal encodes s with the current schema.
func (c *AvroSnapshotCodec[S]) Marshal(s *S) ([]byte, error) {
	body, err := c.api.Marshal(c.schema, s)
	if err != nil {
		return nil, fmt.Errorf("aggregate: encode avro snapshot: %w", err)
	}
	out := make([]byte, 10, 10+len(body))
	out[0], out[1] = 0xC3, 0x01
	binary.LittleEndian.PutUint64(out[2:], c.fp)
	return append(out, body...), nil
}

// Unmarshal decodes data, written with the current or a previous schema, into s.
func (c *AvroSnapshotCodec[S]) Unmarshal(data []byte, s *S) error {
	if len(data) < 10 || data[0] != 0xC3 || data[1] != 0x01 {
		return fmt.Errorf("aggregate: decode avro snapshot: not Avro single-object encoding (want 0xC3 0x01 and a fingerprint, got %d bytes)", len(data))
	}
	fp := binary.LittleEndian.Uint64(data[2:10])
	reader, ok := c.readers[fp]
	if !ok {
		return fmt.Errorf("aggregate: decode avro snapshot: written with an unknown schema (fingerprint %016x); list that schema as a previous schema of the codec", fp)
	}
	if err := c.api.Unmarshal(reader, data[10:], s); err != nil {
		return fmt.Errorf("aggregate: decode avro snapshot: %w", err)
	}
	return nil
}
