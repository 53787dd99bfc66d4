package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
)

var (
	avroName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	avroNamespace = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

var primitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

// namedDef is the JSON definition of a named type and the namespace it was
// defined in, kept so that defaults can be checked against referenced types.
type namedDef struct {
	node map[string]any
	ns   string
	file string
}

// validator walks one decoded schema document and collects every problem.
type validator struct {
	file     string
	known    map[string]namedDef // names from _types (read only)
	defined  map[string]namedDef // names defined in this document
	problems []Problem
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: v.file, Path: path, Message: fmt.Sprintf(format, args...)})
}

// decodeJSON decodes raw keeping numbers exact, so defaults can be checked.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("extra data after the schema: a file holds exactly one schema")
	}
	return doc, nil
}

// validate reports every problem in doc; known holds the named types of
// _types. It returns the named types doc defines.
func validate(file string, doc any, known map[string]namedDef) ([]Problem, map[string]namedDef) {
	v := &validator{file: file, known: known, defined: map[string]namedDef{}}
	v.schema("$", doc, "")
	// Defaults are checked once every name in the document is known.
	v.defaults("$", doc, "")
	return v.problems, v.defined
}

func (v *validator) lookup(name, ns string) (namedDef, string, bool) {
	full := name
	if !strings.Contains(name, ".") && ns != "" {
		full = ns + "." + name
	}
	for _, n := range []string{full, name} {
		if d, ok := v.defined[n]; ok {
			return d, n, true
		}
		if d, ok := v.known[n]; ok {
			return d, n, true
		}
	}
	return namedDef{}, full, false
}

// schema checks a schema node at path, in namespace ns.
func (v *validator) schema(path string, node any, ns string) {
	switch n := node.(type) {
	case string:
		if primitives[n] {
			return
		}
		if _, full, ok := v.lookup(n, ns); !ok {
			hint := ""
			if strings.Contains(strings.ToLower(n), "record") || n == "enum" || n == "fixed" || n == "array" || n == "map" {
				hint = fmt.Sprintf(`; complex types are written as objects, e.g. {"type": %q, ...}`, n)
			}
			v.add(path, "unknown type %q (looked for %s): define it earlier in this file or in %s/%s", n, full, TypesDir, hint)
		}
	case []any:
		v.union(path, n, ns)
	case map[string]any:
		v.complex(path, n, ns)
	case nil:
		v.add(path, `missing type: write "null" (a JSON string) for the null type`)
	default:
		v.add(path, "a schema must be a type name, an object or a union array, found %s", jsonKind(node))
	}
}

func (v *validator) union(path string, branches []any, ns string) {
	seen := map[string]int{}
	for i, b := range branches {
		bp := fmt.Sprintf("%s[%d]", path, i)
		if _, ok := b.([]any); ok {
			v.add(bp, "a union may not directly contain another union: flatten the branches into one array")
			continue
		}
		v.schema(bp, b, ns)
		key := v.branchKey(b, ns)
		if j, dup := seen[key]; dup {
			v.add(bp, "union branch %d repeats branch %d (%s): a union may hold each type once (named types once per name)", i, j, key)
		}
		seen[key] = i
	}
}

// branchKey identifies a union branch: its type, or its full name for named types.
func (v *validator) branchKey(b any, ns string) string {
	switch n := b.(type) {
	case string:
		if primitives[n] {
			return n
		}
		_, full, _ := v.lookup(n, ns)
		return full
	case map[string]any:
		t, _ := n["type"].(string)
		switch t {
		case "record", "error", "enum", "fixed":
			name, _ := n["name"].(string)
			full, _ := fullName(name, n, ns)
			return full
		case "":
			return "?"
		}
		if primitives[t] {
			return t
		}
		return t
	}
	return "?"
}

// fullName returns the full name of a named type and the namespace its
// children inherit.
func fullName(name string, n map[string]any, ns string) (string, string) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name, name[:i]
	}
	if s, ok := n["namespace"].(string); ok {
		ns = s
	}
	if ns == "" {
		return name, ""
	}
	return ns + "." + name, ns
}

func (v *validator) define(path string, n map[string]any, ns string) (string, string, bool) {
	name, ok := n["name"].(string)
	if !ok || name == "" {
		v.add(path+".name", "a %v needs a \"name\" (a string), found %s", n["type"], jsonKind(n["name"]))
		return "", ns, false
	}
	if raw, has := n["namespace"]; has {
		s, isStr := raw.(string)
		if !isStr || (s != "" && !avroNamespace.MatchString(s)) {
			v.add(path+".namespace", "invalid namespace %v: use dot-separated names like \"com.example.orders\", each [A-Za-z_][A-Za-z0-9_]*", jsonValue(raw))
		}
	}
	short := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		short = name[i+1:]
		if !avroNamespace.MatchString(name[:i]) {
			v.add(path+".name", "invalid namespace in name %q: use dot-separated names, each [A-Za-z_][A-Za-z0-9_]*", name)
		}
	}
	if !avroName.MatchString(short) {
		v.add(path+".name", "invalid name %q: names start with a letter or _ and hold only letters, digits and _", short)
	}
	if primitives[short] && !strings.Contains(name, ".") {
		v.add(path+".name", "%q is a primitive type name and cannot name a %v", short, n["type"])
	}
	full, childNS := fullName(name, n, ns)
	if _, dup := v.defined[full]; dup {
		v.add(path+".name", "%s is defined twice in this file: define it once and refer to it by name afterwards", full)
	} else if d, dup := v.known[full]; dup && d.file != v.file {
		v.add(path+".name", "%s is already defined in %s/: refer to it by name instead of redefining it", full, TypesDir)
	}
	v.defined[full] = namedDef{node: n, ns: ns, file: v.file}
	v.aliases(path, n)
	return full, childNS, true
}

func (v *validator) aliases(path string, n map[string]any) {
	raw, has := n["aliases"]
	if !has {
		return
	}
	list, ok := raw.([]any)
	if !ok {
		v.add(path+".aliases", "aliases must be an array of names, found %s", jsonKind(raw))
		return
	}
	for i, a := range list {
		s, ok := a.(string)
		if !ok || !(avroName.MatchString(s) || avroNamespace.MatchString(s)) {
			v.add(fmt.Sprintf("%s.aliases[%d]", path, i), "invalid alias %v: aliases are (optionally dotted) names", jsonValue(a))
		}
	}
}

func (v *validator) complex(path string, n map[string]any, ns string) {
	rawType, has := n["type"]
	if !has {
		v.add(path, "missing \"type\": every schema object needs one (record, enum, fixed, array, map or a primitive)")
		return
	}
	t, ok := rawType.(string)
	if !ok {
		// {"type": {...}} or {"type": [...]} wraps another schema.
		v.schema(path+".type", rawType, ns)
		return
	}
	if lt, has := n["logicalType"]; has {
		v.logicalType(path, t, lt, n)
	}
	switch t {
	case "record", "error":
		_, childNS, _ := v.define(path, n, ns)
		fields, ok := n["fields"].([]any)
		if !ok {
			v.add(path+".fields", "a record needs \"fields\" (an array), found %s", jsonKind(n["fields"]))
			return
		}
		names := map[string]int{}
		for i, f := range fields {
			fp := fmt.Sprintf("%s.fields[%d]", path, i)
			fm, ok := f.(map[string]any)
			if !ok {
				v.add(fp, "a field must be an object with \"name\" and \"type\", found %s", jsonKind(f))
				continue
			}
			name, _ := fm["name"].(string)
			switch {
			case name == "":
				v.add(fp+".name", "a field needs a \"name\" (a string), found %s", jsonKind(fm["name"]))
			case !avroName.MatchString(name):
				v.add(fp+".name", "invalid field name %q: names start with a letter or _ and hold only letters, digits and _", name)
			default:
				if j, dup := names[name]; dup {
					v.add(fp+".name", "field %q repeats field %d: field names must be unique in a record", name, j)
				}
				names[name] = i
			}
			if _, has := fm["type"]; !has {
				v.add(fp+".type", "field %q has no \"type\"", name)
			} else {
				v.schema(fp+".type", fm["type"], childNS)
			}
			if o, has := fm["order"]; has && o != "ascending" && o != "descending" && o != "ignore" {
				v.add(fp+".order", "order must be ascending, descending or ignore, found %v", jsonValue(o))
			}
			v.aliases(fp, fm)
		}
	case "enum":
		v.define(path, n, ns)
		syms, ok := n["symbols"].([]any)
		if !ok {
			v.add(path+".symbols", "an enum needs \"symbols\" (an array of names), found %s", jsonKind(n["symbols"]))
			return
		}
		set := map[string]int{}
		for i, s := range syms {
			sp := fmt.Sprintf("%s.symbols[%d]", path, i)
			str, ok := s.(string)
			if !ok || !avroName.MatchString(str) {
				v.add(sp, "invalid enum symbol %v: symbols start with a letter or _ and hold only letters, digits and _", jsonValue(s))
				continue
			}
			if j, dup := set[str]; dup {
				v.add(sp, "symbol %q repeats symbol %d: enum symbols must be unique", str, j)
			}
			set[str] = i
		}
		if d, has := n["default"]; has {
			if s, ok := d.(string); !ok || !hasKey(set, s) {
				v.add(path+".default", "enum default %v is not one of its symbols", jsonValue(d))
			}
		}
	case "fixed":
		v.define(path, n, ns)
		if size, ok := intValue(n["size"]); !ok || size < 0 {
			v.add(path+".size", "a fixed needs \"size\", a non-negative integer, found %v", jsonValue(n["size"]))
		}
	case "array":
		items, has := n["items"]
		if !has {
			v.add(path+".items", "an array needs \"items\", the schema of its elements")
			return
		}
		v.schema(path+".items", items, ns)
	case "map":
		values, has := n["values"]
		if !has {
			v.add(path+".values", "a map needs \"values\", the schema of its values")
			return
		}
		v.schema(path+".values", values, ns)
	default:
		if !primitives[t] {
			if _, _, ok := v.lookup(t, ns); !ok {
				v.add(path+".type", "unknown type %q: want record, enum, fixed, array, map, a primitive or a defined name", t)
			}
		}
	}
}

// defaults walks the document again and checks every field default against its type.
func (v *validator) defaults(path string, node any, ns string) {
	switch n := node.(type) {
	case []any:
		for i, b := range n {
			v.defaults(fmt.Sprintf("%s[%d]", path, i), b, ns)
		}
	case map[string]any:
		switch t := n["type"].(type) {
		case string:
			switch t {
			case "record", "error":
				name, _ := n["name"].(string)
				_, childNS := fullName(name, n, ns)
				fields, _ := n["fields"].([]any)
				for i, f := range fields {
					fm, _ := f.(map[string]any)
					fp := fmt.Sprintf("%s.fields[%d]", path, i)
					v.defaults(fp+".type", fm["type"], childNS)
					if d, has := fm["default"]; has {
						if msg := v.checkDefault(fm["type"], d, childNS, 0); msg != "" {
							v.add(fp+".default", "default %s does not match the field's type: %s", jsonValue(d), msg)
						}
					}
				}
			case "array":
				v.defaults(path+".items", n["items"], ns)
			case "map":
				v.defaults(path+".values", n["values"], ns)
			}
		default:
			v.defaults(path+".type", t, ns)
		}
	}
}

// checkDefault returns "" when d is a valid default for the schema s, or
// what is wrong. Union defaults must match the first branch.
func (v *validator) checkDefault(s any, d any, ns string, depth int) string {
	if depth > 64 {
		return "" // recursive types: give up rather than loop
	}
	switch n := s.(type) {
	case []any:
		if len(n) == 0 {
			return "an empty union has no values"
		}
		if msg := v.checkDefault(n[0], d, ns, depth+1); msg != "" {
			return "a union's default must match its first branch (" + describe(n[0]) + "): " + msg + "; reorder the branches or change the default"
		}
		return ""
	case map[string]any:
		t, ok := n["type"].(string)
		if !ok {
			return v.checkDefault(n["type"], d, ns, depth+1)
		}
		switch t {
		case "record", "error":
			obj, ok := d.(map[string]any)
			if !ok {
				return "want a JSON object for a record, found " + jsonKind(d)
			}
			name, _ := n["name"].(string)
			_, childNS := fullName(name, n, ns)
			fields, _ := n["fields"].([]any)
			for _, f := range fields {
				fm, _ := f.(map[string]any)
				fname, _ := fm["name"].(string)
				val, has := obj[fname]
				if !has {
					if _, hasDef := fm["default"]; hasDef {
						continue
					}
					return fmt.Sprintf("record default lacks field %q (which has no default)", fname)
				}
				if msg := v.checkDefault(fm["type"], val, childNS, depth+1); msg != "" {
					return fmt.Sprintf("field %q: %s", fname, msg)
				}
			}
			return ""
		case "enum":
			str, ok := d.(string)
			if !ok {
				return "want a symbol (string) for an enum, found " + jsonKind(d)
			}
			syms, _ := n["symbols"].([]any)
			for _, s := range syms {
				if s == str {
					return ""
				}
			}
			return fmt.Sprintf("%q is not a symbol of the enum", str)
		case "fixed":
			str, ok := d.(string)
			if !ok {
				return "want a string for a fixed, found " + jsonKind(d)
			}
			size, _ := intValue(n["size"])
			if got := len([]rune(str)); int64(got) != size {
				return fmt.Sprintf("a fixed of size %d needs a string of %d characters, found %d", size, size, got)
			}
			return ""
		case "array":
			arr, ok := d.([]any)
			if !ok {
				return "want a JSON array, found " + jsonKind(d)
			}
			for i, e := range arr {
				if msg := v.checkDefault(n["items"], e, ns, depth+1); msg != "" {
					return fmt.Sprintf("item %d: %s", i, msg)
				}
			}
			return ""
		case "map":
			obj, ok := d.(map[string]any)
			if !ok {
				return "want a JSON object, found " + jsonKind(d)
			}
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if msg := v.checkDefault(n["values"], obj[k], ns, depth+1); msg != "" {
					return fmt.Sprintf("key %q: %s", k, msg)
				}
			}
			return ""
		}
		return v.checkDefault(t, d, ns, depth+1)
	case string:
		return v.checkPrimitiveDefault(n, d, ns, depth)
	}
	return ""
}

func (v *validator) checkPrimitiveDefault(t string, d any, ns string, depth int) string {
	switch t {
	case "null":
		if d != nil {
			return "want null, found " + jsonKind(d)
		}
	case "boolean":
		if _, ok := d.(bool); !ok {
			return "want true or false, found " + jsonKind(d)
		}
	case "int", "long":
		i, ok := intValue(d)
		if !ok {
			return "want an integer, found " + jsonValue(d)
		}
		if t == "int" && (i < math.MinInt32 || i > math.MaxInt32) {
			return fmt.Sprintf("%d does not fit in a 32-bit int; use long", i)
		}
	case "float", "double":
		if _, ok := d.(json.Number); !ok {
			return "want a number, found " + jsonKind(d)
		}
	case "bytes", "string":
		if _, ok := d.(string); !ok {
			return "want a string, found " + jsonKind(d)
		}
	default:
		def, _, ok := v.lookup(t, ns)
		if !ok {
			return ""
		}
		return v.checkDefault(def.node, d, def.ns, depth+1)
	}
	return ""
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

func intValue(x any) (int64, bool) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func jsonKind(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", x)
}

func jsonValue(x any) string {
	if x == nil {
		return "null"
	}
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

func describe(s any) string {
	switch n := s.(type) {
	case string:
		return n
	case map[string]any:
		if name, ok := n["name"].(string); ok {
			return name
		}
		if t, ok := n["type"].(string); ok {
			return t
		}
	case []any:
		return "union"
	}
	return jsonKind(s)
}

// logicalTypeBase lists the underlying types each known logical type
// accepts. Avro readers silently ignore a logical type on any other type,
// which in a contract is always a mistake.
var logicalTypeBase = map[string][]string{
	"decimal":                {"bytes", "fixed"},
	"uuid":                   {"string", "fixed"},
	"date":                   {"int"},
	"time-millis":            {"int"},
	"time-micros":            {"long"},
	"timestamp-millis":       {"long"},
	"timestamp-micros":       {"long"},
	"timestamp-nanos":        {"long"},
	"local-timestamp-millis": {"long"},
	"local-timestamp-micros": {"long"},
	"local-timestamp-nanos":  {"long"},
	"duration":               {"fixed"},
}

func (v *validator) logicalType(path, t string, raw any, n map[string]any) {
	lt, ok := raw.(string)
	if !ok {
		v.add(path+".logicalType", "logicalType must be a string, found %s", jsonKind(raw))
		return
	}
	bases, known := logicalTypeBase[lt]
	if !known {
		return // unknown logical types are ignored by Avro, by design
	}
	if !slices.Contains(bases, t) {
		v.add(path+".logicalType", "logical type %s applies to %s, not %s; Avro would silently ignore it", lt, strings.Join(bases, " or "), t)
		return
	}
	size, _ := intValue(n["size"])
	switch lt {
	case "duration":
		if size != 12 {
			v.add(path+".size", "a duration is a fixed of size 12, found %d", size)
		}
	case "uuid":
		if t == "fixed" && size != 16 {
			v.add(path+".size", "a uuid fixed has size 16, found %d", size)
		}
	case "decimal":
		prec, ok := intValue(n["precision"])
		if !ok || prec <= 0 {
			v.add(path+".precision", "a decimal needs \"precision\", a positive integer, found %s; without it Avro ignores the logical type", jsonValue(n["precision"]))
			return
		}
		if raw, has := n["scale"]; has {
			if sc, ok := intValue(raw); !ok || sc < 0 || sc > prec {
				v.add(path+".scale", "a decimal's scale must be an integer from 0 to its precision (%d), found %s", prec, jsonValue(raw))
				return
			}
		}
		if t == "fixed" && size > 0 {
			max := int64(math.Floor(math.Log10(math.Pow(2, 8*float64(size)-1) - 1)))
			if prec > max {
				v.add(path+".precision", "a fixed of size %d holds at most %d decimal digits, found precision %d", size, max, prec)
			}
		}
	}
}
