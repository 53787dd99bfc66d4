// Package schema holds esgen's Avro event contracts: loading and validating
// a contracts directory, canonical forms and CRC-64-AVRO fingerprints,
// compatibility levels as the Confluent schema registry defines them, and
// registries (the contracts directory and any Confluent-compatible registry).
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
// problem found is reported at once in a [*LoadError]. [LoadConfig] reads
// esgen.yaml.
package schema
