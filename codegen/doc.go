// Package codegen writes the Go package of an esgen project: typed events, a codec, and
// the glue that the aggregate and projection packages run, from the contracts that
// package schema loads. It is the library behind `esgen generate`; docs/codegen.md is the
// user's guide.
//
// # Basics
//
// [Generate] takes the project file (a *schema.Config) and the contracts (a *schema.Set)
// and returns the files of the package, formatted, sorted and byte-identical for
// identical input. [Plan] compares them with a folder and lists what is missing, stale or
// extra (files carrying the esgen [Header] that are no longer generated); [Apply] writes
// a plan. `esgen generate --check` is Plan without Apply.
//
// What is written, for a package with aggregates and projections:
//
//	events.go                  event structs, named types, enums, sealed unions
//	codec.go                   Codec, NewCodec and every published schema version
//	encoders.go                encoders and decoders without reflection for simple records
//	<aggregate>_aggregate.go   Applier interface, Base, Record helpers, dispatch, Type
//	<projection>_projection.go Handler interface, Ignore base, adapter to projection.Handler
//
// The generated codec is a thin layer over package
// [github.com/esgen/esgen/codegen/avrocodec], which does the single-object encoding, the
// lookup of writer versions by fingerprint and Avro schema resolution.
//
// # Caveats
//
// Generated names come from Avro names; two contracts whose names map to the same Go
// identifier are reported as an error naming both rather than renamed silently. Unions
// of two branches that become the same Go type (a date and a timestamp) are refused,
// since the encoder could not tell them apart.
package codegen
