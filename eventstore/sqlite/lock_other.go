//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package sqlite

import (
	"errors"
	"os"
)

// On platforms without advisory file locks the lock file is created but not locked: only
// SQLite's own locking (SQLITE_BUSY after the busy timeout) guards against a second writer.
var errWouldBlock = errors.New("sqlite: lock would block")

func lockExclusive(*os.File) error { return nil }

func unlock(*os.File) error { return nil }

func isReadOnlyErr(err error) bool { return errors.Is(err, os.ErrPermission) }
