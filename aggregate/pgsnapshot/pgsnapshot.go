package pgsnapshot

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/esgen/esgen/aggregate"

	"github.com/esgen/esgen/internal/migrations"
)

// DefaultSchema is the schema of the snapshot table unless [WithSchema] says otherwise: the
// event store's default schema, so snapshots live beside the events.
const DefaultSchema = "esgen"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is what the store needs of a connection: *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store is a PostgreSQL [aggregate.SnapshotStore]. It is safe for concurrent use.
type Store struct {
	db     DB
	schema string
	table  string // quoted schema.table
	get    string
	put    string
	del    string
}

var _ aggregate.SnapshotStore = (*Store)(nil)

// Option configures a [Store].
type Option func(*config)

type config struct {
	schema  string
	migrate bool
}

// WithSchema puts the snapshot table in the named schema (default [DefaultSchema]): 1..63
// ASCII letters, digits or underscores, not starting with a digit or "pg_".
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithoutMigrate makes [New] skip applying migrations, for deployments that run
// [Store.Migrate] separately with more privileges.
func WithoutMigrate() Option { return func(c *config) { c.migrate = false } }

// New returns a snapshot store on db, applying pending migrations first (unless
// [WithoutMigrate]).
func New(ctx context.Context, db DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("pgsnapshot: New: the database is nil; pass a *pgxpool.Pool")
	}
	c := config{schema: DefaultSchema, migrate: true}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if err := validateSchemaName(c.schema); err != nil {
		return nil, err
	}
	ident := pgx.Identifier{c.schema}.Sanitize()
	table := ident + ".aggregate_snapshots"
	s := &Store{
		db: db, schema: c.schema, table: table,
		get: `SELECT schema_version, stream_version, event_id, data, taken_at FROM ` + table +
			` WHERE stream_id = $1 AND snapshot_type = $2`,
		put: `INSERT INTO ` + table + ` AS s (stream_id, snapshot_type, schema_version, stream_version, event_id, data, taken_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (stream_id, snapshot_type) DO UPDATE
SET schema_version = excluded.schema_version, stream_version = excluded.stream_version,
    event_id = excluded.event_id, data = excluded.data, taken_at = excluded.taken_at
WHERE s.schema_version <> excluded.schema_version OR s.stream_version <= excluded.stream_version`,
		del: `DELETE FROM ` + table + ` WHERE stream_id = $1 AND snapshot_type = $2`,
	}
	if c.migrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func validateSchemaName(name string) error {
	bad := func(problem string) error {
		return fmt.Errorf("pgsnapshot: schema name %q %s", name, problem)
	}
	switch {
	case name == "":
		return bad("is empty; leave WithSchema out for the default \"" + DefaultSchema + "\"")
	case len(name) > 63:
		return bad("is longer than PostgreSQL's 63-byte identifier limit")
	case strings.HasPrefix(name, "pg_"):
		return bad("starts with pg_, which PostgreSQL reserves for system schemas")
	case name[0] >= '0' && name[0] <= '9':
		return bad("starts with a digit; start it with a letter or underscore")
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return bad(fmt.Sprintf("contains %q; use only ASCII letters, digits and underscores", r))
		}
	}
	return nil
}

// Get implements [aggregate.SnapshotStore].
func (s *Store) Get(ctx context.Context, streamID, snapshotType string) (aggregate.Snapshot, bool, error) {
	snap := aggregate.Snapshot{StreamID: streamID, Type: snapshotType}
	var version int64
	var eventID *uuid.UUID
	err := s.db.QueryRow(ctx, s.get, streamID, snapshotType).Scan(&snap.SchemaVersion, &version, &eventID, &snap.Data, &snap.TakenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return aggregate.Snapshot{}, false, nil
	}
	if err != nil {
		return aggregate.Snapshot{}, false, fmt.Errorf("pgsnapshot: get snapshot %s of stream %q: %w", snapshotType, streamID, err)
	}
	snap.StreamVersion = uint64(version)
	if eventID != nil {
		snap.EventID = *eventID
	}
	snap.TakenAt = snap.TakenAt.UTC()
	return snap, true, nil
}

// Put implements [aggregate.SnapshotStore].
func (s *Store) Put(ctx context.Context, snap aggregate.Snapshot) error {
	if err := aggregate.ValidateSnapshot(snap); err != nil {
		return err
	}
	if snap.StreamVersion > 1<<63-1 {
		return fmt.Errorf("pgsnapshot: put snapshot of stream %q: stream version %d does not fit a bigint", snap.StreamID, snap.StreamVersion)
	}
	var eventID *uuid.UUID
	if snap.EventID != uuid.Nil {
		eventID = &snap.EventID
	}
	takenAt := snap.TakenAt
	if takenAt.IsZero() {
		takenAt = time.Now()
	}
	data := snap.Data
	if data == nil {
		data = []byte{}
	}
	if _, err := s.db.Exec(ctx, s.put, snap.StreamID, snap.Type, snap.SchemaVersion, int64(snap.StreamVersion), eventID, data, takenAt); err != nil {
		return fmt.Errorf("pgsnapshot: put snapshot %s of stream %q at version %d: %w", snap.Type, snap.StreamID, snap.StreamVersion, err)
	}
	return nil
}

// Delete removes the snapshot of streamID of the given type, if any: the next load replays
// the stream.
func (s *Store) Delete(ctx context.Context, streamID, snapshotType string) error {
	if _, err := s.db.Exec(ctx, s.del, streamID, snapshotType); err != nil {
		return fmt.Errorf("pgsnapshot: delete snapshot %s of stream %q: %w", snapshotType, streamID, err)
	}
	return nil
}

// Migrate creates the schema and applies the embedded migrations not applied yet, in one
// transaction under an advisory lock. It is safe to call concurrently and repeatedly.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgsnapshot: migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	ident := pgx.Identifier{s.schema}.Sanitize()
	steps := []string{
		`SELECT pg_advisory_xact_lock(hashtextextended('esgen.aggregate_snapshots.' || $1, 0))`,
		`CREATE SCHEMA IF NOT EXISTS ` + ident,
		`CREATE TABLE IF NOT EXISTS ` + ident + `.aggregate_snapshot_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())`,
	}
	for i, q := range steps {
		var args []any
		if i == 0 {
			args = []any{s.schema}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("pgsnapshot: migrate schema %q: %w", s.schema, err)
		}
	}
	var applied int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+ident+`.aggregate_snapshot_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("pgsnapshot: migrate schema %q: read applied version: %w", s.schema, err)
	}
	if applied > len(migs) {
		return fmt.Errorf("pgsnapshot: schema %q is at snapshot migration %d, newer than this code knows (%d); upgrade the code", s.schema, applied, len(migs))
	}
	for _, m := range migs[applied:] {
		if _, err := tx.Exec(ctx, strings.ReplaceAll(m.SQL, "{{schema}}", ident)); err != nil {
			return fmt.Errorf("pgsnapshot: apply migration %d (%s) to schema %q: %w", m.Version, m.Name, s.schema, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+ident+`.aggregate_snapshot_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("pgsnapshot: record migration %d in schema %q: %w", m.Version, s.schema, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgsnapshot: migrate schema %q: commit: %w", s.schema, err)
	}
	return nil
}

func loadMigrations() ([]migrations.Migration, error) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("pgsnapshot: %w", err)
	}
	return ms, nil
}
