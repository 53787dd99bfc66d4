package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/esgen/esgen/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned step of the store's schema.
type Migration struct {
	// Version numbers migrations from 1, in the order they apply.
	Version int
	// Name is the file name without the version, e.g. "events".
	Name string
	// SQL is the statement text, with {{schema}} standing for the quoted schema name.
	SQL string
}

// ErrNotMigrated means the store's schema is missing or older than this code: call
// [Store.Migrate] (or open with [WithMigrate]).
var ErrNotMigrated = errors.New("postgres: schema not migrated")

// SchemaVersionError details [ErrNotMigrated].
type SchemaVersionError struct {
	// Schema is the schema name.
	Schema string
	// Found is the applied version (0 when the schema or its migration table is missing).
	Found int
	// Want is the version this code needs.
	Want int
}

// Error implements error.
func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("postgres: schema %q is at migration version %d, this code needs %d; call Store.Migrate or open the store with postgres.WithMigrate()",
		e.Schema, e.Found, e.Want)
}

// Is reports whether target is [ErrNotMigrated].
func (e *SchemaVersionError) Is(target error) bool { return target == ErrNotMigrated }

// Migrations returns the embedded migrations in the order they apply.
func Migrations() ([]Migration, error) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	out := make([]Migration, len(ms))
	for i, m := range ms {
		out[i] = Migration{Version: m.Version, Name: m.Name, SQL: m.SQL}
	}
	return out, nil
}

// LatestVersion is the migration version this code needs.
func LatestVersion() int {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Migrate creates the schema if needed and applies the migrations not yet applied, in one
// transaction, recording each in the schema's schema_migrations table. It is idempotent and
// safe to call from several processes at once: a transaction advisory lock serialises them.
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("migrate")
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(hash64("migrate", s.schema))); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+s.ident); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.ident+`.schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+s.ident+".schema_migrations").Scan(&current); err != nil {
			return err
		}
		for _, m := range ms {
			if m.Version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, strings.ReplaceAll(m.SQL, "{{schema}}", s.ident)); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+s.ident+".schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "postgres: applied migration", "schema", s.schema, "version", m.Version, "name", m.Name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate schema %q: %w", s.schema, err)
	}
	return nil
}

// SchemaVersion returns the migration version applied to the store's schema, 0 when none.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+s.ident+".schema_migrations").Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") { // undefined table or schema
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: read schema version of %q: %w", s.schema, err)
	}
	return v, nil
}

// checkMigrated fails with a [*SchemaVersionError] when the schema is behind this code.
func (s *Store) checkMigrated(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	want := LatestVersion()
	if v < want {
		return &SchemaVersionError{Schema: s.schema, Found: v, Want: want}
	}
	if v > want {
		s.log.WarnContext(ctx, "postgres: schema is newer than this code; it may be mid-upgrade", "schema", s.schema, "found", v, "want", want)
	}
	return nil
}
