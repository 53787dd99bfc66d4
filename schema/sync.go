package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hamba/avro/v2"
)

// ErrIncompatible is matched by errors refusing a schema as incompatible.
var ErrIncompatible = errors.New("incompatible schema")

// ErrDrift is matched by errors reporting that a registry and the contracts
// directory disagree about versions already published.
var ErrDrift = errors.New("registry and contracts disagree")

// IncompatibleError refuses a version because of compatibility findings
// (decided locally) or the registry's own verdict.
type IncompatibleError struct {
	Event    string
	Version  int
	Subject  string
	Findings []Finding // local findings
	Registry []string  // the registry's messages, when it refused
}

// Error summarises the refusal.
func (e *IncompatibleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%d is not compatible with the published versions of %s", e.Event, e.Version, e.Subject)
	for _, f := range e.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	for _, m := range e.Registry {
		b.WriteString("\n  registry: ")
		b.WriteString(m)
	}
	return b.String()
}

// Is matches ErrIncompatible.
func (e *IncompatibleError) Is(target error) bool { return target == ErrIncompatible }

// DriftError reports a subject whose registered versions do not match the
// local ones in order.
type DriftError struct {
	Subject string
	Event   string
	Message string
}

// Error describes the disagreement and what to do.
func (e *DriftError) Error() string {
	return fmt.Sprintf("subject %s (%s): %s", e.Subject, e.Event, e.Message)
}

// Is matches ErrDrift.
func (e *DriftError) Is(target error) bool { return target == ErrDrift }

// PushAction says what push does with one local version.
type PushAction string

// Push actions.
const (
	PushPresent  PushAction = "present"  // already registered, nothing to do
	PushRegister PushAction = "register" // registered now (or, in a dry run, would be)
)

// PushStep is one local version in a push.
type PushStep struct {
	Event           string     `json:"event"`
	Version         int        `json:"version"`
	File            string     `json:"file"`
	Subject         string     `json:"subject"`
	Action          PushAction `json:"action"`
	RegistryVersion int        `json:"registry_version,omitempty"` // 0 in a dry run for new versions
	ID              int        `json:"id,omitempty"`
	SetLevel        Level      `json:"set_level,omitempty"` // the subject's level set in the registry before this version
}

func registryConfig(cfg *Config) *RegistryConfig {
	if cfg != nil && cfg.Registry != nil {
		return cfg.Registry
	}
	return &RegistryConfig{}
}

// RegistrationText returns the schema text esgen registers for v: the file
// itself when it stands alone, else the schema with the shared types it
// uses written inline, so the registry needs no references.
func RegistrationText(v *Version) (string, error) {
	if s, err := avro.ParseBytesWithCache(v.Raw, "", &avro.SchemaCache{}); err == nil && layout(s) == layout(v.Schema) {
		return string(v.Raw), nil
	}
	b, err := json.Marshal(v.Schema)
	if err != nil {
		return "", fmt.Errorf("%s: cannot write the schema with its shared types inline: %w", v.File, err)
	}
	return string(b), nil
}

// registered reads a subject's versions and their canonical forms; a
// missing subject has none.
func registered(ctx context.Context, reg Registry, subject string) ([]RegisteredSchema, []string, error) {
	rs, err := reg.Schemas(ctx, subject)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	canon := make([]string, len(rs))
	for i, r := range rs {
		s, err := avro.ParseWithCache(r.Schema, "", &avro.SchemaCache{})
		if err != nil {
			return nil, nil, &RegistryError{Op: "read subject", Subject: subject, Message: fmt.Sprintf("version %d is not a valid Avro schema: %v", r.Version, err), kind: ErrRejected}
		}
		canon[i] = layout(s)
	}
	return rs, canon, nil
}

// matchPublished checks that the registered versions are the first local
// versions, in order.
func matchPublished(ev *Event, subject string, rs []RegisteredSchema, canon []string) error {
	for i := range rs {
		if i >= len(ev.Versions) {
			return &DriftError{Subject: subject, Event: ev.Name, Message: fmt.Sprintf("registry version %d has no local counterpart (local versions: %d); run esgen pull to fetch it", rs[i].Version, len(ev.Versions))}
		}
		if canon[i] != layout(ev.Versions[i].Schema) {
			return &DriftError{Subject: subject, Event: ev.Name, Message: fmt.Sprintf("registry version %d differs from local v%d (%s); published versions must not change: restore the file from the registry (esgen pull) or fix the registry", rs[i].Version, i+1, ev.Versions[i].File)}
		}
	}
	return nil
}

// Push registers every local version not yet in reg, event by event and in
// version order, and returns what it did. Each new version is checked
// locally at the event's level and by the registry's own verdict before it
// is registered; an incompatible version and everything after it in that
// event are refused, and so are events whose registered versions disagree
// with the local ones (ErrDrift); other events go on. A registry failure
// stops the push. Re-running Push after an interruption registers only
// what is missing. With dryRun nothing is registered. Errors are joined.
func Push(ctx context.Context, reg Registry, set *Set, cfg *Config, dryRun bool) ([]PushStep, error) {
	rc := registryConfig(cfg)
	if rc.SubjectStrategy == TopicNameStrategy && len(set.Events) > 1 {
		return nil, &ConfigError{File: cfgPath(cfg), Field: "registry.subject_strategy", Message: fmt.Sprintf("the topic strategy puts every event in one subject %q but there are %d events: use record or topic_record", rc.Subject(""), len(set.Events))}
	}
	var steps []PushStep
	var errs []error
	for _, ev := range set.Events {
		if err := ctx.Err(); err != nil {
			return steps, err
		}
		subject := rc.Subject(ev.Name)
		rs, canon, err := registered(ctx, reg, subject)
		if err != nil {
			errs = append(errs, err)
			return steps, errors.Join(errs...)
		}
		if err := matchPublished(ev, subject, rs, canon); err != nil {
			errs = append(errs, err)
			continue
		}
		for i, v := range ev.Versions {
			step := PushStep{Event: ev.Name, Version: v.Number, File: v.File, Subject: subject}
			if i < len(rs) {
				step.Action, step.RegistryVersion, step.ID = PushPresent, rs[i].Version, rs[i].ID
				steps = append(steps, step)
				continue
			}
			if i == len(rs) && rc.SetCompatibility {
				if ls, ok := reg.(LevelSetter); ok {
					step.SetLevel = cfg.LevelFor(ev.Name)
					if !dryRun {
						if err := ls.SetLevel(ctx, subject, step.SetLevel); err != nil {
							errs = append(errs, err)
							return steps, errors.Join(errs...)
						}
					}
				}
			}
			if err := pushOne(ctx, reg, ev, v, subject, cfg.LevelFor(ev.Name), dryRun, &step); err != nil {
				errs = append(errs, err)
				if !errors.Is(err, ErrIncompatible) {
					// The registry failed: stop here; a re-run resumes.
					return steps, errors.Join(errs...)
				}
				break
			}
			steps = append(steps, step)
		}
	}
	return steps, errors.Join(errs...)
}

func pushOne(ctx context.Context, reg Registry, ev *Event, v *Version, subject string, level Level, dryRun bool, step *PushStep) error {
	history := make([]avro.Schema, 0, v.Number-1)
	for _, p := range ev.Versions[:v.Number-1] {
		history = append(history, p.Schema)
	}
	if fs := CheckLevel(level, history, v.Schema); len(fs) > 0 {
		for i := range fs {
			fs[i].Event = ev.Name
		}
		return &IncompatibleError{Event: ev.Name, Version: v.Number, Subject: subject, Findings: fs}
	}
	text, err := RegistrationText(v)
	if err != nil {
		return err
	}
	verdict, err := reg.CheckCompatibility(ctx, subject, text)
	if err != nil {
		return err
	}
	if verdict.Supported && !verdict.Compatible {
		msgs := verdict.Messages
		if len(msgs) == 0 {
			msgs = []string{"incompatible (no details given)"}
		}
		return &IncompatibleError{Event: ev.Name, Version: v.Number, Subject: subject, Registry: msgs}
	}
	step.Action = PushRegister
	if dryRun {
		return nil
	}
	got, err := reg.Register(ctx, subject, text)
	if err != nil {
		return err
	}
	step.RegistryVersion, step.ID = got.Version, got.ID
	return nil
}

func cfgPath(c *Config) string {
	if c == nil {
		return ConfigFile
	}
	return c.Path
}

// RegistryCheck compares the contracts with a registry: every registered
// version must equal the local version at the same position (violations),
// and the first unregistered version of each event is put to the
// registry's own compatibility verdict (findings with rule REGISTRY).
func RegistryCheck(ctx context.Context, reg Registry, set *Set, cfg *Config) ([]Violation, []Finding, error) {
	rc := registryConfig(cfg)
	var vs []Violation
	var fs []Finding
	for _, ev := range set.Events {
		subject := rc.Subject(ev.Name)
		rs, canon, err := registered(ctx, reg, subject)
		if err != nil {
			return vs, fs, err
		}
		for i := range rs {
			if i >= len(ev.Versions) {
				vs = append(vs, Violation{Event: ev.Name, Version: i + 1, File: filepath.Join(ev.Dir, fmt.Sprintf("v%d.avsc", i+1)), Kind: VersionRemoved,
					Message: fmt.Sprintf("%s version %d is registered (subject %s, registry version %d) but has no local file; run esgen pull", ev.Name, i+1, subject, rs[i].Version)})
				continue
			}
			if canon[i] != layout(ev.Versions[i].Schema) {
				vs = append(vs, Violation{Event: ev.Name, Version: i + 1, File: ev.Versions[i].File, Kind: VersionEdited,
					Message: fmt.Sprintf("%s v%d differs from the registered schema (subject %s, registry version %d); published versions never change: restore it and add a new version instead", ev.Name, i+1, subject, rs[i].Version)})
			}
		}
		if len(rs) >= len(ev.Versions) || len(rs) == 0 {
			continue
		}
		next := ev.Versions[len(rs)]
		text, err := RegistrationText(next)
		if err != nil {
			return vs, fs, err
		}
		verdict, err := reg.CheckCompatibility(ctx, subject, text)
		if err != nil {
			return vs, fs, err
		}
		if verdict.Supported && !verdict.Compatible {
			msgs := verdict.Messages
			if len(msgs) == 0 {
				msgs = []string{"the registry says incompatible (no details given)"}
			}
			for _, m := range msgs {
				fs = append(fs, Finding{Event: ev.Name, Older: len(rs), Newer: next.Number, Direction: Backward,
					Incompatibility: Incompatibility{Path: ev.Name, Rule: "REGISTRY", Message: "registry (subject " + subject + "): " + m}})
			}
		}
	}
	return vs, fs, nil
}

// PullAction says what pull does with one registered version.
type PullAction string

// Pull actions.
const (
	PullWrite    PullAction = "write"    // the file was absent and is written (or, in a dry run, would be)
	PullSame     PullAction = "same"     // the local file has the same canonical form
	PullConflict PullAction = "conflict" // the local file differs; it is left alone
)

// PullStep is one registered version in a pull.
type PullStep struct {
	Subject         string     `json:"subject"`
	RegistryVersion int        `json:"registry_version"`
	Event           string     `json:"event"`
	Version         int        `json:"version"`
	File            string     `json:"file"`
	Action          PullAction `json:"action"`
	Message         string     `json:"message,omitempty"`
}

// Pull writes every version of every subject of reg that belongs to the
// project (by the naming strategy) into the contracts directory dir as
// <Event>/vN.avsc, N being the version's position in the subject. A local
// file that already exists is never overwritten: the same canonical form
// is reported as PullSame, a different one as PullConflict. With dryRun
// nothing is written.
func Pull(ctx context.Context, reg Registry, dir string, cfg *Config, dryRun bool) ([]PullStep, error) {
	rc := registryConfig(cfg)
	local := &Set{Dir: dir}
	if _, err := os.Stat(dir); err == nil {
		s, err := LoadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("local contracts must be valid before pulling: %w", err)
		}
		local = s
	}
	subjects, err := reg.Subjects(ctx)
	if err != nil {
		return nil, err
	}
	var steps []PullStep
	for _, subject := range subjects {
		if !rc.ownsSubject(subject) {
			continue
		}
		rs, err := reg.Schemas(ctx, subject)
		if err != nil {
			return steps, err
		}
		for i, r := range rs {
			step, err := pullOne(local, dir, subject, i+1, r, dryRun)
			if err != nil {
				return steps, err
			}
			steps = append(steps, step)
		}
	}
	return steps, nil
}

func pullOne(local *Set, dir, subject string, n int, r RegisteredSchema, dryRun bool) (PullStep, error) {
	step := PullStep{Subject: subject, RegistryVersion: r.Version, Version: n}
	s, err := avro.ParseWithCache(r.Schema, "", &avro.SchemaCache{})
	if err != nil {
		return step, &RegistryError{Op: "pull", Subject: subject, Message: fmt.Sprintf("version %d is not a valid Avro schema: %v", r.Version, err), kind: ErrRejected}
	}
	rec, ok := s.(*avro.RecordSchema)
	if !ok {
		step.Action, step.Message = PullConflict, fmt.Sprintf("version %d is a %s, not a record, so it is not an event; skipped", r.Version, s.Type())
		return step, nil
	}
	step.Event = rec.FullName()
	evDir := filepath.Join(dir, rec.Name())
	if ev := local.Event(rec.FullName()); ev != nil {
		evDir = ev.Dir
		if n <= len(ev.Versions) {
			lv := ev.Versions[n-1]
			step.File = lv.File
			if layout(lv.Schema) == layout(s) {
				step.Action = PullSame
			} else {
				step.Action = PullConflict
				step.Message = fmt.Sprintf("%s differs from registry version %d of %s; left unchanged: compare them and fix whichever is wrong", lv.File, r.Version, subject)
			}
			return step, nil
		}
	}
	step.File = filepath.Join(evDir, fmt.Sprintf("v%d.avsc", n))
	if _, err := os.Stat(step.File); err == nil {
		// Present on disk but not part of the loaded set (another event's folder).
		step.Action = PullConflict
		step.Message = fmt.Sprintf("%s exists but does not hold %s; left unchanged", step.File, rec.FullName())
		return step, nil
	}
	step.Action = PullWrite
	if dryRun {
		return step, nil
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(r.Schema), "", "  "); err != nil {
		pretty.Reset()
		pretty.WriteString(r.Schema)
	}
	pretty.WriteByte('\n')
	if err := writeFileAtomic(step.File, pretty.Bytes()); err != nil {
		return step, err
	}
	return step, nil
}

// writeFileAtomic writes through a temporary file and a rename, so an
// interrupted pull never leaves half a schema behind.
func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".esgen-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
