package app

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/pgsnapshot"
	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/examples/orders/order"
	"github.com/esgen/esgen/projection"
	pgprojection "github.com/esgen/esgen/projection/postgres"
)

// pgDB adapts a pgx transaction to order.DB.
type pgDB struct{ tx pgx.Tx }

func (d pgDB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := d.tx.Exec(ctx, q, args...)
	return err
}

func (a *App) openPostgres(ctx context.Context, cfg Config) error {
	if err := postgres.ValidateSchemaName(cfg.Schema); err != nil {
		return err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("database URL: %w", err)
	}
	// The read-model tables live in the app's schema too.
	pcfg.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	a.closers = append(a.closers, func() error { pool.Close(); return nil })
	store, err := postgres.New(ctx, pool, postgres.WithSchema(cfg.Schema), postgres.WithMigrate(), postgres.WithLogger(cfg.Logger))
	if err != nil {
		return err
	}
	a.closers = append(a.closers, store.Close)
	a.Store = store
	a.Backend = "PostgreSQL (schema " + cfg.Schema + ")"

	snaps, err := pgsnapshot.New(ctx, pool, pgsnapshot.WithSchema(cfg.Schema))
	if err != nil {
		return err
	}
	a.Repo = order.NewRepository(store, a.Codec, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(3)), aggregate.WithLogger(cfg.Logger))

	target, err := pgprojection.New(ctx, pool, pgprojection.WithSchema(cfg.Schema), pgprojection.WithMigrate())
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	a.closers = append(a.closers, db.Close)
	a.views = db
	return newProjections(ctx, a, target, func(tx pgx.Tx) order.DB { return pgDB{tx} }, runnerOptions(cfg)...)
}

func runnerOptions(cfg Config) []projection.Option {
	opts := []projection.Option{projection.WithLogger(cfg.Logger)}
	if cfg.Owner != "" {
		opts = append(opts, projection.WithOwner(cfg.Owner))
	}
	return opts
}

// DropSchema drops a PostgreSQL schema and everything in it, for the demo's fresh start.
func DropSchema(ctx context.Context, url, schema string) error {
	if err := postgres.ValidateSchemaName(schema); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}
