package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/internal/migrations"
	"github.com/esgen/esgen/projection"
)

// DefaultSchema is the schema of the projection tables unless [WithSchema] says otherwise:
// the event store's default schema.
const DefaultSchema = "esgen"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Target is the PostgreSQL [projection.Target]. Create it with [New]. It is safe for
// concurrent use.
type Target struct {
	pool     *pgxpool.Pool
	schema   string
	q        queries
	deferred bool
}

var _ projection.Target[pgx.Tx] = (*Target)(nil)

var _ projection.TransientClassifier = (*Target)(nil)

// Option configures a [Target].
type Option func(*config)

type config struct {
	schema   string
	migrate  bool
	deferred bool
}

// WithSchema puts the projection tables in the named schema (default [DefaultSchema]): 1..63
// ASCII letters, digits or underscores, not starting with a digit or "pg_".
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithMigrate makes [New] apply the embedded migrations.
func WithMigrate() Option { return func(c *config) { c.migrate = true } }

// WithDeferredWrites makes the pgx.Tx given to handlers queue every Exec and send the queue
// in one round trip with the checkpoint update (or before any Query, QueryRow, SendBatch,
// CopyFrom or Begin of the handler, so reads see earlier writes). Catch-up then costs about
// one round trip per batch instead of one per statement. In exchange Exec returns a zero
// command tag and no error: a failing statement fails the unit at its end, with
// [projection.ErrDeferredWrite], and the runner then applies that batch one event per unit to
// find the failing event, which it retries and parks as usual.
func WithDeferredWrites() Option { return func(c *config) { c.deferred = true } }

// ErrNotMigrated means the projection tables are missing or older than this code: call
// [Target.Migrate] or pass [WithMigrate] to [New].
var ErrNotMigrated = errors.New("postgres: projection tables not migrated")

var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// New returns a target on pool (which stays the caller's to close). Without [WithMigrate]
// it checks that the tables are migrated and fails with [ErrNotMigrated] otherwise.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Target, error) {
	if pool == nil {
		return nil, errors.New("postgres: New: the pool is nil; pass the *pgxpool.Pool of the read-model database")
	}
	c := config{schema: DefaultSchema}
	for _, o := range opts {
		o(&c)
	}
	if !schemaName.MatchString(c.schema) || strings.HasPrefix(strings.ToLower(c.schema), "pg_") {
		return nil, fmt.Errorf("postgres: schema name %q: want 1..63 ASCII letters, digits or underscores, not starting with a digit or pg_", c.schema)
	}
	t := &Target{pool: pool, schema: c.schema, q: newQueries(pgx.Identifier{c.schema}.Sanitize()), deferred: c.deferred}
	if c.migrate {
		if err := t.Migrate(ctx); err != nil {
			return nil, err
		}
		return t, nil
	}
	v, err := t.schemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if want := len(ms); v < want {
		return nil, fmt.Errorf("%w: schema %q is at projection migration %d, this code needs %d; call Target.Migrate or pass postgres.WithMigrate()", ErrNotMigrated, c.schema, v, want)
	}
	return t, nil
}

// Pool returns the target's pool.
func (t *Target) Pool() *pgxpool.Pool { return t.pool }

// Schema returns the schema of the projection tables.
func (t *Target) Schema() string { return t.schema }

// loadMigrations returns the embedded projection migrations in order.
func loadMigrations() ([]migrations.Migration, error) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: projection %w", err)
	}
	return ms, nil
}

// Migrate creates the schema if needed and applies the embedded migrations not yet applied,
// in one transaction, recording them in projection_schema_migrations. It is idempotent and
// safe to run from several processes at once (a transaction advisory lock serialises them).
func (t *Target) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	ident := pgx.Identifier{t.schema}.Sanitize()
	h := fnv.New64a()
	_, _ = h.Write([]byte("esgen projection migrate " + t.schema))
	err = pgx.BeginFunc(ctx, t.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+ident+`.projection_schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var cur int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+ident+".projection_schema_migrations").Scan(&cur); err != nil {
			return err
		}
		for _, m := range ms {
			if m.Version <= cur {
				continue
			}
			if _, err := tx.Exec(ctx, strings.ReplaceAll(m.SQL, "{{schema}}", ident)); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+ident+".projection_schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate projection tables in schema %q: %w", t.schema, err)
	}
	return nil
}

func (t *Target) schemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := t.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{t.schema, "projection_schema_migrations"}.Sanitize()).Scan(&exists); err != nil {
		return 0, fmt.Errorf("postgres: read projection schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := t.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+pgx.Identifier{t.schema}.Sanitize()+".projection_schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: read projection schema version: %w", err)
	}
	return v, nil
}

type queries struct {
	loadActive, ensure, checkpoints                 string
	claim, renew, release, lease                    string
	advance, diagnose                               string
	park, resolve, deadLetters, countDeadLetters    string
	createVersion, lockCheckpoints                  string
	deactivate, activate, dropVersion, dropSnapshot string
	saveSnapshot, loadSnapshot                      string
}

func newQueries(s string) queries {
	cp := s + ".projection_checkpoints"
	ls := s + ".projection_leases"
	dl := s + ".projection_dead_letters"
	sn := s + ".projection_snapshots"
	return queries{
		loadActive:  `SELECT version, pos_tx, pos, active, updated_at FROM ` + cp + ` WHERE projection = $1 AND active`,
		ensure:      `INSERT INTO ` + cp + ` (projection, version, active) SELECT $1, 1, true WHERE NOT EXISTS (SELECT 1 FROM ` + cp + ` WHERE projection = $1) ON CONFLICT DO NOTHING`,
		checkpoints: `SELECT version, pos_tx, pos, active, updated_at FROM ` + cp + ` WHERE projection = $1 ORDER BY version`,
		claim: `INSERT INTO ` + ls + ` AS l (key, owner, epoch, expires_at) VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 microsecond')
			ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
			WHERE l.owner = EXCLUDED.owner OR l.expires_at <= clock_timestamp()
			RETURNING epoch, expires_at`,
		renew: `UPDATE ` + ls + ` SET expires_at = clock_timestamp() + $4 * interval '1 microsecond'
			WHERE key = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp() RETURNING expires_at`,
		release: `UPDATE ` + ls + ` SET expires_at = clock_timestamp() WHERE key = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()`,
		lease:   `SELECT owner, epoch, expires_at FROM ` + ls + ` WHERE key = $1`,
		advance: `UPDATE ` + cp + ` SET pos_tx = $5, pos = $6, updated_at = now()
			WHERE projection = $1 AND version = $2 AND pos_tx = $3 AND pos = $4 AND (active OR NOT $7)
			AND EXISTS (SELECT 1 FROM ` + ls + ` WHERE key = $8 AND epoch = $9)`,
		diagnose: `SELECT c.pos_tx, c.pos, c.active, (SELECT epoch FROM ` + ls + ` WHERE key = $3)
			FROM ` + cp + ` c WHERE c.projection = $1 AND c.version = $2`,
		park: `INSERT INTO ` + dl + ` (projection, version, event_id, stream_id, stream_version, pos_tx, pos, event_type, data, metadata, recorded_at, error, attempts)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		resolve: `DELETE FROM ` + dl + ` WHERE projection = $1 AND id = $2`,
		deadLetters: `SELECT id, version, event_id, stream_id, stream_version, pos_tx, pos, event_type, data, metadata, recorded_at, error, attempts, failed_at
			FROM ` + dl + ` WHERE projection = $1 ORDER BY id`,
		countDeadLetters: `SELECT count(*) FROM ` + dl + ` WHERE projection = $1`,
		createVersion: `INSERT INTO ` + cp + ` (projection, version, active) VALUES ($1, $2, false)
			ON CONFLICT (projection, version) DO UPDATE SET pos_tx = 0, pos = 0, updated_at = now() WHERE NOT ` + cp + `.active
			RETURNING version`,
		lockCheckpoints: `SELECT version, pos_tx, pos, active, updated_at FROM ` + cp + ` WHERE projection = $1 ORDER BY version FOR UPDATE`,
		deactivate:      `UPDATE ` + cp + ` SET active = false WHERE projection = $1 AND active AND version <> $2`,
		activate:        `UPDATE ` + cp + ` SET active = true WHERE projection = $1 AND version = $2`,
		dropVersion:     `DELETE FROM ` + cp + ` WHERE projection = $1 AND version = $2 AND NOT active`,
		dropSnapshot:    `DELETE FROM ` + sn + ` WHERE projection = $1 AND version = $2`,
		saveSnapshot: `INSERT INTO ` + sn + ` (projection, version, pos_tx, pos, schema_version, data) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (projection, version) DO UPDATE SET pos_tx = $3, pos = $4, schema_version = $5, data = $6, saved_at = now()`,
		loadSnapshot: `SELECT pos_tx, pos, schema_version, data, saved_at FROM ` + sn + ` WHERE projection = $1 AND version = $2`,
	}
}

func i64(u uint64) int64 { return int64(u) }

func position(tx, pos int64) eventstore.Position {
	return eventstore.Position{Tx: uint64(tx), Pos: uint64(pos)}
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func scanCheckpoints(ctx context.Context, q querier, sql, name string) ([]projection.Checkpoint, error) {
	rows, err := q.Query(ctx, sql, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []projection.Checkpoint
	for rows.Next() {
		c := projection.Checkpoint{Projection: name}
		var tx, pos int64
		if err := rows.Scan(&c.Version, &tx, &pos, &c.Active, &c.UpdatedAt); err != nil {
			return nil, err
		}
		c.Position = position(tx, pos)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Begin implements [projection.Target]: the unit is a transaction of the pool.
func (t *Target) Begin(ctx context.Context) (projection.Unit[pgx.Tx], error) {
	tx, err := t.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: begin: %w", err)
	}
	u := &unit{t: t, tx: tx, htx: tx}
	if t.deferred {
		u.def = &deferredTx{Tx: tx}
		u.htx = u.def
	}
	return u, nil
}

// LoadCheckpoint implements [projection.Target].
func (t *Target) LoadCheckpoint(ctx context.Context, name string) (projection.Checkpoint, error) {
	for range 2 {
		cps, err := scanCheckpoints(ctx, t.pool, t.q.loadActive, name)
		if err != nil {
			return projection.Checkpoint{}, fmt.Errorf("postgres: load checkpoint of %s: %w", name, err)
		}
		if len(cps) == 1 {
			return cps[0], nil
		}
		if _, err := t.pool.Exec(ctx, t.q.ensure, name); err != nil {
			return projection.Checkpoint{}, fmt.Errorf("postgres: create checkpoint of %s: %w", name, err)
		}
	}
	return projection.Checkpoint{}, fmt.Errorf("postgres: projection %s has versions but none is active; activate one (a rebuild swap) or delete its rows from projection_checkpoints", name)
}

// Checkpoints implements [projection.Target].
func (t *Target) Checkpoints(ctx context.Context, name string) ([]projection.Checkpoint, error) {
	cps, err := scanCheckpoints(ctx, t.pool, t.q.checkpoints, name)
	if err != nil {
		return nil, fmt.Errorf("postgres: checkpoints of %s: %w", name, err)
	}
	return cps, nil
}

// Claim implements [projection.Target] with the database clock.
func (t *Target) Claim(ctx context.Context, key, owner string, ttl time.Duration) (projection.Lease, error) {
	l := projection.Lease{Key: key, Owner: owner}
	var epoch int64
	err := t.pool.QueryRow(ctx, t.q.claim, key, owner, ttl.Microseconds()).Scan(&epoch, &l.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		cur, ok, err := t.CurrentLease(ctx, key)
		if err != nil {
			return projection.Lease{}, err
		}
		if !ok {
			return projection.Lease{}, fmt.Errorf("postgres: claim lease %q: it vanished; retry", key)
		}
		return projection.Lease{}, &projection.LeaseHeldError{Lease: cur}
	}
	if err != nil {
		return projection.Lease{}, fmt.Errorf("postgres: claim lease %q: %w", key, err)
	}
	l.Epoch = uint64(epoch)
	return l, nil
}

// Renew implements [projection.Target] with the database clock.
func (t *Target) Renew(ctx context.Context, l projection.Lease, ttl time.Duration) (projection.Lease, error) {
	err := t.pool.QueryRow(ctx, t.q.renew, l.Key, l.Owner, i64(l.Epoch), ttl.Microseconds()).Scan(&l.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return projection.Lease{}, fmt.Errorf("postgres: renew lease %q epoch %d: %w", l.Key, l.Epoch, projection.ErrLeaseLost)
	}
	if err != nil {
		return projection.Lease{}, fmt.Errorf("postgres: renew lease %q: %w", l.Key, err)
	}
	return l, nil
}

// Release implements [projection.Target].
func (t *Target) Release(ctx context.Context, l projection.Lease) error {
	if _, err := t.pool.Exec(ctx, t.q.release, l.Key, l.Owner, i64(l.Epoch)); err != nil {
		return fmt.Errorf("postgres: release lease %q: %w", l.Key, err)
	}
	return nil
}

// CurrentLease implements [projection.Target].
func (t *Target) CurrentLease(ctx context.Context, key string) (projection.Lease, bool, error) {
	l := projection.Lease{Key: key}
	var epoch int64
	err := t.pool.QueryRow(ctx, t.q.lease, key).Scan(&l.Owner, &epoch, &l.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return projection.Lease{}, false, nil
	}
	if err != nil {
		return projection.Lease{}, false, fmt.Errorf("postgres: read lease %q: %w", key, err)
	}
	l.Epoch = uint64(epoch)
	return l, true, nil
}

// DeadLetters implements [projection.Target].
func (t *Target) DeadLetters(ctx context.Context, name string) ([]projection.DeadLetter, error) {
	rows, err := t.pool.Query(ctx, t.q.deadLetters, name)
	if err != nil {
		return nil, fmt.Errorf("postgres: dead letters of %s: %w", name, err)
	}
	defer rows.Close()
	var out []projection.DeadLetter
	for rows.Next() {
		d := projection.DeadLetter{Projection: name}
		var id uuid.UUID
		var sv, tx, pos int64
		var meta []byte
		if err := rows.Scan(&d.ID, &d.Version, &id, &d.Event.StreamID, &sv, &tx, &pos, &d.Event.Type, &d.Event.Data,
			&meta, &d.Event.RecordedAt, &d.Error, &d.Attempts, &d.FailedAt); err != nil {
			return nil, fmt.Errorf("postgres: dead letters of %s: %w", name, err)
		}
		d.Event.ID, d.Event.Version, d.Event.Position = id, uint64(sv), position(tx, pos)
		if d.Event.Metadata, err = eventstore.UnmarshalMetadata(meta); err != nil {
			return nil, fmt.Errorf("postgres: dead letter %d of %s: %w", d.ID, name, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: dead letters of %s: %w", name, err)
	}
	return out, nil
}

// CountDeadLetters implements [projection.Target].
func (t *Target) CountDeadLetters(ctx context.Context, name string) (int, error) {
	var n int
	if err := t.pool.QueryRow(ctx, t.q.countDeadLetters, name).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count dead letters of %s: %w", name, err)
	}
	return n, nil
}

// LoadSnapshot implements [projection.Target].
func (t *Target) LoadSnapshot(ctx context.Context, name string, version int) (projection.Snapshot, bool, error) {
	s := projection.Snapshot{Projection: name, Version: version}
	var tx, pos int64
	err := t.pool.QueryRow(ctx, t.q.loadSnapshot, name, version).Scan(&tx, &pos, &s.SchemaVersion, &s.Data, &s.SavedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return projection.Snapshot{}, false, nil
	}
	if err != nil {
		return projection.Snapshot{}, false, fmt.Errorf("postgres: load snapshot of %s v%d: %w", name, version, err)
	}
	s.Position = position(tx, pos)
	return s, true, nil
}

// unit is one transaction.
type unit struct {
	t   *Target
	tx  pgx.Tx
	htx pgx.Tx      // what the handler gets: tx, or def
	def *deferredTx // under WithDeferredWrites
}

func (u *unit) Tx() pgx.Tx { return u.htx }

// flushed sends the handler's deferred writes, if any, before another statement.
func (u *unit) flushed(ctx context.Context) error {
	if u.def == nil {
		return nil
	}
	return u.def.pending(ctx)
}

func (u *unit) Advance(ctx context.Context, a projection.Advance) error {
	args := []any{a.Projection, a.Version, i64(a.From.Tx), i64(a.From.Pos), i64(a.To.Tx), i64(a.To.Pos),
		a.RequireActive, a.Lease.Key, i64(a.Lease.Epoch)}
	var tag pgconn.CommandTag
	var err error
	if u.def != nil {
		tag, err = u.def.flush(ctx, u.t.q.advance, args...)
	} else {
		tag, err = u.tx.Exec(ctx, u.t.q.advance, args...)
	}
	if err != nil {
		return fmt.Errorf("postgres: advance checkpoint of %s v%d: %w", a.Projection, a.Version, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var tx, pos int64
	var active bool
	var epoch *int64
	err = u.tx.QueryRow(ctx, u.t.q.diagnose, a.Projection, a.Version, a.Lease.Key).Scan(&tx, &pos, &active, &epoch)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: advance %s v%d: the version does not exist (dropped by a rebuild?): %w", a.Projection, a.Version, projection.ErrCheckpointMoved)
	case err != nil:
		return fmt.Errorf("postgres: advance checkpoint of %s v%d: %w", a.Projection, a.Version, err)
	case epoch == nil || uint64(*epoch) != a.Lease.Epoch:
		cur := "none"
		if epoch != nil {
			cur = strconv.FormatInt(*epoch, 10)
		}
		return fmt.Errorf("postgres: advance %s v%d: lease %q is at epoch %s, this instance holds %d: %w", a.Projection, a.Version, a.Lease.Key, cur, a.Lease.Epoch, projection.ErrFenced)
	case a.RequireActive && !active:
		return fmt.Errorf("postgres: advance %s v%d: %w", a.Projection, a.Version, projection.ErrNotActive)
	default:
		return fmt.Errorf("postgres: advance %s v%d: checkpoint is at %s, expected %s: %w", a.Projection, a.Version, position(tx, pos), a.From, projection.ErrCheckpointMoved)
	}
}

func (u *unit) Park(ctx context.Context, d projection.DeadLetter) error {
	if err := u.flushed(ctx); err != nil {
		return err
	}
	meta, err := eventstore.MarshalMetadata(d.Event.Metadata)
	if err != nil {
		return err
	}
	data := d.Event.Data
	if data == nil {
		data = []byte{}
	}
	recorded := d.Event.RecordedAt
	if recorded.IsZero() {
		recorded = time.Unix(0, 0).UTC()
	}
	_, err = u.tx.Exec(ctx, u.t.q.park, d.Projection, d.Version, d.Event.ID, d.Event.StreamID, i64(d.Event.Version),
		i64(d.Event.Position.Tx), i64(d.Event.Position.Pos), d.Event.Type, data, meta, recorded, d.Error, d.Attempts)
	if err != nil {
		return fmt.Errorf("postgres: park event %s of %s: %w", d.Event.ID, d.Projection, err)
	}
	return nil
}

func (u *unit) Resolve(ctx context.Context, name string, id int64) error {
	if err := u.flushed(ctx); err != nil {
		return err
	}
	tag, err := u.tx.Exec(ctx, u.t.q.resolve, name, id)
	if err != nil {
		return fmt.Errorf("postgres: resolve dead letter %d of %s: %w", id, name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: dead letter %d of %s: %w", id, name, projection.ErrDeadLetterNotFound)
	}
	return nil
}

func (u *unit) CreateVersion(ctx context.Context, name string, version int) error {
	if err := u.flushed(ctx); err != nil {
		return err
	}
	var v int
	err := u.tx.QueryRow(ctx, u.t.q.createVersion, name, version).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: create version %d of %s: it is the active version", version, name)
	}
	if err != nil {
		return fmt.Errorf("postgres: create version %d of %s: %w", version, name, err)
	}
	return nil
}

func (u *unit) LockCheckpoints(ctx context.Context, name string) ([]projection.Checkpoint, error) {
	if err := u.flushed(ctx); err != nil {
		return nil, err
	}
	cps, err := scanCheckpoints(ctx, u.tx, u.t.q.lockCheckpoints, name)
	if err != nil {
		return nil, fmt.Errorf("postgres: lock checkpoints of %s: %w", name, err)
	}
	return cps, nil
}

func (u *unit) Activate(ctx context.Context, name string, version int) error {
	if err := u.flushed(ctx); err != nil {
		return err
	}
	if _, err := u.tx.Exec(ctx, u.t.q.deactivate, name, version); err != nil {
		return fmt.Errorf("postgres: activate version %d of %s: %w", version, name, err)
	}
	tag, err := u.tx.Exec(ctx, u.t.q.activate, name, version)
	if err != nil {
		return fmt.Errorf("postgres: activate version %d of %s: %w", version, name, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("postgres: activate version %d of %s: no such version", version, name)
	}
	return nil
}

func (u *unit) DropVersion(ctx context.Context, name string, version int) error {
	if err := u.flushed(ctx); err != nil {
		return err
	}
	if _, err := u.tx.Exec(ctx, u.t.q.dropVersion, name, version); err != nil {
		return fmt.Errorf("postgres: drop version %d of %s: %w", version, name, err)
	}
	if _, err := u.tx.Exec(ctx, u.t.q.dropSnapshot, name, version); err != nil {
		return fmt.Errorf("postgres: drop snapshot of version %d of %s: %w", version, name, err)
	}
	return nil
}

func (u *unit) SaveSnapshot(ctx context.Context, s projection.Snapshot) error {
	if err := u.flushed(ctx); err != nil {
		return err
	}
	data := s.Data
	if data == nil {
		data = []byte{}
	}
	if _, err := u.tx.Exec(ctx, u.t.q.saveSnapshot, s.Projection, s.Version, i64(s.Position.Tx), i64(s.Position.Pos), s.SchemaVersion, data); err != nil {
		return fmt.Errorf("postgres: save snapshot of %s v%d: %w", s.Projection, s.Version, err)
	}
	return nil
}

func (u *unit) Commit(ctx context.Context) error {
	if err := u.flushed(ctx); err != nil {
		return err
	}
	if err := u.tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

func (u *unit) Rollback(ctx context.Context) error {
	err := u.tx.Rollback(ctx)
	if err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return err
	}
	return nil
}

// Transient implements [projection.TransientClassifier]: connection failures, timeouts,
// deadlocks, serialization failures, lock timeouts, server shutdowns and resource
// exhaustion pass; the runner retries them without counting an attempt.
func (t *Target) Transient(err error) bool {
	if err == nil {
		return false
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, pgx.ErrTxClosed) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"),  // insufficient resources
			strings.HasPrefix(pgErr.Code, "57P"), // operator intervention (shutdown)
			pgErr.Code == "40001",                // serialization failure
			pgErr.Code == "40P01",                // deadlock detected
			pgErr.Code == "55P03":                // lock not available
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
