package sqlite

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by [Open], [Store.Migrate] and the store's methods. Match them
// with errors.Is; the errors that carry them ([*OpenError], [*SchemaVersionError]) say which
// file and what to do.
var (
	// ErrLocked means another process (or another Store in this process) has the database
	// open for writing. A database file has one owner at a time.
	ErrLocked = errors.New("sqlite: database is locked by another process")

	// ErrReadOnly means the database file, or the directory it lives in, cannot be written.
	ErrReadOnly = errors.New("sqlite: database is read-only")

	// ErrNotDatabase means the file exists but is not an SQLite database.
	ErrNotDatabase = errors.New("sqlite: file is not an SQLite database")

	// ErrSchemaTooNew means the database was written by a newer esgen whose schema this
	// version does not know. Nothing was changed; upgrade esgen.
	ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this esgen")

	// ErrSchemaOutdated means the database's schema is older than this esgen needs and the
	// store was opened without [WithMigrate]: call [Store.Migrate].
	ErrSchemaOutdated = errors.New("sqlite: database schema needs migrating")
)

// OpenError reports why a database file could not be opened. It matches its Kind (one of the
// sentinels above) with errors.Is and unwraps to the underlying cause.
type OpenError struct {
	// Path is the database file.
	Path string
	// Kind is the sentinel that classifies the failure, or nil when the failure has no
	// class of its own (the cause then says what happened).
	Kind error
	// Problem says what was found and what to do.
	Problem string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *OpenError) Error() string {
	msg := fmt.Sprintf("sqlite: open %s: %s", e.Path, e.Problem)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is e's Kind.
func (e *OpenError) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the underlying cause.
func (e *OpenError) Unwrap() error { return e.Err }

// SchemaVersionError reports a database whose schema version differs from the one this esgen
// supports. It matches [ErrSchemaTooNew] when Found > Supported, [ErrSchemaOutdated] when
// Found < Supported.
type SchemaVersionError struct {
	// Path is the database file.
	Path string
	// Found is the schema version recorded in the file (0 for a new file).
	Found int
	// Supported is the schema version this esgen writes.
	Supported int
}

// Error implements error.
func (e *SchemaVersionError) Error() string {
	if e.Found > e.Supported {
		return fmt.Sprintf("sqlite: %s has event store schema version %d, but this esgen supports up to version %d; it was written by a newer esgen: upgrade esgen (the file was not changed)",
			e.Path, e.Found, e.Supported)
	}
	return fmt.Sprintf("sqlite: %s has event store schema version %d, this esgen needs version %d; call Store.Migrate or open with sqlite.WithMigrate()",
		e.Path, e.Found, e.Supported)
}

// Is reports whether target is [ErrSchemaTooNew] or [ErrSchemaOutdated], as appropriate.
func (e *SchemaVersionError) Is(target error) bool {
	if e.Found > e.Supported {
		return target == ErrSchemaTooNew
	}
	return target == ErrSchemaOutdated
}
