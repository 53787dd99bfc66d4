package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	msqlite "modernc.org/sqlite"

	"github.com/esgen/esgen/eventstore"
	essqlite "github.com/esgen/esgen/eventstore/sqlite"
	"github.com/esgen/esgen/internal/migrations"
	"github.com/esgen/esgen/projection"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// now is SQLite's clock in milliseconds since the Unix epoch.
const now = `CAST(unixepoch('subsec') * 1000 AS INTEGER)`

// Writer runs fn in a write transaction and commits it when fn returns nil.
// *essqlite.Store implements it.
type Writer interface {
	WriteTx(ctx context.Context, fn func(tx *sql.Tx) error) error
}

// Target is the SQLite [projection.Target]. Create it with [New] or [FromStore]. It is safe
// for concurrent use.
type Target struct {
	db *sql.DB
	w  Writer
}

var _ projection.Target[*sql.Tx] = (*Target)(nil)

var _ projection.TransientClassifier = (*Target)(nil)

// Option configures a [Target].
type Option func(*config)

type config struct{ migrate bool }

// WithMigrate makes [New] apply the embedded migrations.
func WithMigrate() Option { return func(c *config) { c.migrate = true } }

// ErrNotMigrated means the projection tables are missing or older than this code: call
// [Target.Migrate] or pass [WithMigrate].
var ErrNotMigrated = errors.New("sqlite: projection tables not migrated")

// FromStore returns a target in the event store's file, writing through its single writer
// ([essqlite.Store.WriteTx]) and reading through [essqlite.Store.DB].
func FromStore(ctx context.Context, s *essqlite.Store, opts ...Option) (*Target, error) {
	if s == nil {
		return nil, errors.New("sqlite: FromStore: the store is nil")
	}
	return New(ctx, s.DB(), s, opts...)
}

// New returns a target reading through db and writing through w. With a nil w it writes
// through db, serialising its own write transactions; then nothing else may write the file
// through another connection pool meanwhile (see the package documentation).
func New(ctx context.Context, db *sql.DB, w Writer, opts ...Option) (*Target, error) {
	if db == nil {
		return nil, errors.New("sqlite: New: the database is nil; pass the *sql.DB of the read-model file")
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if w == nil {
		w = &dbWriter{db: db}
	}
	t := &Target{db: db, w: w}
	if c.migrate {
		if err := t.Migrate(ctx); err != nil {
			return nil, err
		}
		return t, nil
	}
	v, err := t.schemaVersion(ctx, db)
	if err != nil {
		return nil, err
	}
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if want := len(ms); v < want {
		return nil, fmt.Errorf("%w: the file is at projection migration %d, this code needs %d; call Target.Migrate or pass sqlite.WithMigrate()", ErrNotMigrated, v, want)
	}
	return t, nil
}

// dbWriter serialises write transactions on a plain pool.
type dbWriter struct {
	mu sync.Mutex
	db *sql.DB
}

func (w *dbWriter) WriteTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// loadMigrations returns the embedded projection migrations in order.
func loadMigrations() ([]migrations.Migration, error) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: projection %w", err)
	}
	return ms, nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (t *Target) schemaVersion(ctx context.Context, q queryRower) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'projection_schema_migrations'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: read projection schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	if err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM projection_schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read projection schema version: %w", err)
	}
	return v, nil
}

// Migrate applies the embedded migrations not yet applied, in one write transaction.
func (t *Target) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	err = t.w.WriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS projection_schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)`); err != nil {
			return err
		}
		cur, err := t.schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Version <= cur {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO projection_schema_migrations (version, name, applied_ms) VALUES (?1, ?2, `+now+`)`, m.Version, m.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: migrate projection tables: %w", err)
	}
	return nil
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

func position(tx, pos int64) eventstore.Position {
	return eventstore.Position{Tx: uint64(tx), Pos: uint64(pos)}
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const cpColumns = `version, pos_tx, pos, active, updated_ms FROM projection_checkpoints WHERE projection = ?1`

func scanCheckpoints(ctx context.Context, q querier, query, name string) ([]projection.Checkpoint, error) {
	rows, err := q.QueryContext(ctx, query, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []projection.Checkpoint
	for rows.Next() {
		c := projection.Checkpoint{Projection: name}
		var tx, pos, upd int64
		if err := rows.Scan(&c.Version, &tx, &pos, &c.Active, &upd); err != nil {
			return nil, err
		}
		c.Position, c.UpdatedAt = position(tx, pos), ms(upd)
		out = append(out, c)
	}
	return out, rows.Err()
}

// errRollback ends a write transaction without committing.
var errRollback = errors.New("sqlite: unit rolled back")

// Begin implements [projection.Target]: the unit holds a write transaction of the Writer
// until Commit or Rollback.
func (t *Target) Begin(ctx context.Context) (projection.Unit[*sql.Tx], error) {
	u := &unit{txc: make(chan *sql.Tx), decide: make(chan bool), result: make(chan error, 1)}
	go func() {
		u.result <- t.w.WriteTx(ctx, func(tx *sql.Tx) error {
			u.txc <- tx
			if <-u.decide {
				return nil
			}
			return errRollback
		})
	}()
	select {
	case u.tx = <-u.txc:
		return u, nil
	case err := <-u.result:
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
}

func (t *Target) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return t.w.WriteTx(ctx, fn)
}

// LoadCheckpoint implements [projection.Target].
func (t *Target) LoadCheckpoint(ctx context.Context, name string) (projection.Checkpoint, error) {
	for range 2 {
		cps, err := scanCheckpoints(ctx, t.db, `SELECT `+cpColumns+` AND active`, name)
		if err != nil {
			return projection.Checkpoint{}, fmt.Errorf("sqlite: load checkpoint of %s: %w", name, err)
		}
		if len(cps) == 1 {
			return cps[0], nil
		}
		err = t.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO projection_checkpoints (projection, version, active, updated_ms)
				SELECT ?1, 1, 1, `+now+` WHERE NOT EXISTS (SELECT 1 FROM projection_checkpoints WHERE projection = ?1)
				ON CONFLICT DO NOTHING`, name)
			return err
		})
		if err != nil {
			return projection.Checkpoint{}, fmt.Errorf("sqlite: create checkpoint of %s: %w", name, err)
		}
	}
	return projection.Checkpoint{}, fmt.Errorf("sqlite: projection %s has versions but none is active; activate one (a rebuild swap) or delete its rows from projection_checkpoints", name)
}

// Checkpoints implements [projection.Target].
func (t *Target) Checkpoints(ctx context.Context, name string) ([]projection.Checkpoint, error) {
	cps, err := scanCheckpoints(ctx, t.db, `SELECT `+cpColumns+` ORDER BY version`, name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: checkpoints of %s: %w", name, err)
	}
	return cps, nil
}

// Claim implements [projection.Target] with SQLite's clock.
func (t *Target) Claim(ctx context.Context, key, owner string, ttl time.Duration) (projection.Lease, error) {
	l := projection.Lease{Key: key, Owner: owner}
	var found bool
	err := t.write(ctx, func(tx *sql.Tx) error {
		var epoch, exp int64
		err := tx.QueryRowContext(ctx, `INSERT INTO projection_leases AS l (key, owner, epoch, expires_ms) VALUES (?1, ?2, 1, `+now+` + ?3)
			ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, epoch = l.epoch + 1, expires_ms = excluded.expires_ms
			WHERE l.owner = excluded.owner OR l.expires_ms <= `+now+`
			RETURNING epoch, expires_ms`, key, owner, ttl.Milliseconds()).Scan(&epoch, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		l.Epoch, l.ExpiresAt = uint64(epoch), ms(exp)
		return nil
	})
	if err != nil {
		return projection.Lease{}, fmt.Errorf("sqlite: claim lease %q: %w", key, err)
	}
	if !found {
		cur, ok, err := t.CurrentLease(ctx, key)
		if err != nil {
			return projection.Lease{}, err
		}
		if !ok {
			return projection.Lease{}, fmt.Errorf("sqlite: claim lease %q: it vanished; retry", key)
		}
		return projection.Lease{}, &projection.LeaseHeldError{Lease: cur}
	}
	return l, nil
}

// Renew implements [projection.Target] with SQLite's clock.
func (t *Target) Renew(ctx context.Context, l projection.Lease, ttl time.Duration) (projection.Lease, error) {
	var found bool
	err := t.write(ctx, func(tx *sql.Tx) error {
		var exp int64
		err := tx.QueryRowContext(ctx, `UPDATE projection_leases SET expires_ms = `+now+` + ?4
			WHERE key = ?1 AND owner = ?2 AND epoch = ?3 AND expires_ms > `+now+` RETURNING expires_ms`,
			l.Key, l.Owner, int64(l.Epoch), ttl.Milliseconds()).Scan(&exp)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found, l.ExpiresAt = true, ms(exp)
		return nil
	})
	if err != nil {
		return projection.Lease{}, fmt.Errorf("sqlite: renew lease %q: %w", l.Key, err)
	}
	if !found {
		return projection.Lease{}, fmt.Errorf("sqlite: renew lease %q epoch %d: %w", l.Key, l.Epoch, projection.ErrLeaseLost)
	}
	return l, nil
}

// Release implements [projection.Target].
func (t *Target) Release(ctx context.Context, l projection.Lease) error {
	err := t.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE projection_leases SET expires_ms = `+now+`
			WHERE key = ?1 AND owner = ?2 AND epoch = ?3 AND expires_ms > `+now, l.Key, l.Owner, int64(l.Epoch))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: release lease %q: %w", l.Key, err)
	}
	return nil
}

// CurrentLease implements [projection.Target].
func (t *Target) CurrentLease(ctx context.Context, key string) (projection.Lease, bool, error) {
	l := projection.Lease{Key: key}
	var epoch, exp int64
	err := t.db.QueryRowContext(ctx, `SELECT owner, epoch, expires_ms FROM projection_leases WHERE key = ?1`, key).Scan(&l.Owner, &epoch, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return projection.Lease{}, false, nil
	}
	if err != nil {
		return projection.Lease{}, false, fmt.Errorf("sqlite: read lease %q: %w", key, err)
	}
	l.Epoch, l.ExpiresAt = uint64(epoch), ms(exp)
	return l, true, nil
}

// DeadLetters implements [projection.Target].
func (t *Target) DeadLetters(ctx context.Context, name string) ([]projection.DeadLetter, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT id, version, event_id, stream_id, stream_version, pos_tx, pos, event_type, data, metadata,
		recorded_ms, error, attempts, failed_ms FROM projection_dead_letters WHERE projection = ?1 ORDER BY id`, name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: dead letters of %s: %w", name, err)
	}
	defer rows.Close()
	var out []projection.DeadLetter
	for rows.Next() {
		d := projection.DeadLetter{Projection: name}
		var id string
		var sv, tx, pos, rec, failed int64
		var meta []byte
		if err := rows.Scan(&d.ID, &d.Version, &id, &d.Event.StreamID, &sv, &tx, &pos, &d.Event.Type, &d.Event.Data, &meta,
			&rec, &d.Error, &d.Attempts, &failed); err != nil {
			return nil, fmt.Errorf("sqlite: dead letters of %s: %w", name, err)
		}
		if d.Event.ID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("sqlite: dead letter %d of %s: event ID %q: %w", d.ID, name, id, err)
		}
		d.Event.Version, d.Event.Position, d.Event.RecordedAt, d.FailedAt = uint64(sv), position(tx, pos), ms(rec), ms(failed)
		if d.Event.Metadata, err = eventstore.UnmarshalMetadata(meta); err != nil {
			return nil, fmt.Errorf("sqlite: dead letter %d of %s: %w", d.ID, name, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: dead letters of %s: %w", name, err)
	}
	return out, nil
}

// CountDeadLetters implements [projection.Target].
func (t *Target) CountDeadLetters(ctx context.Context, name string) (int, error) {
	var n int
	if err := t.db.QueryRowContext(ctx, `SELECT count(*) FROM projection_dead_letters WHERE projection = ?1`, name).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count dead letters of %s: %w", name, err)
	}
	return n, nil
}

// LoadSnapshot implements [projection.Target].
func (t *Target) LoadSnapshot(ctx context.Context, name string, version int) (projection.Snapshot, bool, error) {
	s := projection.Snapshot{Projection: name, Version: version}
	var tx, pos, saved int64
	err := t.db.QueryRowContext(ctx, `SELECT pos_tx, pos, schema_version, data, saved_ms FROM projection_snapshots WHERE projection = ?1 AND version = ?2`,
		name, version).Scan(&tx, &pos, &s.SchemaVersion, &s.Data, &saved)
	if errors.Is(err, sql.ErrNoRows) {
		return projection.Snapshot{}, false, nil
	}
	if err != nil {
		return projection.Snapshot{}, false, fmt.Errorf("sqlite: load snapshot of %s v%d: %w", name, version, err)
	}
	s.Position, s.SavedAt = position(tx, pos), ms(saved)
	return s, true, nil
}

// unit is one write transaction, held open by a goroutine inside Writer.WriteTx.
type unit struct {
	tx     *sql.Tx
	txc    chan *sql.Tx
	decide chan bool
	result chan error
	done   bool
}

func (u *unit) Tx() *sql.Tx { return u.tx }

func (u *unit) Advance(ctx context.Context, a projection.Advance) error {
	res, err := u.tx.ExecContext(ctx, `UPDATE projection_checkpoints SET pos_tx = ?5, pos = ?6, updated_ms = `+now+`
		WHERE projection = ?1 AND version = ?2 AND pos_tx = ?3 AND pos = ?4 AND (active OR NOT ?7)
		AND EXISTS (SELECT 1 FROM projection_leases WHERE key = ?8 AND epoch = ?9)`,
		a.Projection, a.Version, int64(a.From.Tx), int64(a.From.Pos), int64(a.To.Tx), int64(a.To.Pos), a.RequireActive, a.Lease.Key, int64(a.Lease.Epoch))
	if err != nil {
		return fmt.Errorf("sqlite: advance checkpoint of %s v%d: %w", a.Projection, a.Version, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var tx, pos int64
	var active bool
	var epoch sql.NullInt64
	err = u.tx.QueryRowContext(ctx, `SELECT c.pos_tx, c.pos, c.active, (SELECT epoch FROM projection_leases WHERE key = ?3)
		FROM projection_checkpoints c WHERE c.projection = ?1 AND c.version = ?2`, a.Projection, a.Version, a.Lease.Key).Scan(&tx, &pos, &active, &epoch)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: advance %s v%d: the version does not exist (dropped by a rebuild?): %w", a.Projection, a.Version, projection.ErrCheckpointMoved)
	case err != nil:
		return fmt.Errorf("sqlite: advance checkpoint of %s v%d: %w", a.Projection, a.Version, err)
	case !epoch.Valid || uint64(epoch.Int64) != a.Lease.Epoch:
		return fmt.Errorf("sqlite: advance %s v%d: lease %q is at epoch %d, this instance holds %d: %w", a.Projection, a.Version, a.Lease.Key, epoch.Int64, a.Lease.Epoch, projection.ErrFenced)
	case a.RequireActive && !active:
		return fmt.Errorf("sqlite: advance %s v%d: %w", a.Projection, a.Version, projection.ErrNotActive)
	default:
		return fmt.Errorf("sqlite: advance %s v%d: checkpoint is at %s, expected %s: %w", a.Projection, a.Version, position(tx, pos), a.From, projection.ErrCheckpointMoved)
	}
}

func (u *unit) Park(ctx context.Context, d projection.DeadLetter) error {
	meta, err := eventstore.MarshalMetadata(d.Event.Metadata)
	if err != nil {
		return err
	}
	data := d.Event.Data
	if data == nil {
		data = []byte{}
	}
	_, err = u.tx.ExecContext(ctx, `INSERT INTO projection_dead_letters (projection, version, event_id, stream_id, stream_version, pos_tx, pos,
		event_type, data, metadata, recorded_ms, error, attempts, failed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, `+now+`)`,
		d.Projection, d.Version, d.Event.ID.String(), d.Event.StreamID, int64(d.Event.Version), int64(d.Event.Position.Tx), int64(d.Event.Position.Pos),
		d.Event.Type, data, meta, d.Event.RecordedAt.UnixMilli(), d.Error, d.Attempts)
	if err != nil {
		return fmt.Errorf("sqlite: park event %s of %s: %w", d.Event.ID, d.Projection, err)
	}
	return nil
}

func (u *unit) Resolve(ctx context.Context, name string, id int64) error {
	res, err := u.tx.ExecContext(ctx, `DELETE FROM projection_dead_letters WHERE projection = ?1 AND id = ?2`, name, id)
	if err != nil {
		return fmt.Errorf("sqlite: resolve dead letter %d of %s: %w", id, name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: dead letter %d of %s: %w", id, name, projection.ErrDeadLetterNotFound)
	}
	return nil
}

func (u *unit) CreateVersion(ctx context.Context, name string, version int) error {
	var v int
	err := u.tx.QueryRowContext(ctx, `INSERT INTO projection_checkpoints (projection, version, active, updated_ms) VALUES (?1, ?2, 0, `+now+`)
		ON CONFLICT (projection, version) DO UPDATE SET pos_tx = 0, pos = 0, updated_ms = excluded.updated_ms WHERE NOT projection_checkpoints.active
		RETURNING version`, name, version).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: create version %d of %s: it is the active version", version, name)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create version %d of %s: %w", version, name, err)
	}
	return nil
}

// LockCheckpoints implements [projection.Unit]: the unit's write transaction already
// excludes every other writer.
func (u *unit) LockCheckpoints(ctx context.Context, name string) ([]projection.Checkpoint, error) {
	cps, err := scanCheckpoints(ctx, u.tx, `SELECT `+cpColumns+` ORDER BY version`, name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: checkpoints of %s: %w", name, err)
	}
	return cps, nil
}

func (u *unit) Activate(ctx context.Context, name string, version int) error {
	if _, err := u.tx.ExecContext(ctx, `UPDATE projection_checkpoints SET active = 0 WHERE projection = ?1 AND active AND version <> ?2`, name, version); err != nil {
		return fmt.Errorf("sqlite: activate version %d of %s: %w", version, name, err)
	}
	res, err := u.tx.ExecContext(ctx, `UPDATE projection_checkpoints SET active = 1 WHERE projection = ?1 AND version = ?2`, name, version)
	if err != nil {
		return fmt.Errorf("sqlite: activate version %d of %s: %w", version, name, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("sqlite: activate version %d of %s: no such version", version, name)
	}
	return nil
}

func (u *unit) DropVersion(ctx context.Context, name string, version int) error {
	if _, err := u.tx.ExecContext(ctx, `DELETE FROM projection_checkpoints WHERE projection = ?1 AND version = ?2 AND NOT active`, name, version); err != nil {
		return fmt.Errorf("sqlite: drop version %d of %s: %w", version, name, err)
	}
	if _, err := u.tx.ExecContext(ctx, `DELETE FROM projection_snapshots WHERE projection = ?1 AND version = ?2`, name, version); err != nil {
		return fmt.Errorf("sqlite: drop snapshot of version %d of %s: %w", version, name, err)
	}
	return nil
}

func (u *unit) SaveSnapshot(ctx context.Context, s projection.Snapshot) error {
	data := s.Data
	if data == nil {
		data = []byte{}
	}
	_, err := u.tx.ExecContext(ctx, `INSERT INTO projection_snapshots (projection, version, pos_tx, pos, schema_version, data, saved_ms)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, `+now+`)
		ON CONFLICT (projection, version) DO UPDATE SET pos_tx = ?3, pos = ?4, schema_version = ?5, data = ?6, saved_ms = excluded.saved_ms`,
		s.Projection, s.Version, int64(s.Position.Tx), int64(s.Position.Pos), s.SchemaVersion, data)
	if err != nil {
		return fmt.Errorf("sqlite: save snapshot of %s v%d: %w", s.Projection, s.Version, err)
	}
	return nil
}

func (u *unit) finish(commit bool) error {
	if u.done {
		return nil
	}
	u.done = true
	u.decide <- commit
	err := <-u.result
	if !commit && errors.Is(err, errRollback) {
		return nil
	}
	return err
}

func (u *unit) Commit(ctx context.Context) error {
	if err := u.finish(true); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

func (u *unit) Rollback(ctx context.Context) error { return u.finish(false) }

// Transient implements [projection.TransientClassifier]: SQLITE_BUSY and SQLITE_LOCKED (the
// file's write lock held elsewhere past the busy timeout) pass; the runner retries them
// without counting an attempt.
func (t *Target) Transient(err error) bool {
	var e *msqlite.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}
