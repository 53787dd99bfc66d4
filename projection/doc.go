// Package projection runs checkpointed projections from an event store's global log into read
// models, with exactly-once effects where the read model and checkpoint share a transaction.
package projection
