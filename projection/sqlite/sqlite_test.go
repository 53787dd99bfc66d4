package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/esgen/esgen/eventstore"
	essqlite "github.com/esgen/esgen/eventstore/sqlite"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/sqlite"
)

// model is the ledger read model in the SQLite file: one table per version, updated by
// counting (not idempotent), so a double application shows.
type model struct{ db *sql.DB }

func table(v int) string { return strconv.Quote(projection.VersionedName("ledger", v)) }

func (m model) Add(ctx context.Context, tx *sql.Tx, ev *eventstore.Event, amount int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO `+table(projection.VersionFrom(ctx))+` AS l (stream, count, sum) VALUES (?1, 1, ?2)
		ON CONFLICT (stream) DO UPDATE SET count = l.count + 1, sum = l.sum + ?2`, ev.StreamID, amount)
	return err
}

func (m model) Rows(ctx context.Context, v int) (map[string]ptest.Row, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT stream, count, sum FROM `+table(v))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]ptest.Row{}
	for rows.Next() {
		var s string
		var r ptest.Row
		if err := rows.Scan(&s, &r.Count, &r.Sum); err != nil {
			return nil, err
		}
		out[s] = r
	}
	return out, rows.Err()
}

func (m model) Prepare(ctx context.Context, tx *sql.Tx, v int) error {
	_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table(v)+` (stream TEXT PRIMARY KEY, count INTEGER NOT NULL, sum INTEGER NOT NULL)`)
	return err
}

func (m model) Drop(ctx context.Context, tx *sql.Tx, v int) error {
	_, err := tx.ExecContext(ctx, `DROP TABLE `+table(v))
	return err
}

func (m model) Clear(ctx context.Context, tx *sql.Tx, v int) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM `+table(v))
	return err
}

// open opens the store at path with the projection tables and the version-1 read model.
func open(t testing.TB, path string) (*essqlite.Store, *sqlite.Target) {
	t.Helper()
	ctx := context.Background()
	store, err := essqlite.Open(ctx, path, essqlite.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	target, err := sqlite.FromStore(ctx, store, sqlite.WithMigrate())
	if err != nil {
		_ = store.Close()
		t.Fatal(err)
	}
	if err := store.WriteTx(ctx, func(tx *sql.Tx) error { return model{store.DB()}.Prepare(ctx, tx, 1) }); err != nil {
		_ = store.Close()
		t.Fatal(err)
	}
	return store, target
}

func TestSuite(t *testing.T) {
	t.Parallel()
	ptest.Run(t, func(t *testing.T) ptest.Fixture[*sql.Tx] {
		store, target := open(t, filepath.Join(t.TempDir(), "events.db"))
		t.Cleanup(func() { _ = store.Close() })
		return ptest.Fixture[*sql.Tx]{Store: store, Target: target, Model: model{store.DB()}}
	})
}

func TestNewRequiresMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := essqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"), essqlite.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := sqlite.FromStore(ctx, store); !errorsIs(err, sqlite.ErrNotMigrated) {
		t.Fatalf("FromStore on a file without projection tables: %v, want ErrNotMigrated", err)
	}
	for range 2 { // idempotent
		if _, err := sqlite.FromStore(ctx, store, sqlite.WithMigrate()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sqlite.FromStore(ctx, store); err != nil {
		t.Fatalf("FromStore after migrating: %v", err)
	}
}
