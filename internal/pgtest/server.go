package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dirPrefix names the temporary directories of throwaway servers, so that a later run can
// find and remove the ones a crashed run left behind.
const dirPrefix = "esgen-pgtest-"

// ownerFile holds the PID of the test process that owns a server directory.
const ownerFile = "owner.pid"

// installHint says how to get the binaries.
const installHint = "install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; the server need not be running), " +
	"or set " + EnvURL + " to the URL of a server whose role may CREATE DATABASE"

// settings favour speed over durability: the server is thrown away.
var settings = []string{
	"listen_addresses = ''",
	"max_connections = 300",
	"max_prepared_transactions = 20", // for tests of two-phase commit
	"fsync = off",
	"synchronous_commit = off",
	"full_page_writes = off",
	"wal_level = minimal",
	"max_wal_senders = 0",
	"max_wal_size = '1GB'",
	"checkpoint_timeout = '30min'",
	"shared_buffers = '128MB'",
	"log_min_messages = warning",
	"log_min_error_statement = panic",
}

// server is a throwaway PostgreSQL server.
type server struct {
	dir    string // the temporary directory: data/, the socket, the log
	port   int
	pgCtl  string
	asUser string // OS user to run the binaries as, "" for the current user
}

// startServer creates, configures and starts a server in a new temporary directory; extra
// settings are appended after the defaults, so they override them.
func startServer(ctx context.Context, extra ...string) (*server, error) {
	initdb, pgCtl, err := findBinaries(binGlob)
	if err != nil {
		return nil, err
	}
	asUser := ""
	if os.Geteuid() == 0 {
		asUser = "postgres"
		if _, err := user.Lookup(asUser); err != nil {
			return nil, fmt.Errorf("pgtest: running as root, PostgreSQL must run as the %q OS user, which does not exist (%v); create it (useradd --system postgres) or %s", asUser, err, installHint)
		}
	}
	base := os.TempDir()
	removeStale(base, pgCtl, asUser)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: create server directory: %w", err)
	}
	s := &server{dir: dir, pgCtl: pgCtl, asUser: asUser}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		s.remove()
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if asUser != "" {
		if err := chownTo(dir, asUser); err != nil {
			s.remove()
			return nil, err
		}
	}
	if s.port, err = freePort(); err != nil {
		s.remove()
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(ctx, initdb, "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		s.remove()
		return nil, fmt.Errorf("pgtest: initdb failed (%s): %w\n%s", initdb, err, out)
	}
	conf := append([]string{
		"",
		"# esgen pgtest",
		"port = " + strconv.Itoa(s.port),
		"unix_socket_directories = '" + dir + "'",
	}, append(append([]string(nil), settings...), extra...)...)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(strings.Join(conf, "\n") + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.remove()
		return nil, fmt.Errorf("pgtest: configure server: %w", err)
	}
	if out, err := s.run(ctx, pgCtl, "start", "-w", "-t", "120", "-D", data, "-l", s.logPath()); err != nil {
		tail := s.logTail()
		_ = s.stop()
		return nil, fmt.Errorf("pgtest: pg_ctl start failed: %w\n%s\n%s", err, out, tail)
	}
	return s, nil
}

// url returns the connection URL of database db.
func (s *server) url(db string) string {
	q := url.Values{"host": {s.dir}, "port": {strconv.Itoa(s.port)}, "sslmode": {"disable"}}
	return "postgres://postgres@/" + db + "?" + q.Encode()
}

func (s *server) logPath() string { return filepath.Join(s.dir, "server.log") }

// logTail returns the end of the server log, for error messages.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "server log (" + s.logPath() + "):\n" + string(b)
}

// stop stops the server (immediately: its data is thrown away) and removes its directory.
func (s *server) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	data := filepath.Join(s.dir, "data")
	if _, statErr := os.Stat(filepath.Join(data, "postmaster.pid")); statErr == nil {
		if out, runErr := s.run(ctx, s.pgCtl, "stop", "-w", "-m", "immediate", "-D", data); runErr != nil {
			err = fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", runErr, out)
		}
	}
	if rmErr := os.RemoveAll(s.dir); rmErr != nil && err == nil {
		err = fmt.Errorf("pgtest: remove %s: %w", s.dir, rmErr)
	}
	return err
}

func (s *server) remove() { _ = os.RemoveAll(s.dir) }

// run runs a PostgreSQL binary, as s.asUser when set, and returns its combined output.
func (s *server) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	switch {
	case s.asUser == "":
		cmd = exec.CommandContext(ctx, bin, args...)
	case lookPath("runuser") != "":
		cmd = exec.CommandContext(ctx, lookPath("runuser"), append([]string{"-u", s.asUser, "--", bin}, args...)...)
	default:
		quoted := make([]string, 0, len(args)+1)
		for _, a := range append([]string{bin}, args...) {
			quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
		}
		cmd = exec.CommandContext(ctx, "su", s.asUser, "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
	}
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// binGlob is where packaged PostgreSQL versions keep their server binaries.
const binGlob = "/usr/lib/postgresql/*/bin"

// findBinaries finds initdb and pg_ctl on PATH or in the directories matching glob.
func findBinaries(glob string) (initdb, pgCtl string, err error) {
	if i, p := lookPath("initdb"), lookPath("pg_ctl"); i != "" && p != "" {
		return i, p, nil
	}
	dirs, _ := filepath.Glob(glob)
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if isExecutable(i) && isExecutable(p) {
			return i, p, nil
		}
	}
	return "", "", fmt.Errorf("pgtest: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; %s", installHint)
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func lookPath(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// chownTo gives dir to the OS user name.
func chownTo(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("pgtest: look up OS user %q: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("pgtest: give %s to OS user %q: %w", dir, name, err)
	}
	// The user must be able to reach the directory.
	for p := filepath.Dir(dir); p != "/" && p != "."; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgtest: OS user %q cannot enter %s (mode %v); point TMPDIR at a directory everyone may traverse, such as /tmp", name, p, fi.Mode().Perm())
		}
	}
	return nil
}

// freePort returns a TCP port that was free a moment ago. The server listens only on its
// unix socket, whose file name carries the port, so a clash is harmless.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStale stops and removes servers left behind by test processes that no longer exist.
func removeStale(base, pgCtl, asUser string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			// Being created right now, or not ours: leave young ones alone.
			if fi, statErr := os.Stat(dir); statErr != nil || time.Since(fi.ModTime()) < time.Hour {
				continue
			}
		} else if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && processAlive(pid) {
			continue
		}
		s := &server{dir: dir, pgCtl: pgCtl, asUser: asUser}
		_ = s.stop()
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
