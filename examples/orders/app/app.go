// Package app wires the orders example together: an event store (the embedded SQLite default
// or PostgreSQL), the Order repository and service, and the order_status and audit_log
// projections with their read models. The CLI in the parent folder and the end-to-end tests
// both build on it.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/examples/orders/events"
	"github.com/esgen/esgen/examples/orders/order"
	"github.com/esgen/esgen/projection"
)

// Config says which store the app uses.
type Config struct {
	// DatabaseURL selects PostgreSQL; empty selects the embedded SQLite store in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite database file (orders.db) when DatabaseURL is empty.
	DataDir string
	// Schema is the PostgreSQL schema for every table (default "orders").
	Schema string
	// Clock stamps new events (default time.Now).
	Clock func() time.Time
	// Logger receives the framework's logs (default: discard).
	Logger *slog.Logger
	// Owner names this instance in projection leases (default: generated).
	Owner string
}

// App is the running example.
type App struct {
	// Store is the event store.
	Store eventstore.Store
	// Codec encodes and decodes the order events.
	Codec *events.Codec
	// Repo loads and saves orders.
	Repo *aggregate.Repository[*order.Order]
	// Orders runs the order commands.
	Orders *order.Service
	// Projections are order_status and audit_log, in that order.
	Projections []Projection
	// Backend describes the store for humans.
	Backend string

	views   *sql.DB
	closers []func() error
}

// Projection is one running projection of the app, whatever its backend.
type Projection interface {
	// Name is the projection's name.
	Name() string
	// Run applies events until ctx is done.
	Run(ctx context.Context) error
	// Status reports checkpoint, lag, owner and dead letters.
	Status(ctx context.Context) (projection.Status, error)
	// Rebuild builds a new version of the read model from the whole log beside the live one
	// and swaps it in.
	Rebuild(ctx context.Context, progress func(projection.Progress)) (int, error)
	// ActiveVersion returns the read-model version serving reads.
	ActiveVersion(ctx context.Context) (int, error)
	// DeadLetters lists the parked events.
	DeadLetters(ctx context.Context) ([]projection.DeadLetter, error)
}

// Open starts the app on the store cfg selects. Close it when done.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Schema == "" {
		cfg.Schema = "orders"
	}
	a := &App{Codec: events.NewCodec()}
	if err := a.Codec.Err(); err != nil {
		return nil, err
	}
	var err error
	if cfg.DatabaseURL != "" {
		err = a.openPostgres(ctx, cfg)
	} else {
		err = a.openSQLite(ctx, cfg)
	}
	if err != nil {
		_ = a.Close()
		return nil, err
	}
	a.Orders = order.NewService(a.Repo, cfg.Clock)
	return a, nil
}

// Close stops the app's stores.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// runnerProjection adapts a projection.Runner of any transaction type to Projection.
type runnerProjection[Tx any] struct {
	runner *projection.Runner[Tx]
	target projection.Target[Tx]
	table  string
	ddl    func(version int) string
	db     func(Tx) order.DB
}

func (p *runnerProjection[Tx]) Name() string                  { return p.runner.Name() }
func (p *runnerProjection[Tx]) Run(ctx context.Context) error { return p.runner.Run(ctx) }
func (p *runnerProjection[Tx]) Status(ctx context.Context) (projection.Status, error) {
	return p.runner.Status(ctx)
}
func (p *runnerProjection[Tx]) DeadLetters(ctx context.Context) ([]projection.DeadLetter, error) {
	return p.runner.DeadLetters(ctx)
}

func (p *runnerProjection[Tx]) ActiveVersion(ctx context.Context) (int, error) {
	cp, err := p.target.LoadCheckpoint(ctx, p.runner.Name())
	if err != nil {
		return 0, err
	}
	return cp.Version, nil
}

func (p *runnerProjection[Tx]) Rebuild(ctx context.Context, progress func(projection.Progress)) (int, error) {
	return p.runner.Rebuild(ctx, projection.RebuildOptions[Tx]{
		Prepare: func(ctx context.Context, tx Tx, v int) error {
			db := p.db(tx)
			if err := db.Exec(ctx, "DROP TABLE IF EXISTS "+projection.VersionedName(p.table, v)); err != nil {
				return err
			}
			return db.Exec(ctx, p.ddl(v))
		},
		Retire: func(ctx context.Context, tx Tx, v int) error {
			return p.db(tx).Exec(ctx, "DROP TABLE IF EXISTS "+projection.VersionedName(p.table, v))
		},
		Progress: progress,
	})
}

// prepare creates the active version's table, so the runner can write into it.
func (p *runnerProjection[Tx]) prepare(ctx context.Context) error {
	v, err := p.ActiveVersion(ctx)
	if err != nil {
		return err
	}
	u, err := p.target.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = u.Rollback(ctx) }()
	if err := p.db(u.Tx()).Exec(ctx, p.ddl(v)); err != nil {
		return fmt.Errorf("create %s: %w", projection.VersionedName(p.table, v), err)
	}
	return u.Commit(ctx)
}

func newProjections[Tx any](ctx context.Context, a *App, target projection.Target[Tx], db func(Tx) order.DB, opts ...projection.Option) error {
	status, err := projection.NewRunner(a.Store, target, events.NewOrderStatusProjection[Tx](a.Codec, order.StatusView[Tx]{DB: db}), opts...)
	if err != nil {
		return err
	}
	audit, err := projection.NewRunner(a.Store, target, events.NewAuditLogProjection[Tx](a.Codec, order.AuditLog[Tx]{DB: db}), opts...)
	if err != nil {
		return err
	}
	for _, p := range []*runnerProjection[Tx]{
		{runner: status, target: target, table: order.StatusTable, ddl: order.StatusDDL, db: db},
		{runner: audit, target: target, table: order.AuditTable, ddl: order.AuditDDL, db: db},
	} {
		if err := p.prepare(ctx); err != nil {
			return err
		}
		a.Projections = append(a.Projections, p)
	}
	return nil
}

// CatchUp runs every projection until it has applied the whole log as it was when CatchUp
// was called, then stops them.
func (a *App) CatchUp(ctx context.Context) error {
	head, err := a.Store.Head(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(a.Projections))
	for i, p := range a.Projections {
		wg.Go(func() {
			if err := p.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errs[i] = fmt.Errorf("projection %s: %w", p.Name(), err)
				cancel()
			}
		})
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for pending := true; pending; {
		pending = false
		for _, p := range a.Projections {
			st, err := p.Status(ctx)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				cancel()
				wg.Wait()
				return err
			}
			if st.Checkpoint.Less(head) {
				pending = true
			}
		}
		if !pending {
			break
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				return err
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
	cancel()
	wg.Wait()
	return errors.Join(errs...)
}

// table returns the active read-model table of the projection named name.
func (a *App) table(ctx context.Context, name, base string) (string, error) {
	for _, p := range a.Projections {
		if p.Name() == name {
			v, err := p.ActiveVersion(ctx)
			if err != nil {
				return "", err
			}
			return projection.VersionedName(base, v), nil
		}
	}
	return "", fmt.Errorf("no projection %q", name)
}

// OrderView is one row of order_status.
type OrderView struct {
	OrderID       string `json:"order_id"`
	CustomerID    string `json:"customer_id"`
	Status        string `json:"status"`
	TotalCents    int64  `json:"total_cents"`
	Currency      string `json:"currency"`
	PaymentMethod string `json:"payment_method,omitempty"`
	Carrier       string `json:"carrier,omitempty"`
	Note          string `json:"note,omitempty"`
	Version       int64  `json:"version"`
	UpdatedAt     string `json:"updated_at"`
}

// ErrNoOrder is returned by Order for an order the view does not hold.
var ErrNoOrder = errors.New("order not found in the status view")

// Orders lists order_status, optionally only orders with the given status, by order ID.
func (a *App) OrdersView(ctx context.Context, status string) ([]OrderView, error) {
	t, err := a.table(ctx, events.OrderStatusName, order.StatusTable)
	if err != nil {
		return nil, err
	}
	q := `SELECT order_id, customer_id, status, total_cents, currency, payment_method, carrier, note, version, updated_at FROM ` + t
	var args []any
	if status != "" {
		q += ` WHERE status = $1`
		args = append(args, status)
	}
	rows, err := a.views.QueryContext(ctx, q+` ORDER BY order_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrderView
	for rows.Next() {
		var v OrderView
		if err := rows.Scan(&v.OrderID, &v.CustomerID, &v.Status, &v.TotalCents, &v.Currency, &v.PaymentMethod, &v.Carrier, &v.Note, &v.Version, &v.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Order returns one row of order_status.
func (a *App) Order(ctx context.Context, id string) (OrderView, error) {
	all, err := a.OrdersView(ctx, "")
	if err != nil {
		return OrderView{}, err
	}
	for _, v := range all {
		if v.OrderID == id {
			return v, nil
		}
	}
	return OrderView{}, fmt.Errorf("%w: %s", ErrNoOrder, id)
}

// AuditEntry is one row of audit_log.
type AuditEntry struct {
	EventID       string `json:"event_id"`
	StreamID      string `json:"stream_id"`
	StreamVersion int64  `json:"stream_version"`
	EventType     string `json:"event_type"`
	RecordedAt    string `json:"recorded_at"`
	Outcome       string `json:"outcome"`
}

// AuditLog lists audit_log in log order.
func (a *App) AuditLog(ctx context.Context) ([]AuditEntry, error) {
	t, err := a.table(ctx, events.AuditLogName, order.AuditTable)
	if err != nil {
		return nil, err
	}
	rows, err := a.views.QueryContext(ctx, `SELECT event_id, stream_id, stream_version, event_type, recorded_at, outcome FROM `+t+` ORDER BY pos_tx, pos`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.EventID, &e.StreamID, &e.StreamVersion, &e.EventType, &e.RecordedAt, &e.Outcome); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
