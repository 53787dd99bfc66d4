package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ConfigFile is the default name of the project file.
const ConfigFile = "esgen.yaml"

// Config is esgen.yaml. Paths inside are relative to the config file's folder.
type Config struct {
	Path          string                 `yaml:"-"`             // the file it was loaded from (not in YAML)
	Contracts     string                 `yaml:"contracts"`     // default "contracts"
	Compatibility Level                  `yaml:"compatibility"` // default BACKWARD_TRANSITIVE
	Events        map[string]EventConfig `yaml:"events"`        // per-event overrides, key = event full name
	Registry      *RegistryConfig        `yaml:"registry"`
	Generate      GenerateConfig         `yaml:"generate"`
	Aggregates    []AggregateConfig      `yaml:"aggregates"`
	Projections   []ProjectionConfig     `yaml:"projections"`
}

// EventConfig holds per-event overrides.
type EventConfig struct {
	Compatibility Level `yaml:"compatibility"`
}

// GenerateConfig tells the generator where to write.
type GenerateConfig struct {
	Output  string `yaml:"output"`  // folder for generated Go files, relative to esgen.yaml
	Package string `yaml:"package"` // Go package name of the generated code
}

// AggregateConfig declares an aggregate for the generator.
type AggregateConfig struct {
	Name   string   `yaml:"name"`   // Go identifier, e.g. "Order"
	Stream string   `yaml:"stream"` // stream ID pattern with {id}, e.g. "order-{id}"
	Events []string `yaml:"events"` // event full names (or short names if unambiguous)
}

// ProjectionConfig declares a projection for the generator.
type ProjectionConfig struct {
	Name   string   `yaml:"name"` // e.g. "order_status"
	Events []string `yaml:"events"`
}

// SubjectStrategy says how registry subjects are named.
type SubjectStrategy string

// The subject naming strategies.
const (
	// RecordNameStrategy names the subject after the record's full name
	// ("orders.OrderCreated"). It is the default.
	RecordNameStrategy SubjectStrategy = "record"
	// TopicRecordNameStrategy names it "<topic>-<full name>".
	TopicRecordNameStrategy SubjectStrategy = "topic_record"
	// TopicNameStrategy names it "<topic>-value"; only sensible with one event per topic.
	TopicNameStrategy SubjectStrategy = "topic"
)

// RegistryConfig describes a Confluent-compatible schema registry.
type RegistryConfig struct {
	URL string `yaml:"url"` // e.g. "http://localhost:8081"; ${VAR} is expanded from the environment
	// Subject naming: "record" (default), "topic_record" or "topic".
	SubjectStrategy SubjectStrategy `yaml:"subject_strategy"`
	Topic           string          `yaml:"topic"`          // required by the topic strategies
	SubjectPrefix   string          `yaml:"subject_prefix"` // prepended to every subject, e.g. a context ":.ctx:"
	Auth            AuthConfig      `yaml:"auth"`
	TLS             TLSConfig       `yaml:"tls"`
	Timeout         time.Duration   `yaml:"timeout"` // per request; default 10s
	Retries         int             `yaml:"retries"` // retries of transient failures; default 4, -1 disables
	// SetCompatibility makes push set each subject's compatibility level in
	// the registry to the event's level, so the registry enforces it on
	// producers that do not use esgen too.
	SetCompatibility bool `yaml:"set_compatibility"`
}

// AuthConfig names the environment variables holding credentials; the
// credentials themselves never appear in esgen.yaml or in output.
type AuthConfig struct {
	UsernameEnv string `yaml:"username_env"` // basic auth user name variable
	PasswordEnv string `yaml:"password_env"` // basic auth password variable
	TokenEnv    string `yaml:"token_env"`    // bearer token variable
}

// TLSConfig configures TLS to the registry.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file"`   // PEM bundle of extra root CAs
	CertFile           string `yaml:"cert_file"` // client certificate (mutual TLS)
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"` // for tests only
}

// DefaultConfig returns the configuration used when fields are left unset.
func DefaultConfig() *Config {
	return &Config{Contracts: "contracts", Compatibility: DefaultLevel}
}

// LoadConfig reads and validates esgen.yaml. Errors are *ConfigError values
// naming the file and the field.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &ConfigError{File: path, Message: "file not found: run `esgen init` to create one, or pass --config"}
		}
		return nil, &ConfigError{File: path, Message: err.Error()}
	}
	return ParseConfig(path, raw)
}

var unknownField = regexp.MustCompile(`^field (\S+) not found in type`)

var yamlLine = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): (.*)$`)

// ParseConfig parses the contents of an esgen.yaml read from path.
func ParseConfig(path string, raw []byte) (*Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		ce := &ConfigError{File: path, Message: err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &ce.Line)
			ce.Message = m[2]
			if f := unknownField.FindStringSubmatch(m[2]); f != nil {
				ce.Field = f[1]
				ce.Message = "unknown field: check its spelling and indentation (fields are listed in docs/contracts.md)"
			}
		}
		return nil, ce
	}
	c.Path = path
	if c.Contracts == "" {
		c.Contracts = "contracts"
	}
	if c.Compatibility == "" {
		c.Compatibility = DefaultLevel
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks every field and returns the first problem as a *ConfigError.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{File: c.Path, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if !c.Compatibility.Valid() {
		return bad("compatibility", "unknown level %q: want one of %s", c.Compatibility, levelList())
	}
	for name, ec := range c.Events {
		if ec.Compatibility != "" && !ec.Compatibility.Valid() {
			return bad("events."+name+".compatibility", "unknown level %q: want one of %s", ec.Compatibility, levelList())
		}
	}
	if r := c.Registry; r != nil {
		switch r.SubjectStrategy {
		case "", RecordNameStrategy:
		case TopicRecordNameStrategy, TopicNameStrategy:
			if r.Topic == "" {
				return bad("registry.topic", "subject_strategy %q needs a topic", r.SubjectStrategy)
			}
		default:
			return bad("registry.subject_strategy", "unknown strategy %q: want record, topic_record or topic", r.SubjectStrategy)
		}
		if (r.Auth.UsernameEnv == "") != (r.Auth.PasswordEnv == "") {
			return bad("registry.auth", "basic auth needs both username_env and password_env")
		}
		if r.Auth.TokenEnv != "" && r.Auth.UsernameEnv != "" {
			return bad("registry.auth", "choose basic auth (username_env, password_env) or bearer auth (token_env), not both")
		}
		if (r.TLS.CertFile == "") != (r.TLS.KeyFile == "") {
			return bad("registry.tls", "a client certificate needs both cert_file and key_file")
		}
		if r.Timeout < 0 {
			return bad("registry.timeout", "must not be negative, found %s", r.Timeout)
		}
		if r.Retries < -1 {
			return bad("registry.retries", "must be -1 (no retries) or more, found %d", r.Retries)
		}
	}
	for i, a := range c.Aggregates {
		if a.Name == "" {
			return bad(fmt.Sprintf("aggregates[%d].name", i), "is required")
		}
		if len(a.Events) == 0 {
			return bad(fmt.Sprintf("aggregates[%d].events", i), "aggregate %s lists no events", a.Name)
		}
	}
	for i, p := range c.Projections {
		if p.Name == "" {
			return bad(fmt.Sprintf("projections[%d].name", i), "is required")
		}
		if len(p.Events) == 0 {
			return bad(fmt.Sprintf("projections[%d].events", i), "projection %s lists no events", p.Name)
		}
	}
	return nil
}

// ContractsDir returns the cleaned path of the contracts directory, resolved
// against the folder holding esgen.yaml.
func (c *Config) ContractsDir() string {
	return c.resolve(c.Contracts)
}

// Resolve returns p relative to the folder holding esgen.yaml (or p itself when absolute).
func (c *Config) resolve(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	base := "."
	if c.Path != "" {
		base = filepath.Dir(c.Path)
	}
	if abs, err := filepath.Abs(filepath.Join(base, p)); err == nil {
		return abs
	}
	return filepath.Join(base, p)
}

// LevelFor returns the compatibility level of an event (full name; a short
// name matches an override keyed by the short name too).
func (c *Config) LevelFor(event string) Level {
	if c == nil {
		return DefaultLevel
	}
	if ec, ok := c.Events[event]; ok && ec.Compatibility != "" {
		return ec.Compatibility
	}
	if i := strings.LastIndexByte(event, '.'); i >= 0 {
		if ec, ok := c.Events[event[i+1:]]; ok && ec.Compatibility != "" {
			return ec.Compatibility
		}
	}
	if c.Compatibility == "" {
		return DefaultLevel
	}
	return c.Compatibility
}

// CheckEvents reports overrides under events: that name no event of set
// (by full or short name), which would otherwise be ignored silently.
func (c *Config) CheckEvents(set *Set) error {
	names := make([]string, 0, len(c.Events))
	for name := range c.Events {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if set.Event(name) != nil {
			continue
		}
		found := false
		for _, e := range set.Events {
			if strings.HasSuffix(e.Name, "."+name) || e.Name == name {
				found = true
				break
			}
		}
		if !found {
			return &ConfigError{File: c.Path, Field: "events." + name, Message: fmt.Sprintf("no event named %s in %s: use an event's full Avro name, e.g. namespace.Name", name, c.ContractsDir())}
		}
	}
	return nil
}
