package schema

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// ConfluentRegistry is a Registry backed by any Confluent-compatible schema
// registry (Confluent, Redpanda, Apicurio, Karapace) through franz-go's sr
// client. Transient failures (HTTP 5xx and 429, network errors) are retried
// with exponential backoff and full jitter; other failures are not.
type ConfluentRegistry struct {
	client       *sr.Client
	httpOverride *http.Client
	url          string
	retries      int
	backoff      time.Duration
	maxDelay     time.Duration
	wait         func(ctx context.Context, d time.Duration) error
}

// ConfluentOption adjusts a ConfluentRegistry.
type ConfluentOption func(*ConfluentRegistry)

// WithBackoff sets the first retry delay and the cap on the delay (defaults
// 200ms and 5s). Each retry doubles the delay; the actual wait is a random
// duration up to it.
func WithBackoff(first, max time.Duration) ConfluentOption {
	return func(r *ConfluentRegistry) { r.backoff, r.maxDelay = first, max }
}

// WithHTTPClient replaces the HTTP client (and so the TLS setup and timeout
// built from the configuration).
func WithHTTPClient(c *http.Client) ConfluentOption {
	return func(r *ConfluentRegistry) { r.httpOverride = c }
}

// NewConfluentRegistry connects to the registry cfg describes. Credentials
// are read with getenv (os.Getenv when nil) from the variables cfg names;
// they never appear in errors. No request is made until the first call.
func NewConfluentRegistry(cfg *RegistryConfig, getenv func(string) string, opts ...ConfluentOption) (*ConfluentRegistry, error) {
	if cfg == nil || cfg.URL == "" {
		return nil, &ConfigError{Field: "registry.url", Message: "no registry configured: set registry.url in esgen.yaml"}
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	url := os.Expand(cfg.URL, getenv)
	r := &ConfluentRegistry{url: url, retries: cfg.Retries, backoff: 200 * time.Millisecond, maxDelay: 5 * time.Second, wait: sleepCtx}
	if r.retries == 0 {
		r.retries = 4
	} else if r.retries < 0 {
		r.retries = 0
	}
	for _, o := range opts {
		o(r)
	}
	httpcl := r.httpOverride
	if httpcl == nil {
		timeout := cfg.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tc, err := tlsConfig(cfg.TLS)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = tc
		httpcl = &http.Client{Transport: tr, Timeout: timeout}
	}
	clopts := []sr.ClientOpt{sr.URLs(url), sr.HTTPClient(httpcl), sr.UserAgent("esgen")}
	switch a := cfg.Auth; {
	case a.TokenEnv != "":
		tok := getenv(a.TokenEnv)
		if tok == "" {
			return nil, &ConfigError{Field: "registry.auth.token_env", Message: fmt.Sprintf("environment variable %s is empty or unset: export the bearer token in it", a.TokenEnv)}
		}
		clopts = append(clopts, sr.BearerToken(tok))
	case a.UsernameEnv != "":
		user, pass := getenv(a.UsernameEnv), getenv(a.PasswordEnv)
		if user == "" || pass == "" {
			return nil, &ConfigError{Field: "registry.auth", Message: fmt.Sprintf("environment variables %s and %s must both be set for basic auth", a.UsernameEnv, a.PasswordEnv)}
		}
		clopts = append(clopts, sr.BasicAuth(user, pass))
	}
	cl, err := sr.NewClient(clopts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", url, err)
	}
	r.client = cl
	return r, nil
}

func tlsConfig(c TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in for tests
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, &ConfigError{Field: "registry.tls.ca_file", Message: err.Error()}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &ConfigError{Field: "registry.tls.ca_file", Message: fmt.Sprintf("%s holds no PEM certificates", c.CAFile)}
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, &ConfigError{Field: "registry.tls.cert_file", Message: err.Error()}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// URL returns the registry's address.
func (r *ConfluentRegistry) URL() string { return r.url }

// transient reports whether err is worth retrying: server errors, rate
// limiting and network failures, never a cancelled context or a 4xx.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var re *sr.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode >= 500 || re.StatusCode == http.StatusTooManyRequests
	}
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return false // a certificate will not become trusted by retrying
	}
	return true // network failures, including per-request timeouts
}

// do runs call, retrying transient failures with exponential backoff and
// full jitter, and turns the final failure into a *RegistryError.
func (r *ConfluentRegistry) do(ctx context.Context, op, subject string, call func() error) error {
	delay := r.backoff
	var err error
	for attempt := 0; ; attempt++ {
		err = call()
		if err == nil {
			return nil
		}
		if attempt >= r.retries || !transient(ctx, err) {
			break
		}
		if werr := r.wait(ctx, time.Duration(rand.Int64N(int64(delay)+1))); werr != nil {
			err = werr
			break
		}
		delay = min(delay*2, r.maxDelay)
	}
	return r.classify(ctx, op, subject, err)
}

func (r *ConfluentRegistry) classify(ctx context.Context, op, subject string, err error) error {
	e := &RegistryError{Op: op, Subject: subject, err: err}
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", op, subject, ctx.Err())
		}
		e.kind = ErrUnavailable
		e.Message = err.Error()
		e.Hint = fmt.Sprintf("check that the registry at %s is reachable (registry.url, registry.tls, registry.timeout)", r.url)
		return e
	}
	e.Status, e.Code, e.Message = re.StatusCode, re.ErrorCode, re.Message
	switch {
	case re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden:
		e.kind = ErrUnauthorized
		e.Message = "the registry refused the credentials"
		e.Hint = "check the environment variables named in registry.auth of esgen.yaml"
	case re.StatusCode == http.StatusNotFound:
		e.kind = ErrNotFound
		e.Hint = "check the subject name and registry.subject_strategy"
	case re.StatusCode == http.StatusConflict:
		e.kind = ErrConflict
		e.Hint = "the registry considers the schema incompatible with the subject's versions, or the subject is read-only; run esgen check --registry for details"
	case re.StatusCode == http.StatusUnprocessableEntity:
		e.kind = ErrRejected
		e.Hint = "the registry could not accept the schema or request as sent; check the schema and the subject's compatibility setting"
	case re.StatusCode >= 500 || re.StatusCode == http.StatusTooManyRequests:
		e.kind = ErrUnavailable
		e.Hint = fmt.Sprintf("the registry kept failing after %d retries; try again later", r.retries)
	}
	if e.Message == "" {
		e.Message = http.StatusText(re.StatusCode)
	}
	return e
}

// Subjects lists every subject, sorted.
func (r *ConfluentRegistry) Subjects(ctx context.Context) ([]string, error) {
	var out []string
	err := r.do(ctx, "list subjects", "", func() (err error) {
		out, err = r.client.Subjects(ctx)
		return err
	})
	sort.Strings(out)
	return out, err
}

// Schemas returns every version of subject, oldest first.
func (r *ConfluentRegistry) Schemas(ctx context.Context, subject string) ([]RegisteredSchema, error) {
	var ss []sr.SubjectSchema
	err := r.do(ctx, "read subject", subject, func() (err error) {
		ss, err = r.client.Schemas(ctx, subject)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]RegisteredSchema, 0, len(ss))
	for _, s := range ss {
		if len(s.References) > 0 {
			return nil, &RegistryError{Op: "read subject", Subject: subject, Message: fmt.Sprintf("version %d uses schema references, which esgen does not resolve", s.Version), kind: ErrRejected}
		}
		out = append(out, RegisteredSchema{Subject: subject, Version: s.Version, ID: s.ID, Schema: s.Schema.Schema})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Register adds schema as the next version of subject; registering the
// same schema again returns the existing version.
func (r *ConfluentRegistry) Register(ctx context.Context, subject, schema string) (RegisteredSchema, error) {
	s := sr.Schema{Schema: schema, Type: sr.TypeAvro}
	err := r.do(ctx, "register", subject, func() error {
		// Retrying a registration whose answer was lost is safe: the
		// registry returns the existing ID for an identical schema.
		_, err := r.client.RegisterSchema(ctx, subject, s, -1, -1)
		return err
	})
	if err != nil {
		return RegisteredSchema{}, err
	}
	// POST /subjects/{subject} is the lookup every compatible registry
	// offers; it gives the version the schema got.
	var ss sr.SubjectSchema
	err = r.do(ctx, "look up", subject, func() (err error) {
		ss, err = r.client.LookupSchema(ctx, subject, s)
		return err
	})
	if err != nil {
		return RegisteredSchema{}, err
	}
	return RegisteredSchema{Subject: subject, Version: ss.Version, ID: ss.ID, Schema: schema}, nil
}

// CheckCompatibility asks the registry whether schema may be added to
// subject at the subject's level. A subject that does not exist yet is
// compatible.
func (r *ConfluentRegistry) CheckCompatibility(ctx context.Context, subject, schema string) (RegistryVerdict, error) {
	var res sr.CheckCompatibilityResult
	err := r.do(ctx, "check compatibility", subject, func() (err error) {
		res, err = r.client.CheckCompatibility(sr.WithParams(ctx, sr.Verbose), subject, -1, sr.Schema{Schema: schema, Type: sr.TypeAvro})
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return RegistryVerdict{Supported: true, Compatible: true}, nil
	}
	if err != nil {
		return RegistryVerdict{}, err
	}
	return RegistryVerdict{Supported: true, Compatible: res.Is, Messages: res.Messages}, nil
}

// SetLevel sets subject's compatibility level in the registry.
func (r *ConfluentRegistry) SetLevel(ctx context.Context, subject string, level Level) error {
	var cl sr.CompatibilityLevel
	if err := cl.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("set level of %s: %w", subject, err)
	}
	return r.do(ctx, "set compatibility", subject, func() error {
		res := r.client.SetCompatibility(ctx, sr.SetCompatibility{Level: cl}, subject)
		if len(res) == 0 {
			return nil
		}
		return res[0].Err
	})
}

// Level returns subject's compatibility level in the registry (the
// registry's global level when the subject has none of its own).
func (r *ConfluentRegistry) Level(ctx context.Context, subject string) (Level, error) {
	var lvl Level
	err := r.do(ctx, "read compatibility", subject, func() error {
		res := r.client.Compatibility(sr.WithParams(ctx, sr.DefaultToGlobal), subject)
		if len(res) == 0 {
			return nil
		}
		if res[0].Err != nil {
			return res[0].Err
		}
		lvl = Level(res[0].Level.String())
		return nil
	})
	return lvl, err
}
