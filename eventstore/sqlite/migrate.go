package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SchemaVersion is the event store schema version this package writes: the number of its
// embedded migrations. A database with a higher version was written by a newer esgen and is
// refused with [ErrSchemaTooNew].
const SchemaVersion = 1

// schemaComponent names the event store's row in the esgen_schema table. Other packages
// keeping tables in the same file (projections, snapshots) record their own versions there
// under their own names.
const schemaComponent = "eventstore"

// loadMigrations returns the embedded migrations in version order. Files are named
// NNNN_description.sql, numbered from 1 without gaps.
func loadMigrations() ([]migrations.Migration, error) {
	out, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: embedded migrations: %w", err)
	}
	if len(out) != SchemaVersion {
		return nil, fmt.Errorf("sqlite: %d embedded migrations, but SchemaVersion is %d", len(out), SchemaVersion)
	}
	return out, nil
}

const createSchemaTable = `CREATE TABLE IF NOT EXISTS esgen_schema (
    component  TEXT    NOT NULL PRIMARY KEY,
    version    INTEGER NOT NULL,
    applied_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID`

// schemaVersion reads the event store's schema version (0 when it was never migrated).
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'esgen_schema'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	err = q.QueryRowContext(ctx, `SELECT version FROM esgen_schema WHERE component = ?`, schemaComponent).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// Migrate brings the database's event store schema up to [SchemaVersion], applying the
// embedded migrations it lacks in one transaction: either all of them apply or none. It is
// safe to call on an up-to-date database (it then does nothing). A database from a newer
// esgen fails with [ErrSchemaTooNew] and is left unchanged.
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("sqlite: migrate %s: %w", s.path, eventstore.ErrClosed)
	}
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, createSchemaTable); err != nil {
			return fmt.Errorf("create esgen_schema: %w", err)
		}
		cur, err := schemaVersion(ctx, tx)
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if cur > SchemaVersion {
			return &SchemaVersionError{Path: s.path, Found: cur, Supported: SchemaVersion}
		}
		if cur == 0 {
			if err := foreignTables(ctx, tx); err != nil {
				return err
			}
		}
		for _, m := range ms[cur:] {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
		}
		if cur == SchemaVersion {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO esgen_schema (component, version, applied_at) VALUES (?, ?, ?)
			ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at`,
			schemaComponent, SchemaVersion, time.Now().UTC().Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		var sv *SchemaVersionError
		if errors.As(err, &sv) {
			return err
		}
		return fmt.Errorf("sqlite: migrate %s: %w", s.path, err)
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	s.ready.Store(true)
	return nil
}

// foreignTables refuses to migrate a file that already has tables by the names the event
// store creates but no record of having created them: it belongs to another application.
func foreignTables(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('streams', 'events') ORDER BY name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("the file already has table(s) %s that esgen did not create (no esgen_schema record); it looks like another application's database: give the event store its own file", strings.Join(names, ", "))
	}
	return nil
}
