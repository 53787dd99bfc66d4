package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/esgen/esgen/eventstore"
)

// DefaultSchema is the schema the store's tables live in unless [WithSchema] says otherwise.
const DefaultSchema = "esgen"

// Store is the PostgreSQL [eventstore.Store]. Create it with [Open] or [New]. It is safe for
// concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	ownsPool bool
	schema   string
	ident    string // the quoted schema name
	channel  string // the LISTEN/NOTIFY channel, "" when notifications are off
	log      *slog.Logger
	q        queries

	closed atomic.Bool
	signal eventstore.Signal

	listenOnce sync.Once
	stop       context.CancelFunc // stops the listener
	stopCtx    context.Context
	done       chan struct{} // closed when the listener has stopped (if it was started)
	started    atomic.Bool

	gauge metric.Registration
}

var _ eventstore.Store = (*Store)(nil)

// Option configures a [Store].
type Option func(*config)

type config struct {
	schema  string
	log     *slog.Logger
	migrate bool
	notify  bool
	mp      metric.MeterProvider
}

// WithSchema puts the store's tables in the named schema (default [DefaultSchema]). The name
// must be 1..63 ASCII letters, digits or underscores, not starting with a digit or "pg_".
// Several stores may share a database under different schemas.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithLogger sets the logger for background problems (the notification listener losing its
// connection, say). The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithMigrate makes [Open] and [New] apply pending migrations (see [Store.Migrate]) before
// returning. Without it they fail with [ErrNotMigrated] when the schema is not up to date.
func WithMigrate() Option { return func(c *config) { c.migrate = true } }

// WithNotifications turns LISTEN/NOTIFY wake-ups of subscriptions on (the default) or off.
// Off, appends skip pg_notify (which serialises concurrent commits server-wide), and
// subscriptions find events appended by other processes by polling every
// [eventstore.ReadAllOptions.PollInterval]; appends through the same Store still wake them
// at once.
func WithNotifications(on bool) Option { return func(c *config) { c.notify = on } }

// WithMeterProvider sets where the reader-stall gauge (see [Store.ReaderStall]) is
// registered. The default is the global OpenTelemetry meter provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	}
}

// Open connects to the database at url (a PostgreSQL URL or keyword/value string, as
// pgxpool.ParseConfig reads it) and returns a store that owns the connection pool: Close
// closes it.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection string: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s, err := New(ctx, pool, opts...)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownsPool = true
	return s, nil
}

// New returns a store using pool, which stays the caller's: Close does not close it. It
// checks that the schema is migrated (or migrates it under [WithMigrate]).
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: New: the pool is nil; pass a *pgxpool.Pool, or use Open with a URL")
	}
	c := config{schema: DefaultSchema, log: slog.Default(), notify: true, mp: otel.GetMeterProvider()}
	for _, o := range opts {
		o(&c)
	}
	if err := ValidateSchemaName(c.schema); err != nil {
		return nil, err
	}
	ident := pgx.Identifier{c.schema}.Sanitize()
	s := &Store{
		pool:   pool,
		schema: c.schema,
		ident:  ident,
		log:    c.log,
		q:      newQueries(ident),
		done:   make(chan struct{}),
	}
	if c.notify {
		s.channel = channelName(c.schema)
	}
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	if c.migrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	} else if err := s.checkMigrated(ctx); err != nil {
		return nil, err
	}
	if err := s.registerGauge(c.mp); err != nil {
		return nil, err
	}
	return s, nil
}

// Pool returns the store's connection pool, for work that must share the database (a
// projection writing its read model and checkpoint in one transaction, say).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the name of the schema holding the store's tables.
func (s *Store) Schema() string { return s.schema }

// Close stops the notification listener and, when the store was made by [Open], closes the
// pool. Later calls fail with [eventstore.ErrClosed]; subscriptions end with it. Closing
// twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stop()
	if s.started.Load() {
		<-s.done
	}
	s.signal.Notify()
	var err error
	if s.gauge != nil {
		err = s.gauge.Unregister()
	}
	if s.ownsPool {
		s.pool.Close()
	}
	return err
}

// errClosed reports a call on a closed store.
func errClosed(op string) error {
	return fmt.Errorf("postgres: %s: %w; open a new store", op, eventstore.ErrClosed)
}

// ValidateSchemaName checks a schema name for [WithSchema].
func ValidateSchemaName(name string) error {
	bad := func(problem string) error {
		return &eventstore.InputError{Field: "schema name", Problem: fmt.Sprintf("%q %s", name, problem)}
	}
	switch {
	case name == "":
		return bad("is empty; leave WithSchema out for the default \"" + DefaultSchema + "\"")
	case len(name) > 63:
		return bad("is longer than PostgreSQL's 63-byte identifier limit")
	case len(name) >= 3 && name[:3] == "pg_":
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

// channelName is the NOTIFY channel of a schema: readable when it fits PostgreSQL's 63-byte
// limit, a hash otherwise.
func channelName(schema string) string {
	if c := "esgen_events_" + schema; len(c) <= 63 {
		return c
	}
	return fmt.Sprintf("esgen_events_%016x", hash64("channel", schema))
}

// lockKey is the transaction advisory lock key of a stream. Keys of different schemas
// differ, so stores in one database do not serialise each other's writers; a hash collision
// between two streams only makes them take turns.
func (s *Store) lockKey(streamID string) int64 {
	return int64(hash64(s.schema, streamID))
}

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}
