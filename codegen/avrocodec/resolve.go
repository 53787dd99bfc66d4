package avrocodec

import "github.com/hamba/avro/v2"

// resolve returns the schema that decodes data written with writer into values of
// reader's Go types.
func resolve(reader, writer avro.Schema) (avro.Schema, error) {
	return avro.NewSchemaCompatibility().Resolve(reader, writer)
}
