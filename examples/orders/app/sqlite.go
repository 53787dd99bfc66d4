package app

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/sqlitesnapshot"
	essqlite "github.com/esgen/esgen/eventstore/sqlite"
	"github.com/esgen/esgen/examples/orders/order"
	sqliteprojection "github.com/esgen/esgen/projection/sqlite"
)

// DBFile is the name of the embedded database file inside the data directory.
const DBFile = "orders.db"

// sqlDB adapts a database/sql transaction to order.DB.
type sqlDB struct{ tx *sql.Tx }

func (d sqlDB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := d.tx.ExecContext(ctx, q, args...)
	return err
}

// openSQLite opens the embedded default: events, snapshots, checkpoints, leases, dead
// letters and read models in one SQLite file, so a projection's read-model writes and its
// checkpoint commit in one transaction.
func (a *App) openSQLite(ctx context.Context, cfg Config) error {
	dir := cfg.DataDir
	if dir == "" {
		dir = DefaultDataDir
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	store, err := essqlite.Open(ctx, path, essqlite.WithMigrate())
	if err != nil {
		return err
	}
	a.closers = append(a.closers, store.Close)
	a.Store = store
	a.Backend = "embedded SQLite (" + path + ")"

	snaps, err := sqlitesnapshot.Open(ctx, path)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, snaps.Close)
	a.Repo = order.NewRepository(store, a.Codec, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(3)), aggregate.WithLogger(cfg.Logger))

	target, err := sqliteprojection.FromStore(ctx, store, sqliteprojection.WithMigrate())
	if err != nil {
		return err
	}
	a.views = store.DB()
	return newProjections(ctx, a, target, func(tx *sql.Tx) order.DB { return sqlDB{tx} }, runnerOptions(cfg)...)
}

// DefaultDataDir is where the embedded store keeps its file unless told otherwise.
const DefaultDataDir = "orders-data"
