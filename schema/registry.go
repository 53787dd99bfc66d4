package schema

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Registry is a place where published schemas live: the contracts directory
// itself ([DirRegistry]) or a Confluent-compatible schema registry
// ([ConfluentRegistry]). Subjects hold versions in registration order.
type Registry interface {
	// Subjects lists every subject, sorted.
	Subjects(ctx context.Context) ([]string, error)
	// Schemas returns every version of subject, oldest first. A subject that
	// does not exist yields an error matching ErrNotFound.
	Schemas(ctx context.Context, subject string) ([]RegisteredSchema, error)
	// Register adds schema as the next version of subject and returns it. If
	// the subject already holds the same schema, that version is returned
	// and nothing is added.
	Register(ctx context.Context, subject, schema string) (RegisteredSchema, error)
	// CheckCompatibility asks the registry's own verdict on schema against
	// the subject's versions at the subject's configured level. The
	// verdict's Supported is false when the registry has none to give.
	CheckCompatibility(ctx context.Context, subject, schema string) (RegistryVerdict, error)
}

// LevelSetter is implemented by registries that keep a compatibility level
// per subject; Push uses it when registry.set_compatibility is on.
type LevelSetter interface {
	// SetLevel sets subject's compatibility level.
	SetLevel(ctx context.Context, subject string, level Level) error
}

// RegisteredSchema is one version of a subject in a registry.
type RegisteredSchema struct {
	Subject string `json:"subject"`
	Version int    `json:"version"` // the registry's version number
	ID      int    `json:"id"`      // the registry's global schema ID (0 for the directory)
	Schema  string `json:"schema"`  // the schema text
}

// RegistryVerdict is a registry's answer to a compatibility question.
type RegistryVerdict struct {
	Supported  bool     // false when the registry gives no verdict (the directory)
	Compatible bool     // the registry's answer, when Supported
	Messages   []string // the registry's reasons, when incompatible
}

// Sentinel errors of registries, matched with errors.Is.
var (
	// ErrNotFound: the subject or version does not exist (HTTP 404).
	ErrNotFound = errors.New("not found in registry")
	// ErrUnauthorized: the registry refused the credentials (HTTP 401 or 403).
	ErrUnauthorized = errors.New("registry refused the credentials")
	// ErrConflict: the registry refused the schema as incompatible, or the
	// subject is read-only (HTTP 409).
	ErrConflict = errors.New("registry refused the schema as a conflict")
	// ErrRejected: the registry found the schema or request invalid (HTTP 422).
	ErrRejected = errors.New("registry rejected the schema as invalid")
	// ErrUnavailable: the registry kept failing with transient errors (5xx,
	// network) until the retries ran out.
	ErrUnavailable = errors.New("registry unavailable")
)

// RegistryError is a failed registry request.
type RegistryError struct {
	Op      string // what was attempted, e.g. "register"
	Subject string // the subject, when there is one
	Status  int    // HTTP status, 0 for network failures
	Code    int    // the registry's error code, when it sent one
	Message string // the registry's message
	Hint    string // what to do about it
	kind    error  // the sentinel it matches
	err     error  // the underlying error
}

// Error formats the failure with its hint.
func (e *RegistryError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Subject != "" {
		fmt.Fprintf(&b, " %s", e.Subject)
	}
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Code != 0 {
			fmt.Fprintf(&b, " (error code %d)", e.Code)
		}
		b.WriteString(": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else if e.err != nil {
		b.WriteString(e.err.Error())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Is matches the sentinel for the failure's kind.
func (e *RegistryError) Is(target error) bool { return e.kind != nil && target == e.kind }

// Unwrap returns the underlying error.
func (e *RegistryError) Unwrap() error { return e.err }

// Subject returns the registry subject of an event (by Avro full name)
// under the configured naming strategy.
func (r *RegistryConfig) Subject(event string) string {
	var s string
	switch r.SubjectStrategy {
	case TopicRecordNameStrategy:
		s = r.Topic + "-" + event
	case TopicNameStrategy:
		s = r.Topic + "-value"
	default:
		s = event
	}
	return r.SubjectPrefix + s
}

// ownsSubject reports whether subject could belong to this project under the
// naming strategy, so pull ignores other teams' subjects.
func (r *RegistryConfig) ownsSubject(subject string) bool {
	rest, ok := strings.CutPrefix(subject, r.SubjectPrefix)
	if !ok {
		return false
	}
	switch r.SubjectStrategy {
	case TopicRecordNameStrategy:
		return strings.HasPrefix(rest, r.Topic+"-")
	case TopicNameStrategy:
		return rest == r.Topic+"-value"
	default:
		return !strings.HasSuffix(rest, "-key") && !strings.HasSuffix(rest, "-value")
	}
}
