package aggregate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Snapshot is an aggregate's encoded state at a stream version. A snapshot is a cache, never
// the truth: a repository that cannot use one replays the stream instead.
type Snapshot struct {
	// StreamID is the aggregate's stream.
	StreamID string
	// Type names what kind of snapshot this is (by default the aggregate type's Name), so
	// several snapshot kinds of one stream can coexist.
	Type string
	// SchemaVersion is the version of the snapshot's encoding ([Snapshotter.SnapshotVersion]
	// when it was taken). A repository ignores snapshots of any other version.
	SchemaVersion int
	// StreamVersion is the stream version the state includes.
	StreamVersion uint64
	// EventID is the ID of the event at StreamVersion. A repository checks it against the
	// stream, so a snapshot of a stream that was deleted and re-created is never used.
	EventID uuid.UUID
	// Data is the encoded state.
	Data []byte
	// TakenAt is when the snapshot was taken (UTC).
	TakenAt time.Time
}

// SnapshotStore keeps the latest snapshot per (stream, snapshot type). Implementations:
// [MemorySnapshotStore], aggregate/pgsnapshot (PostgreSQL) and aggregate/sqlitesnapshot
// (SQLite). They are safe for concurrent use.
type SnapshotStore interface {
	// Get returns the snapshot of streamID of the given type, and false when there is none.
	Get(ctx context.Context, streamID, snapshotType string) (Snapshot, bool, error)
	// Put stores s, replacing the snapshot of the same stream and type unless that one is of
	// the same schema version and a later stream version (a slower writer never overwrites a
	// newer snapshot).
	Put(ctx context.Context, s Snapshot) error
}

// Snapshotter is implemented by aggregates that can be snapshotted: their state encodes to
// bytes and back. The aggregate's embedded [Base] (ID, version) is restored by the
// repository; encode only your own fields.
type Snapshotter interface {
	// SnapshotVersion is the version of the encoding. Bump it whenever snapshots written
	// before can no longer be read by UnmarshalSnapshot: repositories then ignore the old
	// snapshots (replaying the stream instead) until a new one is taken. With
	// [AvroSnapshotCodec], compatible schema changes need no bump.
	SnapshotVersion() int
	// MarshalSnapshot encodes the aggregate's state.
	MarshalSnapshot() ([]byte, error)
	// UnmarshalSnapshot restores the state encoded by MarshalSnapshot into a new aggregate.
	UnmarshalSnapshot(data []byte) error
}

// SnapshotPolicy decides, after a successful save, whether to take a snapshot.
type SnapshotPolicy func(SaveInfo) bool

// SaveInfo describes a successful save to a [SnapshotPolicy].
type SaveInfo struct {
	// AggregateID and StreamID identify the aggregate.
	AggregateID, StreamID string
	// PreviousVersion is the stream version before the save, Version the one after.
	PreviousVersion, Version uint64
	// SnapshotVersion is the stream version of the snapshot the aggregate was loaded from
	// (or last snapshotted at), 0 when there was none.
	SnapshotVersion uint64
	// Events is the number of events saved.
	Events int
}

// EveryNEvents returns a policy that takes a snapshot once at least n events were saved
// since the last snapshot the aggregate was loaded from (so an old stream gets its first
// snapshot at its next save). n < 1 is taken as 1.
func EveryNEvents(n uint64) SnapshotPolicy {
	n = max(n, 1)
	return func(s SaveInfo) bool { return s.Version-s.SnapshotVersion >= n }
}

// MemorySnapshotStore is a [SnapshotStore] in memory, for tests and single-process use.
// The zero value is ready to use.
type MemorySnapshotStore struct {
	mu    sync.Mutex
	snaps map[[2]string]Snapshot
}

// NewMemorySnapshotStore returns an empty [MemorySnapshotStore].
func NewMemorySnapshotStore() *MemorySnapshotStore { return &MemorySnapshotStore{} }

// Get implements [SnapshotStore].
func (m *MemorySnapshotStore) Get(ctx context.Context, streamID, snapshotType string) (Snapshot, bool, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.snaps[[2]string{streamID, snapshotType}]
	if ok {
		s.Data = append([]byte(nil), s.Data...)
	}
	return s, ok, nil
}

// Put implements [SnapshotStore].
func (m *MemorySnapshotStore) Put(ctx context.Context, s Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidateSnapshot(s); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := [2]string{s.StreamID, s.Type}
	if old, ok := m.snaps[key]; ok && !Supersedes(s, old) {
		return nil
	}
	if m.snaps == nil {
		m.snaps = make(map[[2]string]Snapshot)
	}
	s.Data = append([]byte(nil), s.Data...)
	if s.TakenAt.IsZero() {
		s.TakenAt = time.Now().UTC()
	}
	m.snaps[key] = s
	return nil
}

// Delete removes the snapshot of streamID of the given type, if any.
func (m *MemorySnapshotStore) Delete(ctx context.Context, streamID, snapshotType string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.snaps, [2]string{streamID, snapshotType})
	return nil
}

// Supersedes reports whether snapshot s should replace old (same stream and type): when its
// schema version differs, or its stream version is not older. Snapshot stores use it.
func Supersedes(s, old Snapshot) bool {
	return s.SchemaVersion != old.SchemaVersion || s.StreamVersion >= old.StreamVersion
}

// ValidateSnapshot checks that s names a stream, a type and a stream version of at least 1,
// as every [SnapshotStore.Put] requires.
func ValidateSnapshot(s Snapshot) error {
	switch {
	case s.StreamID == "":
		return fmt.Errorf("aggregate: put snapshot: the stream ID is empty")
	case s.Type == "":
		return fmt.Errorf("aggregate: put snapshot of stream %q: the snapshot type is empty; name it (repositories use the aggregate type's name)", s.StreamID)
	case s.StreamVersion == 0:
		return fmt.Errorf("aggregate: put snapshot of stream %q: stream version 0; a snapshot is of a stream with at least one event", s.StreamID)
	}
	return nil
}
