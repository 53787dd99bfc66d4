package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/esgen/esgen/eventstore"
)

// Store is an [eventstore.Store] on an EventStoreDB server. It is safe for concurrent use.
type Store struct {
	client     *esdbclient.Client
	ownsClient bool
	cfg        config
	closed     atomic.Bool
	life       context.Context // cancelled by Close, ending iterators in progress
	end        context.CancelFunc

	version atomic.Pointer[esdbclient.ServerVersion] // nil until known
}

func newStore(client *esdbclient.Client, owns bool, cfg config) *Store {
	life, end := context.WithCancel(context.Background())
	return &Store{client: client, ownsClient: owns, cfg: cfg, life: life, end: end}
}

var _ eventstore.Store = (*Store)(nil)

// ContentTypeFunc chooses the content type an event is stored with.
type ContentTypeFunc func(eventType string) esdbclient.ContentType

type config struct {
	logger           *slog.Logger
	contentType      ContentTypeFunc
	readBeforeAppend bool
	namespace        string
	configure        func(*esdbclient.Configuration)
}

// Option configures [Open] and [New].
type Option func(*config)

// WithLogger sends the client library's log lines to l (at debug level for its info and
// debug lines). Without it they are dropped. Credentials never appear in them: lines are
// scrubbed of the connection string's password before they are logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithContentType chooses each event's content type by event type. The default stores every
// event as application/octet-stream (esgen payloads are Avro); return
// esdbclient.ContentTypeJson for JSON payloads that server-side projections should read.
func WithContentType(f ContentTypeFunc) Option {
	return func(c *config) { c.contentType = f }
}

// WithoutReadBeforeAppend turns off the stream read that Append does before writing when
// the caller chose event IDs or expects an exact version (see "Idempotency" and "Soft
// deletes" in the package documentation). Such appends then cost one round trip instead
// of two, with EventStoreDB's own semantics: a retry is recognised by the server alone
// (reported as Duplicate only when the server answers it without a log position), a
// retry with Any or StreamExists only while the server still caches the IDs, an ID reused
// for different data is not detected, and Exactly(n) re-creates a soft-deleted stream
// whose version was n.
func WithoutReadBeforeAppend() Option {
	return func(c *config) { c.readBeforeAppend = false }
}

// WithNamespace keeps this store's streams apart from everything else on the server: stream
// "order-1" is stored as namespace+"order-1", and ReadAll, Subscribe and Head see only the
// namespace's streams (Subscribe filters on the server by the namespace prefix unless event
// types are given). Use it for several applications, tenants or test runs on one server.
// Stream IDs are validated without the namespace.
func WithNamespace(namespace string) Option {
	return func(c *config) { c.namespace = namespace }
}

// WithConfiguration lets f adjust the client configuration parsed from the connection
// string before the client is created (root CAs, keep-alive, deadlines, ...). Only [Open]
// uses it.
func WithConfiguration(f func(*esdbclient.Configuration)) Option {
	return func(c *config) { c.configure = f }
}

func newConfig(opts []Option) (config, error) {
	c := config{readBeforeAppend: true}
	for _, o := range opts {
		o(&c)
	}
	if c.namespace != "" {
		if err := eventstore.ValidateStreamID(c.namespace); err != nil {
			return c, fmt.Errorf("esdb: namespace %q must be a valid stream ID prefix: %w", c.namespace, err)
		}
	}
	return c, nil
}

// Open connects to the EventStoreDB server or cluster named by connectionString
// ("esdb://user:password@host:2113?tls=true", "esdb+discover://...", see the EventStoreDB
// documentation for every setting) and returns a Store that owns the connection. It waits,
// until ctx is done, for the connection to be established, so a wrong address or TLS
// setting fails here rather than on the first append (the server checks credentials on
// each operation). Errors never contain the password.
func Open(ctx context.Context, connectionString string, opts ...Option) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	scrub := scrubber(connectionString)
	conf, err := esdbclient.ParseConnectionString(connectionString)
	if err != nil {
		return nil, fmt.Errorf("esdb: parse connection string %s: %s; want the form esdb://[user:password@]host:port[?tls=false]",
			RedactConnectionString(connectionString), scrub(err.Error()))
	}
	conf.Logger = logFunc(cfg.logger, scrub)
	if cfg.configure != nil {
		cfg.configure(conf)
	}
	client, err := esdbclient.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: configure client for %s: %s", RedactConnectionString(connectionString), scrub(err.Error()))
	}
	// The client connects lazily and does not take a context: connect in the background and
	// give up when ctx is done.
	connected := make(chan error, 1)
	var version *esdbclient.ServerVersion
	go func() {
		v, err := client.GetServerVersion()
		version = v
		connected <- err
	}()
	select {
	case err = <-connected:
	case <-ctx.Done():
		_ = client.Close()
		return nil, fmt.Errorf("esdb: connect to %s: %w", RedactConnectionString(connectionString), ctx.Err())
	}
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("esdb: connect to %s: %s; check that the server runs and the address, TLS setting and credentials are right",
			RedactConnectionString(connectionString), scrub(err.Error()))
	}
	s := newStore(client, true, cfg)
	s.version.Store(version)
	return s, nil
}

// New returns a Store on an existing client. Close does not close the client.
// WithConfiguration has no effect here.
func New(client *esdbclient.Client, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("esdb: New needs a client; create one with esdbclient.NewClient or use Open")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := newStore(client, false, cfg)
	go func() {
		if v, err := client.GetServerVersion(); err == nil {
			s.version.Store(v)
		}
	}()
	return s, nil
}

// Client returns the underlying EventStoreDB client, for what the eventstore contract does
// not cover (stream metadata, persistent subscriptions, projections).
func (s *Store) Client() *esdbclient.Client { return s.client }

// Close closes the store and, when it was opened with [Open], its connection. Iterators in
// progress end with [eventstore.ErrClosed] or a cancellation error.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.end()
	if s.ownsClient {
		return s.client.Close()
	}
	return nil
}

// filteredReads reports whether the server sends CaughtUp on subscriptions (EventStoreDB
// 23.10 and later), which ReadAll needs to end a server-filtered read. The version comes from
// the connection; for a store from New it is asked once, in the background, and until it is
// known the answer is false.
func (s *Store) filteredReads() bool {
	v := s.version.Load()
	return v != nil && (v.Major > 23 || v.Major == 23 && v.Minor >= 10)
}

func (s *Store) checkOpen(ctx context.Context) error {
	if s.closed.Load() {
		return eventstore.ErrClosed
	}
	return ctx.Err()
}

// RedactConnectionString returns connectionString with the password, if any, replaced by
// "xxxxx", for logs and error messages. It works on malformed strings too.
func RedactConnectionString(connectionString string) string {
	scheme, rest, ok := strings.Cut(connectionString, "://")
	if !ok {
		rest, scheme = connectionString, ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return connectionString
	}
	userinfo := rest[:at]
	user, _, hasPassword := strings.Cut(userinfo, ":")
	if !hasPassword {
		return connectionString
	}
	out := user + ":xxxxx" + rest[at:]
	if ok {
		out = scheme + "://" + out
	}
	return out
}

// scrubber returns a function that removes connectionString's password (raw and
// URL-decoded forms) from a message.
func scrubber(connectionString string) func(string) string {
	_, rest, ok := strings.Cut(connectionString, "://")
	if !ok {
		rest = connectionString
	}
	var secrets []string
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if _, pw, ok := strings.Cut(rest[:at], ":"); ok && pw != "" {
			secrets = append(secrets, connectionString, pw)
			if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
				secrets = append(secrets, dec)
			}
		}
	}
	redacted := RedactConnectionString(connectionString)
	return func(msg string) string {
		for i, sec := range secrets {
			repl := "xxxxx"
			if i == 0 {
				repl = redacted
			}
			msg = strings.ReplaceAll(msg, sec, repl)
		}
		return msg
	}
}

func logFunc(l *slog.Logger, scrub func(string) string) esdbclient.LoggingFunc {
	if l == nil {
		return esdbclient.NoopLogging()
	}
	return func(level esdbclient.LogLevel, format string, args ...any) {
		lv := slog.LevelDebug
		switch level {
		case esdbclient.LogWarn:
			lv = slog.LevelWarn
		case esdbclient.LogError:
			lv = slog.LevelError
		}
		l.Log(context.Background(), lv, scrub(fmt.Sprintf(format, args...)), slog.String("component", "esdb-client"))
	}
}
