package pgsnapshot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/repotest"
	"github.com/esgen/esgen/aggregate/internal/snaptest"
	"github.com/esgen/esgen/aggregate/pgsnapshot"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestStore(t *testing.T) {
	t.Parallel()
	snaptest.Run(t, func(t testing.TB) aggregate.SnapshotStore {
		s, err := pgsnapshot.New(t.Context(), newPool(t), pgsnapshot.WithSchema("snaps"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := pgsnapshot.New(t.Context(), pool)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM esgen.aggregate_snapshot_migrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("migrations recorded: %d, %v; want 1", n, err)
	}
}

func TestInvalidSchema(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "pg_x", "1abc", "a-b", "a\"; DROP TABLE x; --"} {
		if _, err := pgsnapshot.New(t.Context(), nil); err == nil {
			t.Fatal("New(nil) succeeded")
		}
		_, err := pgsnapshot.New(t.Context(), noDB{}, pgsnapshot.WithSchema(name))
		if err == nil || errors.Is(err, errNoDB) {
			t.Errorf("schema %q: %v; want it rejected before any I/O", name, err)
		}
	}
}

// noDB fails every call: a test of New's argument checks reaching the database fails.
type noDB struct{}

var errNoDB = errors.New("no database")

func (noDB) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errNoDB
}
func (noDB) QueryRow(context.Context, string, ...any) pgx.Row { return nil }
func (noDB) Begin(context.Context) (pgx.Tx, error)            { return nil, errNoDB }

func TestRepositoryPostgres(t *testing.T) {
	t.Parallel()
	repotest.Run(t, repotest.Backend{Open: openBackend})
}

// openBackend returns a PostgreSQL event store and snapshot store in a new database.
func openBackend(t testing.TB) (eventstore.Store, aggregate.SnapshotStore) {
	t.Helper()
	pool := newPool(t)
	store, err := postgres.New(t.Context(), pool, postgres.WithMigrate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	snaps, err := pgsnapshot.New(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return store, snaps
}
