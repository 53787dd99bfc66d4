// Package schema holds esgen's Avro event contracts: loading and validating
// a contracts directory, canonical forms and CRC-64-AVRO fingerprints,
// compatibility levels as the Confluent schema registry defines them,
// immutability of published versions, and registries (the contracts
// directory and any Confluent-compatible registry).
//
// # Layout
//
// A contracts directory holds one folder per event, named after the event
// record's short name, with one file per published version:
//
//	contracts/
//	  _types/Money.avsc          shared named types (optional)
//	  OrderCreated/v1.avsc
//	  OrderCreated/v2.avsc
//	  OrderShipped/v1.avsc
//
// The record's full Avro name ("orders.OrderCreated") is the event type.
// Versions are numbered 1..N without gaps and, once published, never change.
//
// # Basics
//
// [LoadDir] reads and validates a directory and returns a [Set]; every
// problem found is reported at once in a [*LoadError], each [Problem] with
// its file and JSON path. [LoadConfig] reads esgen.yaml into a [Config].
// [ParseSchema] validates one standalone schema of any kind.
//
// [CanRead] applies the Avro schema-resolution rules to a reader and a
// writer schema and returns every [Incompatibility] with its field path and
// [Rule]. [CheckLevel], [CheckEvent] and [CheckSet] apply a [Level] to a
// history of versions and return [Finding] values naming the version pair.
//
// [LoadGitRef] reads the contracts as they are at a git revision and
// [CheckImmutable] reports published versions that were edited or removed.
//
// [Registry] is implemented by [DirRegistry] and [ConfluentRegistry];
// [Push], [Pull] and [RegistryCheck] keep a registry and the directory in
// step. Registry failures are [*RegistryError] values matching
// [ErrUnauthorized], [ErrNotFound], [ErrConflict], [ErrRejected] or
// [ErrUnavailable].
//
// # Caveats
//
// [Canonical] and [Fingerprint] follow the Avro specification and strip
// logical types, unlike hamba/avro's String and FingerprintUsing; use these
// functions wherever fingerprints must match other languages.
// hamba/avro's SchemaCompatibility caches verdicts by fingerprint and can
// answer from a stale entry when reused; [CanRead] keeps no state.
// Registry schema references are not resolved: esgen registers each version
// with its shared types inline.
package schema
