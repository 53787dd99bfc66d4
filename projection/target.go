package projection

import (
	"context"
	"time"

	"github.com/esgen/esgen/eventstore"
)

// Target is where a projection's read model, checkpoint, lease and dead letters live: the seam
// between the [Runner] and a storage backend. Implementations: projection/postgres (Tx is
// pgx.Tx), projection/sqlite (Tx is *sql.Tx) and projection/memory (Tx is [NoTx]); [AtLeastOnce]
// and [SnapshotTarget] wrap them. All methods are safe for concurrent use.
//
// A Target stores checkpoints per projection and version: version 1 is created, active, at
// [eventstore.Start] the first time a projection is loaded; a rebuild creates the next version
// beside it and [Unit.Activate] swaps them.
type Target[Tx any] interface {
	// Begin starts a unit of work: one transaction in which the handler's writes, the
	// checkpoint update and dead-letter changes commit together.
	Begin(ctx context.Context) (Unit[Tx], error)

	// LoadCheckpoint returns the active version's checkpoint of a projection, creating
	// version 1 at Start if the projection has none.
	LoadCheckpoint(ctx context.Context, projection string) (Checkpoint, error)

	// Checkpoints returns the checkpoints of every version of a projection (none for an
	// unknown projection), ordered by version.
	Checkpoints(ctx context.Context, projection string) ([]Checkpoint, error)

	// Claim takes the lease named key for owner for ttl, measured by the target's clock (the
	// database's, for database targets). It succeeds when the lease is free, expired or
	// already held by owner; a new holder gets the next epoch. A lease held by another owner
	// fails with a [*LeaseHeldError] matching [ErrLeaseHeld].
	Claim(ctx context.Context, key, owner string, ttl time.Duration) (Lease, error)

	// Renew extends a held lease by ttl from now. It fails with [ErrLeaseLost] when the
	// lease expired or another owner or epoch holds it.
	Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)

	// Release gives a held lease up (it expires at once); releasing a lost lease is not an
	// error.
	Release(ctx context.Context, l Lease) error

	// CurrentLease returns the lease named key as stored, and false when there is none.
	CurrentLease(ctx context.Context, key string) (Lease, bool, error)

	// DeadLetters lists the unresolved dead letters of a projection, oldest first.
	DeadLetters(ctx context.Context, projection string) ([]DeadLetter, error)

	// CountDeadLetters counts the unresolved dead letters of a projection.
	CountDeadLetters(ctx context.Context, projection string) (int, error)

	// LoadSnapshot returns the snapshot saved for a projection version, and false when there
	// is none.
	LoadSnapshot(ctx context.Context, projection string, version int) (Snapshot, bool, error)
}

// Unit is one unit of work of a [Target]. Every method but Tx does I/O inside the unit's
// transaction; nothing is visible to others until Commit. After Commit or Rollback the unit
// is finished.
type Unit[Tx any] interface {
	// Tx is what the handler writes the read model through.
	Tx() Tx

	// Advance moves a checkpoint, compare-and-set: it succeeds only if the checkpoint of
	// a.Projection version a.Version is at a.From and the lease a.Lease (key and epoch) is
	// still current; with a.RequireActive the version must also be the active one. Otherwise it
	// fails with [ErrFenced], [ErrCheckpointMoved] or [ErrNotActive] (possibly only at Commit).
	Advance(ctx context.Context, a Advance) error

	// Park stores a dead letter.
	Park(ctx context.Context, d DeadLetter) error

	// Resolve removes a dead letter of projection. A missing one fails with
	// [ErrDeadLetterNotFound].
	Resolve(ctx context.Context, projection string, id int64) error

	// CreateVersion adds an inactive version of a projection with its checkpoint at Start;
	// an existing version is reset to Start.
	CreateVersion(ctx context.Context, projection string, version int) error

	// LockCheckpoints returns every version's checkpoint of a projection, locked against
	// concurrent Advance until the unit ends.
	LockCheckpoints(ctx context.Context, projection string) ([]Checkpoint, error)

	// Activate makes version the active version of projection (and every other version
	// inactive).
	Activate(ctx context.Context, projection string, version int) error

	// DropVersion deletes an inactive version's checkpoint and snapshot.
	DropVersion(ctx context.Context, projection string, version int) error

	// SaveSnapshot stores a snapshot, replacing the version's previous one.
	SaveSnapshot(ctx context.Context, s Snapshot) error

	// Commit commits the unit.
	Commit(ctx context.Context) error

	// Rollback abandons the unit. Rolling back a finished unit does nothing.
	Rollback(ctx context.Context) error
}

// TransientClassifier is implemented by targets that can tell a passing failure of their
// database (a lost connection, a deadlock, a serialization failure, a busy file) from a
// failure of the handler. The runner does not count a handler error the target calls
// transient as an attempt: it rolls back, waits and resumes from the checkpoint, however
// often it happens, so a database outage never sends events to the dead-letter table.
type TransientClassifier interface {
	Transient(err error) bool
}

// transient reports whether t classifies err as transient.
func transient(t any, err error) bool {
	c, ok := t.(TransientClassifier)
	return ok && c.Transient(err)
}

// NoTx is the transaction type of read models that have no transaction shared with the
// checkpoint: in-memory read models and external sinks (see [AtLeastOnce]).
type NoTx struct{}

// Checkpoint is the stored progress of one version of a projection.
type Checkpoint struct {
	// Projection is the projection's name.
	Projection string
	// Version is the read-model version the checkpoint belongs to, from 1.
	Version int
	// Position is the position of the last event applied (or skipped) by this version.
	Position eventstore.Position
	// Active reports whether this version is the one serving reads.
	Active bool
	// UpdatedAt is when the checkpoint last moved (the target's clock).
	UpdatedAt time.Time
}

// Advance is a compare-and-set checkpoint update, see [Unit.Advance].
type Advance struct {
	// Projection and Version select the checkpoint.
	Projection string
	Version    int
	// From is the position the checkpoint must be at; To the position it moves to.
	From, To eventstore.Position
	// Lease is the fencing token: its Key and Epoch must still be the stored lease's.
	Lease Lease
	// RequireActive makes the update fail with [ErrNotActive] unless Version is active.
	RequireActive bool
	// Events is the number of events applied since From (for targets that act on it, such
	// as [SnapshotTarget]).
	Events int
}

// Lease is a time-limited right to apply events for a projection. Its Epoch grows by one at
// every change of holder and is the fencing token checked by every checkpoint update.
type Lease struct {
	// Key names the lease: the projection's name, or [RebuildLeaseKey] of it.
	Key string
	// Owner identifies the holder (see [WithOwner]).
	Owner string
	// Epoch is the fencing token.
	Epoch uint64
	// ExpiresAt is when the lease lapses unless renewed (the target's clock).
	ExpiresAt time.Time
}

// RebuildLeaseKey is the key of the lease a rebuild of projection holds, so that at most one
// rebuild of a projection runs at a time, beside its live runner.
func RebuildLeaseKey(projection string) string { return projection + "#rebuild" }

// DeadLetter is an event a projection gave up on after its handler failed repeatedly.
type DeadLetter struct {
	// ID identifies the dead letter within its target (assigned by Park).
	ID int64
	// Projection and Version name the projection version whose handler failed.
	Projection string
	Version    int
	// Event is the event, payload and metadata included, so it can be replayed without
	// the store.
	Event eventstore.Event
	// Error is the handler's last error message.
	Error string
	// Attempts is how many times the handler was called for the event.
	Attempts int
	// FailedAt is when the event was parked (the target's clock).
	FailedAt time.Time
}

// Snapshot is the saved state of an in-memory projection version at a position.
type Snapshot struct {
	// Projection and Version name the projection version.
	Projection string
	Version    int
	// Position is the checkpoint the state corresponds to.
	Position eventstore.Position
	// SchemaVersion is the version of the state's encoding; a mismatch makes the snapshot
	// ignored (the projection then replays from its start).
	SchemaVersion int
	// Data is the encoded state.
	Data []byte
	// SavedAt is when the snapshot was saved (the target's clock).
	SavedAt time.Time
}
