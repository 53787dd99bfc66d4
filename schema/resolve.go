package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
)

// Rule names a schema-resolution rule of the Avro specification that a
// reader and writer schema pair breaks.
type Rule string

// The rules reported in an Incompatibility.
const (
	// RuleTypeMismatch: the writer's type cannot be read as the reader's type
	// (and no promotion int->long->float->double or string<->bytes applies).
	RuleTypeMismatch Rule = "TYPE_MISMATCH"
	// RuleNameMismatch: named types (record, enum, fixed) differ in name and
	// the reader lists no alias for the writer's full name.
	RuleNameMismatch Rule = "NAME_MISMATCH"
	// RuleFixedSize: two fixed types have different sizes.
	RuleFixedSize Rule = "FIXED_SIZE_MISMATCH"
	// RuleMissingDefault: the reader has a field the writer lacks, and the
	// field has no default.
	RuleMissingDefault Rule = "READER_FIELD_MISSING_DEFAULT"
	// RuleMissingEnumSymbol: the writer may write an enum symbol the reader
	// lacks, and the reader's enum has no default.
	RuleMissingEnumSymbol Rule = "MISSING_ENUM_SYMBOL"
	// RuleMissingUnionBranch: the writer may write a type (a non-union, or a
	// branch of its union) that no branch of the reader's union can read.
	RuleMissingUnionBranch Rule = "MISSING_UNION_BRANCH"
)

// Incompatibility is one reason a reader schema cannot read data written
// with a writer schema.
type Incompatibility struct {
	Path    string `json:"path"`    // field path, e.g. "OrderCreated.total.units"; "lines[]" is an array's items, "tags{}" a map's values
	Rule    Rule   `json:"rule"`    // the resolution rule broken
	Message string `json:"message"` // in plain words
}

// String formats the incompatibility as "path: message (RULE)".
func (i Incompatibility) String() string {
	return fmt.Sprintf("%s: %s (%s)", i.Path, i.Message, i.Rule)
}

// CanRead reports every reason why data written with writer cannot be
// decoded by a reader using reader, following the schema-resolution rules
// of the Avro specification. It returns nil when reading is possible.
//
// It agrees with hamba/avro's SchemaCompatibility.Compatible but reports
// every problem with a field path instead of stopping at the first, and
// keeps no state between calls.
func CanRead(reader, writer avro.Schema) []Incompatibility {
	r := &resolver{inProgress: map[[2]string]bool{}}
	r.check(rootPath(reader), reader, writer)
	return r.found
}

type resolver struct {
	inProgress map[[2]string]bool
	found      []Incompatibility
}

func (r *resolver) add(path string, rule Rule, format string, args ...any) {
	r.found = append(r.found, Incompatibility{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func rootPath(s avro.Schema) string {
	if n, ok := deref(s).(avro.NamedSchema); ok {
		return n.Name()
	}
	return "$"
}

func deref(s avro.Schema) avro.Schema {
	for {
		ref, ok := s.(*avro.RefSchema)
		if !ok {
			return s
		}
		s = ref.Schema()
	}
}

// typeName describes a schema in a message: its full name or its type.
func typeName(s avro.Schema) string {
	s = deref(s)
	if n, ok := s.(avro.NamedSchema); ok {
		return fmt.Sprintf("%s %s", s.Type(), n.FullName())
	}
	return string(s.Type())
}

// promotable reports whether a writer primitive can be read as a reader primitive.
func promotable(reader, writer avro.Type) bool {
	switch writer {
	case avro.Int:
		return reader == avro.Long || reader == avro.Float || reader == avro.Double
	case avro.Long:
		return reader == avro.Float || reader == avro.Double
	case avro.Float:
		return reader == avro.Double
	case avro.String:
		return reader == avro.Bytes
	case avro.Bytes:
		return reader == avro.String
	}
	return false
}

// readable is CanRead as a yes/no without recording anything.
func (r *resolver) readable(reader, writer avro.Schema) bool {
	sub := &resolver{inProgress: r.inProgress}
	sub.check("", reader, writer)
	return len(sub.found) == 0
}

func (r *resolver) check(path string, reader, writer avro.Schema) {
	reader, writer = deref(reader), deref(writer)
	if wu, ok := writer.(*avro.UnionSchema); ok {
		// Every branch the writer may write must be readable.
		for _, wb := range wu.Types() {
			if ru, ok := reader.(*avro.UnionSchema); ok {
				if !r.unionCanRead(ru, wb) {
					r.add(path, RuleMissingUnionBranch, "the writer's union may hold %s, which no branch of the reader's union (%s) can read; add a matching branch to the reader", typeName(wb), branchList(ru))
				}
				continue
			}
			if !r.readable(reader, wb) {
				sub := &resolver{inProgress: r.inProgress}
				sub.check(path, reader, wb)
				if len(sub.found) == 1 && sub.found[0].Rule == RuleTypeMismatch {
					r.add(path, RuleTypeMismatch, "the writer's union may hold %s, which a reader expecting %s cannot read; make the reader a union with that branch", typeName(wb), typeName(reader))
				} else {
					r.found = append(r.found, sub.found...)
				}
			}
		}
		return
	}
	if ru, ok := reader.(*avro.UnionSchema); ok {
		if !r.unionCanRead(ru, writer) {
			r.add(path, RuleMissingUnionBranch, "the writer writes %s, which no branch of the reader's union (%s) can read; add a matching branch to the reader", typeName(writer), branchList(ru))
		}
		return
	}
	if reader.Type() != writer.Type() {
		if promotable(reader.Type(), writer.Type()) {
			return
		}
		r.add(path, RuleTypeMismatch, "the writer writes %s but the reader expects %s; Avro only promotes int to long, float or double, long to float or double, float to double, and string to and from bytes", typeName(writer), typeName(reader))
		return
	}
	switch rs := reader.(type) {
	case *avro.ArraySchema:
		r.check(path+"[]", rs.Items(), writer.(*avro.ArraySchema).Items())
	case *avro.MapSchema:
		r.check(path+"{}", rs.Values(), writer.(*avro.MapSchema).Values())
	case *avro.FixedSchema:
		ws := writer.(*avro.FixedSchema)
		if !r.namesMatch(path, rs, ws) {
			return
		}
		if rs.Size() != ws.Size() {
			r.add(path, RuleFixedSize, "fixed %s has size %d in the writer but %d in the reader; fixed sizes can never change", rs.FullName(), ws.Size(), rs.Size())
		}
	case *avro.EnumSchema:
		ws := writer.(*avro.EnumSchema)
		if !r.namesMatch(path, rs, ws) {
			return
		}
		if rs.HasDefault() {
			return
		}
		var missing []string
		for _, s := range ws.Symbols() {
			if !slices.Contains(rs.Symbols(), s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			r.add(path, RuleMissingEnumSymbol, "the writer's enum %s has symbol(s) %s that the reader lacks, and the reader's enum has no default; keep the symbols or give the enum a \"default\"", ws.FullName(), strings.Join(missing, ", "))
		}
	case *avro.RecordSchema:
		ws := writer.(*avro.RecordSchema)
		if !r.namesMatch(path, rs, ws) {
			return
		}
		// A full name denotes one definition within a schema, so the pair
		// of names identifies the comparison.
		key := [2]string{rs.FullName(), ws.FullName()}
		if r.inProgress[key] {
			return // recursive type: already being compared further up
		}
		r.inProgress[key] = true
		defer delete(r.inProgress, key)
		for _, rf := range rs.Fields() {
			fp := rf.Name()
			if path != "" {
				fp = path + "." + rf.Name()
			}
			wf := writerField(ws, rf)
			if wf == nil {
				if !rf.HasDefault() {
					r.add(fp, RuleMissingDefault, "the reader has field %q, which the writer does not write, and it has no default; give it a \"default\" (or keep the field in the writer)", rf.Name())
				}
				continue
			}
			r.check(fp, rf.Type(), wf.Type())
		}
	}
}

// writerField finds the writer field a reader field reads: same name, or a
// reader alias naming the writer field.
func writerField(w *avro.RecordSchema, rf *avro.Field) *avro.Field {
	for _, wf := range w.Fields() {
		if wf.Name() == rf.Name() {
			return wf
		}
	}
	for _, wf := range w.Fields() {
		if slices.Contains(rf.Aliases(), wf.Name()) {
			return wf
		}
	}
	return nil
}

// namesMatch applies the naming rule: same unqualified name, or the reader
// lists the writer's full name among its aliases.
func (r *resolver) namesMatch(path string, reader, writer avro.NamedSchema) bool {
	if reader.Name() == writer.Name() || slices.Contains(reader.Aliases(), writer.FullName()) {
		return true
	}
	r.add(path, RuleNameMismatch, "the writer's %s is named %s but the reader's is %s; rename it back or add \"aliases\": [%q] to the reader", writer.Type(), writer.FullName(), reader.FullName(), writer.FullName())
	return false
}

// unionCanRead reports whether some branch of the reader's union reads w.
func (r *resolver) unionCanRead(ru *avro.UnionSchema, w avro.Schema) bool {
	for _, rb := range ru.Types() {
		if r.readable(rb, w) {
			return true
		}
	}
	return false
}

func branchList(u *avro.UnionSchema) string {
	var names []string
	for _, b := range u.Types() {
		names = append(names, typeName(b))
	}
	return strings.Join(names, ", ")
}
