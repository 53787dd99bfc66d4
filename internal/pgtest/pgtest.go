package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvURL is the environment variable naming an existing server to use instead of starting
// one. Its role needs the CREATEDB privilege.
const EnvURL = "ESGEN_TEST_DATABASE_URL"

// ErrNoMain is reported by [NewDatabase] when the test binary's TestMain does not call [Main].
var ErrNoMain = errors.New("pgtest: Main was not called; add `func TestMain(m *testing.M) { pgtest.Main(m) }` to the package's tests")

// shared is the server of this test binary. It is the one process-wide value of the package:
// one server per test binary is the point of the package.
var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	srv     *server // nil when an external URL is used
	admin   *pgxpool.Pool
	baseURL string
	err     error
	seq     int
}

// Main runs the tests of m and exits with their status. Call it from TestMain. It stops and
// removes the throwaway server, if one was started, after the tests have run.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func shutdown() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.admin != nil {
		shared.admin.Close()
		shared.admin = nil
	}
	if shared.srv != nil {
		err := shared.srv.stop()
		shared.srv = nil
		return err
	}
	return nil
}

// NewDatabase creates a new empty database and returns its connection URL. The database is
// dropped (with any connections still open to it) when tb's test or benchmark ends. The
// first call starts the server (see the package documentation); any failure fails tb.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	admin, base, name, err := prepare(tb.Name())
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// template0 is empty on every server, whatever an external server's template1 holds.
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(base, name)
}

// prepare starts the server if needed and picks a unique database name.
func prepare(testName string) (*pgxpool.Pool, string, string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		return nil, "", "", ErrNoMain
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.admin, shared.baseURL, shared.err = connect()
	}
	if shared.err != nil {
		return nil, "", "", shared.err
	}
	shared.seq++
	return shared.admin, shared.baseURL, databaseName(testName, shared.seq), nil
}

// connect starts a server (or takes the external one) and opens the admin pool.
func connect() (*server, *pgxpool.Pool, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var srv *server
	base := os.Getenv(EnvURL)
	if base == "" {
		var err error
		srv, err = startServer(ctx)
		if err != nil {
			return nil, nil, "", err
		}
		base = srv.url("postgres")
	}
	cfg, err := pgxpool.ParseConfig(base)
	if err != nil {
		if srv != nil {
			_ = srv.stop()
		}
		return nil, nil, "", fmt.Errorf("pgtest: %s=%q is not a valid PostgreSQL URL: %w", EnvURL, base, err)
	}
	cfg.MaxConns = 4
	admin, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		if srv != nil {
			err = fmt.Errorf("%w\n%s", err, srv.logTail())
			_ = srv.stop()
		}
		return nil, nil, "", fmt.Errorf("pgtest: connect to %s: %w", redact(base), err)
	}
	return srv, admin, base, nil
}

// databaseName builds a valid, unique identifier from the test name.
func databaseName(testName string, seq int) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 36 {
			break
		}
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return fmt.Sprintf("%s_%d_%s", b.String(), seq, hex.EncodeToString(rnd[:]))
}

// withDatabase returns base with its database replaced by name.
func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// A keyword/value connection string: a later dbname wins.
		return base + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

// redact hides a password in a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
