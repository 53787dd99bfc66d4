// Package memory is an in-memory [projection.Target]: checkpoints, leases, dead letters and
// snapshots held in the process, for in-memory read models, tests and prototypes.
//
// Its transaction type is [projection.NoTx]: the handler's writes are not part of the unit,
// so an in-memory read model gets at-least-once delivery (see docs/guarantees.md); handlers
// make it effectively once by keying their writes on the event's position or ID. Leases
// expire by the process clock, which is only meaningful between runners of one process.
package memory
