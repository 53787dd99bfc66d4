package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// lockFile is the exclusive advisory lock held on "<database>.lock" for the life of a Store,
// so that one database file has one writer process. The operating system releases it when
// the process exits, however it exits, so a crash never leaves a stale lock behind.
type lockFile struct {
	f *os.File
}

// acquireLock takes the lock for the database at path, or explains who holds it.
func acquireLock(path string) (*lockFile, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if isReadOnlyErr(err) {
			return nil, &OpenError{Path: path, Kind: ErrReadOnly, Err: err,
				Problem: fmt.Sprintf("cannot create the lock file %s beside it (the directory is read-only); make the directory writable or put the database in a writable directory", name)}
		}
		return nil, &OpenError{Path: path, Problem: "cannot create the lock file " + name, Err: err}
	}
	if err := lockExclusive(f); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(name); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = fmt.Sprintf(" (process %d)", pid)
				if pid == os.Getpid() {
					holder = " (this process: another Store has it open)"
				}
			}
		}
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &OpenError{Path: path, Kind: ErrLocked,
				Problem: fmt.Sprintf("the database is in use by another process%s, which holds %s; stop it, or Close the other Store, and retry", holder, name)}
		}
		return nil, &OpenError{Path: path, Problem: "cannot lock " + name, Err: err}
	}
	// Record the owner for the error above; failing to write it only loses that detail.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &lockFile{f: f}, nil
}

// release drops the lock. The lock file stays: removing it would race with a process that
// has just opened it.
func (l *lockFile) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
