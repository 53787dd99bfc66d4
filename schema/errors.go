package schema

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrInvalidContracts is matched by every *LoadError.
	ErrInvalidContracts = errors.New("invalid contracts")
	// ErrInvalidConfig is matched by every *ConfigError.
	ErrInvalidConfig = errors.New("invalid esgen.yaml")
)

// Problem is one thing wrong with a contract file.
type Problem struct {
	File    string // path of the file (or folder) at fault
	Path    string // JSON path inside the file, e.g. "$.fields[2].default"; empty for file-level problems
	Message string // what was expected, what was found and what to do
}

// String formats the problem as "file: path: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Path != "" {
		b.WriteString(": ")
		b.WriteString(p.Path)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// LoadError lists every problem found while loading a contracts directory.
type LoadError struct {
	Problems []Problem
}

// Error lists every problem, one a line.
func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in contracts:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidContracts) true.
func (e *LoadError) Is(target error) bool { return target == ErrInvalidContracts }

// ConfigError is a problem in esgen.yaml.
type ConfigError struct {
	File    string // the config file
	Field   string // the YAML field at fault, e.g. "registry.url"; empty when the whole file is
	Line    int    // 1-based line when known, else 0
	Message string
}

// Error formats the problem as "file:line: field: message".
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }
