package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esgen/esgen/eventstore"
	msqlite "modernc.org/sqlite"
)

// Store is an [eventstore.Store] kept in one SQLite database file. Create it with [Open];
// it is safe for concurrent use.
type Store struct {
	path string
	cfg  config
	lock *lockFile

	w *sql.DB // the single writer connection (MaxOpenConns 1, BEGIN IMMEDIATE)
	r *sql.DB // the pool of read-only connections

	closed atomic.Bool
	ready  atomic.Bool // the schema is at SchemaVersion and statements are prepared
	found  int         // schema version found at Open, for ErrSchemaOutdated

	prepMu sync.Mutex
	st     statements

	signal eventstore.Signal

	qmu    sync.Mutex    // guards queue
	queue  []*appendReq  // appends waiting for the writer (group commit)
	wtoken chan struct{} // held by the append leading a group
	groups atomic.Int64  // committed append transactions, for tests
}

var _ eventstore.Store = (*Store)(nil)

// Synchronous is SQLite's synchronous setting for the writer connection: how hard a commit
// pushes the write-ahead log to stable storage before Append returns.
type Synchronous int

// Synchronous settings.
const (
	// SynchronousFull (the default) fsyncs the write-ahead log on every commit: an append
	// that returned survives a process crash, an operating system crash and a power cut.
	SynchronousFull Synchronous = iota
	// SynchronousNormal fsyncs only at checkpoints: an append that returned survives a
	// process crash, but the last appends before an operating system crash or power cut
	// may be lost (the database stays consistent). Faster; choose it only when losing
	// acknowledged events on power loss is acceptable.
	SynchronousNormal
)

// String returns the PRAGMA value: "FULL" or "NORMAL".
func (s Synchronous) String() string {
	if s == SynchronousNormal {
		return "NORMAL"
	}
	return "FULL"
}

type config struct {
	migrate     bool
	busyTimeout time.Duration
	maxReaders  int
	sync        Synchronous
}

// Defaults for [Open].
const (
	// DefaultBusyTimeout is how long a connection waits for SQLite's lock before failing
	// with SQLITE_BUSY.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultMaxReaders is the size of the read connection pool.
	DefaultMaxReaders = 4
)

// Option configures [Open].
type Option func(*config)

// WithMigrate makes [Open] apply the embedded migrations the database lacks (see
// [Store.Migrate]). Without it, a database whose schema is behind opens, but its methods
// fail with [ErrSchemaOutdated] until Migrate is called.
func WithMigrate() Option { return func(c *config) { c.migrate = true } }

// WithBusyTimeout sets SQLite's busy timeout on every connection (default
// [DefaultBusyTimeout]). It bounds how long a statement waits for a lock held by another
// connection, such as a checkpoint or an external tool reading the file.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithMaxReaders sets how many read connections the store keeps (default
// [DefaultMaxReaders]). Reads never block the writer or each other in WAL mode.
func WithMaxReaders(n int) Option { return func(c *config) { c.maxReaders = n } }

// WithSynchronous sets the writer's durability (default [SynchronousFull]).
func WithSynchronous(s Synchronous) Option { return func(c *config) { c.sync = s } }

func (c config) validate() error {
	switch {
	case c.busyTimeout < 0:
		return fmt.Errorf("sqlite: busy timeout %v is negative; give a duration >= 0", c.busyTimeout)
	case c.maxReaders < 1:
		return fmt.Errorf("sqlite: %d read connections requested; give at least 1", c.maxReaders)
	case c.sync != SynchronousFull && c.sync != SynchronousNormal:
		return fmt.Errorf("sqlite: unknown synchronous setting %d; use SynchronousFull or SynchronousNormal", c.sync)
	}
	return nil
}

// Open opens the event store in the SQLite database file at path, creating the file if it
// does not exist (its directory must). It takes an exclusive lock on "<path>.lock" for the
// life of the Store, so one file has one writing process; it fails with [ErrLocked] if
// another process or Store holds it, [ErrReadOnly] if the file or its directory cannot be
// written, [ErrNotDatabase] if the file is something else, and [ErrSchemaTooNew] if a newer
// esgen wrote it. See [WithMigrate] for applying the schema.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{busyTimeout: DefaultBusyTimeout, maxReaders: DefaultMaxReaders}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlite: open: the database path is empty; give a file name such as data/events.db")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &OpenError{Path: path, Problem: "cannot resolve the path", Err: err}
	}
	if err := checkFile(abs); err != nil {
		return nil, err
	}
	lock, err := acquireLock(abs)
	if err != nil {
		return nil, err
	}
	s := &Store{path: abs, cfg: cfg, lock: lock, wtoken: make(chan struct{}, 1)}
	if err := s.open(ctx); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	ms := strconv.FormatInt(s.cfg.busyTimeout.Milliseconds(), 10)
	var err error
	s.w, err = sql.Open("sqlite", dsn(s.path,
		"_pragma", "busy_timeout("+ms+")",
		"_pragma", "journal_mode(WAL)",
		"_pragma", "synchronous("+s.cfg.sync.String()+")",
		"_pragma", "foreign_keys(1)",
		"_pragma", "temp_store(MEMORY)",
		"_pragma", "cache_size(-16000)",
		"_txlock", "immediate"))
	if err != nil {
		return &OpenError{Path: s.path, Problem: "cannot open the writer connection", Err: err}
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return s.openError(err, "cannot open the database")
	}
	if !strings.EqualFold(mode, "wal") {
		return &OpenError{Path: s.path, Problem: fmt.Sprintf("journal mode is %q after asking for WAL; the file system may not support the shared memory WAL needs (network file systems do not): put the database on a local disk", mode)}
	}
	// Read the schema version inside BEGIN IMMEDIATE: this also proves that no other
	// process holds SQLite's write lock on the file.
	var found int
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		found, err = schemaVersion(ctx, tx)
		return err
	})
	if err != nil {
		return s.openError(err, "cannot read the schema version")
	}
	if found > SchemaVersion {
		return &SchemaVersionError{Path: s.path, Found: found, Supported: SchemaVersion}
	}
	s.found = found

	s.r, err = sql.Open("sqlite", dsn(s.path,
		"_pragma", "busy_timeout("+ms+")",
		"_pragma", "foreign_keys(1)",
		"_pragma", "query_only(1)",
		"_pragma", "temp_store(MEMORY)"))
	if err != nil {
		return &OpenError{Path: s.path, Problem: "cannot open the read connections", Err: err}
	}
	s.r.SetMaxOpenConns(s.cfg.maxReaders)
	s.r.SetMaxIdleConns(s.cfg.maxReaders)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	if err := s.r.PingContext(ctx); err != nil {
		return s.openError(err, "cannot open a read connection")
	}

	switch {
	case found == SchemaVersion:
		if err := s.prepare(ctx); err != nil {
			return err
		}
		s.ready.Store(true)
	case s.cfg.migrate:
		if err := s.Migrate(ctx); err != nil {
			return err
		}
	}
	return nil
}

// dsn builds the driver's name for the file at path with the given key/value parameters.
func dsn(path string, kv ...string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p}
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return u.String() + "?" + q.Encode()
}

var sqliteHeader = []byte("SQLite format 3\x00")

// checkFile explains, before SQLite is involved, the common reasons a path cannot be used.
func checkFile(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		dir := filepath.Dir(path)
		if dst, derr := os.Stat(dir); derr != nil || !dst.IsDir() {
			return &OpenError{Path: path, Problem: fmt.Sprintf("the directory %s does not exist; create it first", dir), Err: derr}
		}
		return nil
	}
	if err != nil {
		return &OpenError{Path: path, Problem: "cannot inspect the file", Err: err}
	}
	if st.IsDir() {
		return &OpenError{Path: path, Kind: ErrNotDatabase, Problem: "it is a directory; give the path of a database file inside it, e.g. " + filepath.Join(path, "events.db")}
	}
	if st.Mode().Perm()&0o222 == 0 {
		return &OpenError{Path: path, Kind: ErrReadOnly,
			Problem: fmt.Sprintf("the file is read-only (mode %v); the event store writes to it: make it writable (chmod u+w) or copy it", st.Mode().Perm())}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if isReadOnlyErr(err) {
			return &OpenError{Path: path, Kind: ErrReadOnly, Err: err,
				Problem: "the file cannot be opened for writing (permissions or a read-only file system); the event store writes to it"}
		}
		return &OpenError{Path: path, Problem: "cannot open the file", Err: err}
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF || err == nil) {
		return nil // an empty file is a new database
	}
	if n < len(head) || string(head) != string(sqliteHeader) {
		return &OpenError{Path: path, Kind: ErrNotDatabase,
			Problem: "the file exists but is not an SQLite database (its header is wrong); check the path, or move the file away to start a new store"}
	}
	return nil
}

// openError classifies an SQLite error met while opening.
func (s *Store) openError(err error, what string) error {
	var oe *OpenError
	var sv *SchemaVersionError
	if errors.As(err, &oe) || errors.As(err, &sv) {
		return err
	}
	switch sqliteCode(err) & 0xff {
	case sqliteBusy, sqliteLocked:
		return &OpenError{Path: s.path, Kind: ErrLocked, Err: err,
			Problem: fmt.Sprintf("another process holds SQLite's write lock on the file and did not release it within the busy timeout (%v); stop the other program using it and retry", s.cfg.busyTimeout)}
	case sqliteReadOnly, sqlitePerm:
		return &OpenError{Path: s.path, Kind: ErrReadOnly, Err: err,
			Problem: "SQLite cannot write the file or its -wal/-shm companions; make the file and its directory writable"}
	case sqliteNotADB:
		return &OpenError{Path: s.path, Kind: ErrNotDatabase, Err: err,
			Problem: "the file is not an SQLite database (or is encrypted or corrupt); check the path"}
	case sqliteCantOpen:
		return &OpenError{Path: s.path, Err: err, Problem: "SQLite cannot open the file; check the path and the permissions of its directory"}
	}
	return &OpenError{Path: s.path, Problem: what, Err: err}
}

// SQLite result codes (primary codes, the low byte of extended codes).
const (
	sqlitePerm             = 3
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteReadOnly         = 8
	sqliteCantOpen         = 14
	sqliteNotADB           = 26
	sqliteConstraintUnique = 2067
)

func sqliteCode(err error) int {
	var e *msqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// DB returns the pool of read-only connections to the database file, for reading tables
// that live beside the event store (projection read models, checkpoints). Statements that
// write fail ("attempt to write a readonly database"): write with [Store.WriteTx]. Do not
// close it; [Store.Close] does.
func (s *Store) DB() *sql.DB { return s.r }

// WriteTx runs fn in a transaction on the store's single writer connection (BEGIN
// IMMEDIATE) and commits it if fn returns nil, or rolls it back and returns fn's error.
// Projections use it to commit read-model writes and their checkpoint atomically in the
// same file as the events.
//
// Writes are serialised: while fn runs, appends wait. Keep fn short, and never call the
// Store's writing methods (Append, Delete, Tombstone, WriteTx) from inside fn: they wait
// for the connection fn holds, until ctx is done.
func (s *Store) WriteTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.closed.Load() {
		return eventstore.ErrClosed
	}
	if fn == nil {
		return errors.New("sqlite: WriteTx: fn is nil; pass the function to run in the transaction")
	}
	if err := s.writeTx(ctx, fn); err != nil {
		return s.wrapErr(err)
	}
	return nil
}

// writeTx runs fn in a write transaction. The writer pool has one connection, so this also
// serialises writers in this process; BEGIN IMMEDIATE takes SQLite's write lock up front.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	done = true
	return tx.Commit()
}

// wrapErr maps errors from a closed store to eventstore.ErrClosed, and SQLite's lock and
// read-only failures to ErrLocked and ErrReadOnly, naming the file.
func (s *Store) wrapErr(err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() && !errors.Is(err, eventstore.ErrClosed) {
		return fmt.Errorf("%w (%v)", eventstore.ErrClosed, err)
	}
	switch sqliteCode(err) & 0xff {
	case sqliteBusy, sqliteLocked:
		return fmt.Errorf("%w: %s: another connection (another program using the file) held SQLite's lock longer than the busy timeout (%v); find and stop it, or raise WithBusyTimeout: %w",
			ErrLocked, s.path, s.cfg.busyTimeout, err)
	case sqliteReadOnly:
		return fmt.Errorf("%w: %s: SQLite cannot write the file any more (permissions changed or the file system was remounted read-only): %w", ErrReadOnly, s.path, err)
	}
	return err
}

// usable reports why the store's methods cannot run, if they cannot.
func (s *Store) usable() error {
	if s.closed.Load() {
		return eventstore.ErrClosed
	}
	if !s.ready.Load() {
		return &SchemaVersionError{Path: s.path, Found: s.found, Supported: SchemaVersion}
	}
	return nil
}

// Close closes the database connections and releases the file lock. Iterators in progress
// end with [eventstore.ErrClosed]; subscribers are woken to see it. Closing twice is a no-op.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.signal.Notify()
	return s.closeAll()
}

func (s *Store) closeAll() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	s.prepMu.Lock()
	s.st.close()
	s.prepMu.Unlock()
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	errs = append(errs, s.lock.release())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}
