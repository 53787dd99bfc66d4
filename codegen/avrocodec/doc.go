// Package avrocodec is the runtime half of the codecs esgen generate writes.
//
// A generated package describes its events (type name, every published schema version,
// a constructor) and hands them to [New]. The resulting [Codec] encodes typed events with
// their latest schema into Avro single-object encoding and decodes payloads written with
// any published version, resolving old writer schemas into today's Go structs.
//
// # Payload format
//
// Every payload is an Avro single-object encoding:
//
//	0xC3 0x01                 marker (2 bytes)
//	fingerprint               CRC-64-AVRO of the writer schema's canonical form,
//	                          8 bytes little-endian
//	body                      the Avro binary encoding of the event
//
// # Basics
//
// Generated code calls [New] once per codec value; there is no global registry and no
// package-level mutable state, so several codecs (and several generated packages) coexist.
// A Codec is safe for concurrent use. Schema resolution for every historical version is
// computed once, in [New].
//
// # Caveats
//
// Errors never panic: malformed input, unknown fingerprints and payloads of another event
// type are returned as errors matching the sentinels in this package with errors.Is.
package avrocodec
