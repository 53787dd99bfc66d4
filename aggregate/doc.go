// Package aggregate loads and saves event-sourced aggregates: optimistic-concurrency
// repositories over an eventstore.Store, snapshots, and idempotent commands.
package aggregate
