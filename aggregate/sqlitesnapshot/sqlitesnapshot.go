package sqlitesnapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/esgen/esgen/aggregate"
)

// DefaultBusyTimeout is how long [Open]'s connection waits for SQLite's write lock.
const DefaultBusyTimeout = 5 * time.Second

// Store is a SQLite [aggregate.SnapshotStore]. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	ownsDB bool
}

var _ aggregate.SnapshotStore = (*Store)(nil)

// migrations returns the schema steps in order; a step's index plus one is its version.
func migrations() []string {
	return []string{migration1}
}

const migration1 = `CREATE TABLE IF NOT EXISTS aggregate_snapshots (
    stream_id      TEXT    NOT NULL,
    snapshot_type  TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version > 0),
    event_id       BLOB,
    data           BLOB    NOT NULL,
    taken_at       INTEGER NOT NULL, -- Unix nanoseconds, UTC
    PRIMARY KEY (stream_id, snapshot_type)
) WITHOUT ROWID`

// Open opens (creating if needed) the SQLite database at path with WAL and a busy timeout
// of [DefaultBusyTimeout], applies pending migrations and returns a store that owns the
// connection: Close closes it.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlitesnapshot: open: the database path is empty; give the event store's file, e.g. data/events.db")
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitesnapshot: open %s: %w", path, err)
	}
	s, err := New(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.ownsDB = true
	return s, nil
}

// New returns a store on db, which stays the caller's, after applying pending migrations.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlitesnapshot: New: the database is nil; pass a *sql.DB opened with the \"sqlite\" driver, or use Open")
	}
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the connection if [Open] opened it; it does nothing for [New]'s.
func (s *Store) Close() error {
	if s.ownsDB {
		return s.db.Close()
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitesnapshot: migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS aggregate_snapshot_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlitesnapshot: migrate: %w", err)
	}
	steps := migrations()
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM aggregate_snapshot_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("sqlitesnapshot: migrate: read applied version: %w", err)
	}
	if applied > len(steps) {
		return fmt.Errorf("sqlitesnapshot: the database is at snapshot migration %d, newer than this code knows (%d); upgrade the code", applied, len(steps))
	}
	for i := applied; i < len(steps); i++ {
		if _, err := tx.ExecContext(ctx, steps[i]); err != nil {
			return fmt.Errorf("sqlitesnapshot: apply migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO aggregate_snapshot_migrations (version, applied_at) VALUES (?, ?)`, i+1, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("sqlitesnapshot: record migration %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitesnapshot: migrate: commit: %w", err)
	}
	return nil
}

// Get implements [aggregate.SnapshotStore].
func (s *Store) Get(ctx context.Context, streamID, snapshotType string) (aggregate.Snapshot, bool, error) {
	snap := aggregate.Snapshot{StreamID: streamID, Type: snapshotType}
	var version, takenAt int64
	var eventID []byte
	err := s.db.QueryRowContext(ctx, `SELECT schema_version, stream_version, event_id, data, taken_at
FROM aggregate_snapshots WHERE stream_id = ? AND snapshot_type = ?`, streamID, snapshotType).
		Scan(&snap.SchemaVersion, &version, &eventID, &snap.Data, &takenAt)
	if errors.Is(err, sql.ErrNoRows) {
		return aggregate.Snapshot{}, false, nil
	}
	if err != nil {
		return aggregate.Snapshot{}, false, fmt.Errorf("sqlitesnapshot: get snapshot %s of stream %q: %w", snapshotType, streamID, err)
	}
	if len(eventID) > 0 {
		id, err := uuid.FromBytes(eventID)
		if err != nil {
			return aggregate.Snapshot{}, false, fmt.Errorf("sqlitesnapshot: snapshot %s of stream %q: stored event ID: %w", snapshotType, streamID, err)
		}
		snap.EventID = id
	}
	snap.StreamVersion = uint64(version)
	snap.TakenAt = time.Unix(0, takenAt).UTC()
	return snap, true, nil
}

// Put implements [aggregate.SnapshotStore].
func (s *Store) Put(ctx context.Context, snap aggregate.Snapshot) error {
	if err := aggregate.ValidateSnapshot(snap); err != nil {
		return err
	}
	if snap.StreamVersion > 1<<63-1 {
		return fmt.Errorf("sqlitesnapshot: put snapshot of stream %q: stream version %d does not fit an INTEGER", snap.StreamID, snap.StreamVersion)
	}
	var eventID []byte
	if snap.EventID != uuid.Nil {
		eventID = snap.EventID[:]
	}
	takenAt := snap.TakenAt
	if takenAt.IsZero() {
		takenAt = time.Now()
	}
	data := snap.Data
	if data == nil {
		data = []byte{}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO aggregate_snapshots (stream_id, snapshot_type, schema_version, stream_version, event_id, data, taken_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (stream_id, snapshot_type) DO UPDATE
SET schema_version = excluded.schema_version, stream_version = excluded.stream_version,
    event_id = excluded.event_id, data = excluded.data, taken_at = excluded.taken_at
WHERE schema_version <> excluded.schema_version OR stream_version <= excluded.stream_version`,
		snap.StreamID, snap.Type, snap.SchemaVersion, int64(snap.StreamVersion), eventID, data, takenAt.UnixNano())
	if err != nil {
		return fmt.Errorf("sqlitesnapshot: put snapshot %s of stream %q at version %d: %w", snap.Type, snap.StreamID, snap.StreamVersion, err)
	}
	return nil
}

// Delete removes the snapshot of streamID of the given type, if any: the next load replays
// the stream.
func (s *Store) Delete(ctx context.Context, streamID, snapshotType string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM aggregate_snapshots WHERE stream_id = ? AND snapshot_type = ?`, streamID, snapshotType); err != nil {
		return fmt.Errorf("sqlitesnapshot: delete snapshot %s of stream %q: %w", snapshotType, streamID, err)
	}
	return nil
}
