package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
)

// TypesDir is the folder, inside a contracts directory, holding shared named
// types that event schemas reference by name.
const TypesDir = "_types"

var versionFile = regexp.MustCompile(`^v([1-9][0-9]*)\.avsc$`)

// LoadDir loads and validates every contract under dir. On failure the error is a *LoadError
// listing every problem (file, JSON path, message), not just the first.
func LoadDir(dir string) (*Set, error) {
	return loadDir(osFS{}, dir)
}

// fileSystem is the little LoadDir needs from a file system, so that
// contracts can also be loaded from a git ref.
type fileSystem interface {
	// ReadDir lists the names of the entries of dir; isDir tells folders apart.
	ReadDir(dir string) ([]dirEntry, error)
	ReadFile(name string) ([]byte, error)
}

type dirEntry struct {
	Name  string
	IsDir bool
}

type osFS struct{}

func (osFS) ReadDir(dir string) ([]dirEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]dirEntry, 0, len(ents))
	for _, e := range ents {
		out = append(out, dirEntry{Name: e.Name(), IsDir: e.IsDir()})
	}
	return out, nil
}

func (osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

type loader struct {
	fs       fileSystem
	problems []Problem
	types    *avro.SchemaCache
	typeDefs map[string]namedDef // JSON definitions of the shared types
}

func (l *loader) add(file, path, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Path: path, Message: fmt.Sprintf(format, args...)})
}

func loadDir(fsys fileSystem, dir string) (*Set, error) {
	l := &loader{fs: fsys, types: &avro.SchemaCache{}, typeDefs: map[string]namedDef{}}
	set := &Set{Dir: dir}
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		l.add(dir, "", "cannot read the contracts directory: %v; create it (esgen init) or fix `contracts:` in esgen.yaml", err)
		return nil, &LoadError{Problems: l.problems}
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
	for _, e := range ents {
		if e.IsDir && e.Name == TypesDir {
			l.loadTypes(filepath.Join(dir, e.Name))
		}
	}
	for _, e := range ents {
		switch {
		case strings.HasPrefix(e.Name, "."):
		case !e.IsDir:
			if strings.HasSuffix(e.Name, ".avsc") {
				l.add(filepath.Join(dir, e.Name), "", "schema file outside an event folder: move it to %s/<EventName>/v1.avsc (or to %s/ for shared types)", dir, TypesDir)
			}
		case e.Name == TypesDir:
		case strings.HasPrefix(e.Name, "_"):
			l.add(filepath.Join(dir, e.Name), "", "unknown special folder %q: only %s is reserved; rename it to the event's name", e.Name, TypesDir)
		default:
			if ev := l.loadEvent(filepath.Join(dir, e.Name), e.Name); ev != nil {
				set.Events = append(set.Events, ev)
			}
		}
	}
	sort.Slice(set.Events, func(i, j int) bool { return set.Events[i].Name < set.Events[j].Name })
	for i := 1; i < len(set.Events); i++ {
		if set.Events[i].Name == set.Events[i-1].Name {
			l.add(set.Events[i].Dir, "", "event %s is also defined in %s: each event must live in exactly one folder", set.Events[i].Name, set.Events[i-1].Dir)
		}
	}
	if len(l.problems) > 0 {
		sortProblems(l.problems)
		return nil, &LoadError{Problems: l.problems}
	}
	return set, nil
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Path < ps[j].Path
	})
}

// loadTypes parses the shared types in dependency order: files whose
// references are not yet known are retried until no more progress is made.
func (l *loader) loadTypes(dir string) {
	ents, err := l.fs.ReadDir(dir)
	if err != nil {
		l.add(dir, "", "cannot read shared types: %v", err)
		return
	}
	type pending struct {
		file string
		raw  []byte
	}
	var todo []pending
	for _, e := range ents {
		if e.IsDir || !strings.HasSuffix(e.Name, ".avsc") {
			continue
		}
		file := filepath.Join(dir, e.Name)
		raw, err := l.fs.ReadFile(file)
		if err != nil {
			l.add(file, "", "cannot read: %v", err)
			continue
		}
		todo = append(todo, pending{file, raw})
	}
	// First learn every shared name, so files may refer to each other in any order.
	for _, p := range todo {
		doc, err := decodeJSON(p.raw)
		if err != nil {
			continue
		}
		_, defs := validate(p.file, doc, nil)
		for name, d := range defs {
			l.typeDefs[name] = d
		}
	}
	valid := todo[:0]
	for _, p := range todo {
		if ps := l.validateFile(p.file, p.raw); len(ps) > 0 {
			l.problems = append(l.problems, ps...)
			continue
		}
		valid = append(valid, p)
	}
	todo = valid
	sort.Slice(todo, func(i, j int) bool { return todo[i].file < todo[j].file })
	for len(todo) > 0 {
		var next []pending
		var lastErr = map[string]error{}
		for _, p := range todo {
			if _, err := avro.ParseBytesWithCache(p.raw, "", l.types); err != nil {
				next = append(next, p)
				lastErr[p.file] = err
			}
		}
		if len(next) == len(todo) {
			for _, p := range next {
				l.add(p.file, "", "%s", cleanAvroError(lastErr[p.file]))
			}
			return
		}
		todo = next
	}
}

func (l *loader) loadEvent(dir, folder string) *Event {
	ents, err := l.fs.ReadDir(dir)
	if err != nil {
		l.add(dir, "", "cannot read event folder: %v", err)
		return nil
	}
	byNum := map[int]string{}
	var nums []int
	for _, e := range ents {
		if e.IsDir || strings.HasPrefix(e.Name, ".") {
			continue
		}
		m := versionFile.FindStringSubmatch(e.Name)
		if m == nil {
			if strings.HasSuffix(e.Name, ".avsc") {
				l.add(filepath.Join(dir, e.Name), "", "file name %q is not a version: name versions v1.avsc, v2.avsc, ...", e.Name)
			}
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			l.add(filepath.Join(dir, e.Name), "", "version number %q is too large", m[1])
			continue
		}
		byNum[n] = e.Name
		nums = append(nums, n)
	}
	sort.Ints(nums)
	if len(nums) == 0 {
		l.add(dir, "", "event folder has no versions: add v1.avsc")
		return nil
	}
	ok := true
	for i, n := range nums {
		if n != i+1 {
			l.add(filepath.Join(dir, byNum[n]), "", "version %d follows version %d: versions must be numbered 1, 2, 3, ... without gaps; add v%d.avsc or renumber", n, i, i+1)
			ok = false
			break
		}
	}
	ev := &Event{Dir: dir}
	for _, n := range nums {
		file := filepath.Join(dir, byNum[n])
		v := l.loadVersion(file, folder, n)
		if v == nil {
			ok = false
			continue
		}
		switch {
		case ev.Name == "":
			ev.Name = v.Event
		case ev.Name != v.Event:
			l.add(file, "$.name", "record is %s but earlier versions of this event are %s: every version of an event must keep its full name", v.Event, ev.Name)
			ok = false
		}
		ev.Versions = append(ev.Versions, v)
	}
	if !ok || ev.Name == "" {
		return nil
	}
	for _, v := range ev.Versions {
		v.Event = ev.Name
	}
	return ev
}

func (l *loader) loadVersion(file, folder string, n int) *Version {
	raw, err := l.fs.ReadFile(file)
	if err != nil {
		l.add(file, "", "cannot read: %v", err)
		return nil
	}
	if ps := l.validateFile(file, raw); len(ps) > 0 {
		l.problems = append(l.problems, ps...)
		return nil
	}
	cache := &avro.SchemaCache{}
	cache.AddAll(l.types)
	s, err := avro.ParseBytesWithCache(raw, "", cache)
	if err != nil {
		l.add(file, "", "%s", cleanAvroError(err))
		return nil
	}
	rec, isRec := s.(*avro.RecordSchema)
	if !isRec {
		l.add(file, "$.type", "an event schema must be a record, found %s: wrap the payload in {\"type\": \"record\", ...}", s.Type())
		return nil
	}
	if rec.Name() != folder {
		l.add(file, "$.name", "record is named %q but its folder is %q: the folder must carry the record's short name; rename one of them", rec.Name(), folder)
		return nil
	}
	return &Version{
		Event:       rec.FullName(),
		Number:      n,
		File:        file,
		Raw:         raw,
		Schema:      s,
		Canonical:   Canonical(s),
		Fingerprint: Fingerprint(s),
	}
}

// validateFile checks that raw is well-formed JSON and a valid schema,
// reporting every problem with its JSON path.
func (l *loader) validateFile(file string, raw []byte) []Problem {
	ps, _ := validateSchema(file, raw, l.typeDefs)
	return ps
}

// validateSchema decodes and validates one schema document.
func validateSchema(file string, raw []byte, known map[string]namedDef) ([]Problem, any) {
	doc, err := decodeJSON(raw)
	if err != nil {
		msg := err.Error()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(raw, se.Offset)
			msg = fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err)
		} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			msg = "empty or truncated file: expected one JSON schema"
		}
		return []Problem{{File: file, Message: msg}}, nil
	}
	ps, _ := validate(file, doc, known)
	return ps, doc
}

func lineCol(raw []byte, off int64) (int, int) {
	line, col := 1, 1
	for i := int64(0); i < off-1 && i < int64(len(raw)); i++ {
		if raw[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func cleanAvroError(err error) string {
	return strings.TrimPrefix(err.Error(), "avro: ")
}

// ParseSchema validates and parses one standalone schema document of any
// kind (record, enum, union, array, map, fixed or primitive). file only
// names the document in problems. Invalid input gives a *LoadError with
// every problem found.
func ParseSchema(file string, raw []byte) (avro.Schema, error) {
	return parseWith(file, raw, nil, &avro.SchemaCache{})
}

// ParseSchemaWithTypes is ParseSchema for a document that may refer to the
// shared named types of typesDir (a contracts directory's _types folder).
func ParseSchemaWithTypes(file string, raw []byte, typesDir string) (avro.Schema, error) {
	l := &loader{fs: osFS{}, types: &avro.SchemaCache{}, typeDefs: map[string]namedDef{}}
	l.loadTypes(typesDir)
	if len(l.problems) > 0 {
		sortProblems(l.problems)
		return nil, &LoadError{Problems: l.problems}
	}
	cache := &avro.SchemaCache{}
	cache.AddAll(l.types)
	return parseWith(file, raw, l.typeDefs, cache)
}

func parseWith(file string, raw []byte, known map[string]namedDef, cache *avro.SchemaCache) (avro.Schema, error) {
	if ps, _ := validateSchema(file, raw, known); len(ps) > 0 {
		sortProblems(ps)
		return nil, &LoadError{Problems: ps}
	}
	s, err := avro.ParseBytesWithCache(raw, "", cache)
	if err != nil {
		return nil, &LoadError{Problems: []Problem{{File: file, Message: cleanAvroError(err)}}}
	}
	return s, nil
}
