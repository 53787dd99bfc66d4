package codegen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/hamba/avro/v2"

	"github.com/esgen/esgen/schema"
)

const (
	pathAvro       = "github.com/hamba/avro/v2"
	pathUUID       = "github.com/google/uuid"
	pathEventstore = "github.com/esgen/esgen/eventstore"
	pathAggregate  = "github.com/esgen/esgen/aggregate"
	pathProjection = "github.com/esgen/esgen/projection"
	pathAvrocodec  = "github.com/esgen/esgen/codegen/avrocodec"
)

// named is an Avro named type (record, enum or fixed) that becomes a Go type.
type named struct {
	full   string      // Avro full name
	goName string      // Go identifier
	schema avro.Schema // *avro.RecordSchema, *avro.EnumSchema or *avro.FixedSchema
	event  *eventInfo  // set when the record is an event
	fields []*field    // records only
}

// field is one field of a generated struct.
type field struct {
	goName string
	avro   *avro.Field
	typ    jen.Code
}

// union is a union other than ["null", T]: a holder struct, a sealed interface and one
// wrapper type per branch.
type union struct {
	goName   string // the holder type; the interface is goName+"Value"
	schema   *avro.UnionSchema
	nullable bool
	branches []*branch
	context  string // where it appears, for doc comments
}

// branch is one non-null branch of a union.
type branch struct {
	goName  string   // the wrapper type
	typ     jen.Code // the Go type the branch's values have
	regName string   // the name hamba resolves the branch by
	schema  avro.Schema
}

// eventInfo is one event of the contracts.
type eventInfo struct {
	ev     *schema.Event
	named  *named
	goName string
}

// model is everything the generator derived from the contracts before writing files.
type model struct {
	pkg     string
	events  []*eventInfo            // sorted by event type
	named   map[string]*named       // by Avro full name
	unions  []*union                // in discovery order (deterministic)
	regs    map[string]string       // union branch resolution name -> Go type description
	regList []registration          // in first-seen order
	used    map[string]string       // Go identifiers -> what declared them
	types   map[string]*eventInfo   // event lookup by full and (unique) short name
	short   map[string][]*eventInfo // short name -> events
}

type registration struct {
	name  string
	value jen.Code
}

// claim reserves a Go identifier at package level; a second claim is an error naming both.
func (m *model) claim(id, what string) error {
	if prev, ok := m.used[id]; ok {
		return fmt.Errorf("generated name %s is used by both %s and %s; rename one of them", id, prev, what)
	}
	m.used[id] = what
	return nil
}

// buildModel names every type reachable from the latest version of every event.
func buildModel(pkg string, set *schema.Set) (*model, error) {
	m := &model{
		pkg:   pkg,
		named: map[string]*named{},
		regs:  map[string]string{},
		used:  map[string]string{},
		types: map[string]*eventInfo{},
		short: map[string][]*eventInfo{},
	}
	for _, id := range []string{"Codec", "NewCodec", "NewCodecWithLimits", "EventTypes"} {
		m.used[id] = "the generated codec"
	}
	// Collect named types in a deterministic walk.
	var order []*named
	var collect func(s avro.Schema)
	collect = func(s avro.Schema) {
		switch t := s.(type) {
		case *avro.RefSchema:
			collect(t.Schema())
		case *avro.RecordSchema:
			if _, seen := m.named[t.FullName()]; seen {
				return
			}
			n := &named{full: t.FullName(), schema: t}
			m.named[t.FullName()] = n
			order = append(order, n)
			for _, f := range t.Fields() {
				collect(f.Type())
			}
		case *avro.EnumSchema:
			if _, seen := m.named[t.FullName()]; !seen {
				n := &named{full: t.FullName(), schema: t}
				m.named[t.FullName()] = n
				order = append(order, n)
			}
		case *avro.FixedSchema:
			if t.Logical() != nil {
				return // decimal and duration map to library types
			}
			if _, seen := m.named[t.FullName()]; !seen {
				n := &named{full: t.FullName(), schema: t}
				m.named[t.FullName()] = n
				order = append(order, n)
			}
		case *avro.ArraySchema:
			collect(t.Items())
		case *avro.MapSchema:
			collect(t.Values())
		case *avro.UnionSchema:
			for _, b := range t.Types() {
				collect(b)
			}
		}
	}
	for _, ev := range set.Events {
		latest := ev.Latest()
		if latest == nil {
			return nil, fmt.Errorf("event %s has no versions", ev.Name)
		}
		ei := &eventInfo{ev: ev}
		m.events = append(m.events, ei)
		collect(latest.Schema)
		ei.named = m.named[ev.Name]
		if ei.named == nil {
			return nil, fmt.Errorf("%s: the latest version of %s is not a record", latest.File, ev.Name)
		}
		ei.named.event = ei
	}
	// Name named types: the short name, qualified by the namespace where short names clash.
	byShort := map[string][]*named{}
	for _, n := range order {
		byShort[pascal(shortName(n.full))] = append(byShort[pascal(shortName(n.full))], n)
	}
	for _, n := range order {
		base := pascal(shortName(n.full))
		if len(byShort[base]) > 1 {
			base = pascal(n.full)
		}
		n.goName = base
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].goName < order[j].goName })
	for _, n := range order {
		what := "Avro type " + n.full
		if err := m.claim(n.goName, what); err != nil {
			return nil, err
		}
		if n.event != nil {
			n.event.goName = n.goName
			if err := m.claim(n.goName+"Type", "the event type constant of "+n.full); err != nil {
				return nil, err
			}
		}
		if e, ok := n.schema.(*avro.EnumSchema); ok {
			if err := m.claim("Parse"+n.goName, "the parser of enum "+n.full); err != nil {
				return nil, err
			}
			for _, sym := range e.Symbols() {
				if err := m.claim(n.goName+pascal(sym), fmt.Sprintf("symbol %s of enum %s", sym, n.full)); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, ei := range m.events {
		m.types[ei.ev.Name] = ei
		s := shortName(ei.ev.Name)
		m.short[s] = append(m.short[s], ei)
	}
	// Field types, in type-name order so union names are stable.
	for _, n := range order {
		rec, ok := n.schema.(*avro.RecordSchema)
		if !ok {
			continue
		}
		seen := map[string]int{}
		for _, f := range rec.Fields() {
			name := pascal(f.Name())
			if seen[name] > 0 {
				name = fmt.Sprintf("%s%d", name, seen[name]+1)
			}
			seen[pascal(f.Name())]++
			typ, err := m.goType(f.Type(), n.goName+pascal(f.Name()), fmt.Sprintf("field %s of %s", f.Name(), n.full))
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, &field{goName: name, avro: f, typ: typ})
		}
	}
	return m, nil
}

func shortName(full string) string {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[i+1:]
	}
	return full
}

// goType returns the Go type of values of s. ctx names anonymous unions found inside s.
func (m *model) goType(s avro.Schema, ctx, where string) (jen.Code, error) {
	if ref, ok := s.(*avro.RefSchema); ok {
		s = ref.Schema()
	}
	if lt := logicalType(s); lt != nil {
		return lt, nil
	}
	switch t := s.(type) {
	case *avro.NullSchema:
		return nil, fmt.Errorf("%s: a bare null type has no Go representation; use it inside a union such as [\"null\", \"string\"]", where)
	case *avro.PrimitiveSchema:
		switch t.Type() {
		case avro.Boolean:
			return jen.Bool(), nil
		case avro.Int:
			return jen.Int32(), nil
		case avro.Long:
			return jen.Int64(), nil
		case avro.Float:
			return jen.Float32(), nil
		case avro.Double:
			return jen.Float64(), nil
		case avro.String:
			return jen.String(), nil
		case avro.Bytes:
			return jen.Index().Byte(), nil
		}
	case *avro.RecordSchema, *avro.EnumSchema, *avro.FixedSchema:
		n := m.named[s.(avro.NamedSchema).FullName()]
		return jen.Id(n.goName), nil
	case *avro.ArraySchema:
		item, err := m.goType(t.Items(), ctx+"Item", where)
		if err != nil {
			return nil, err
		}
		return jen.Index().Add(item), nil
	case *avro.MapSchema:
		val, err := m.goType(t.Values(), ctx+"Value", where)
		if err != nil {
			return nil, err
		}
		return jen.Map(jen.String()).Add(val), nil
	case *avro.UnionSchema:
		if t.Nullable() {
			_, typeIdx := t.Indices()
			inner, err := m.goType(t.Types()[typeIdx], ctx, where)
			if err != nil {
				return nil, err
			}
			if isPointerType(t.Types()[typeIdx]) {
				return inner, nil
			}
			return jen.Op("*").Add(inner), nil
		}
		u, err := m.newUnion(t, ctx, where)
		if err != nil {
			return nil, err
		}
		return jen.Op("*").Id(u.goName), nil
	}
	return nil, fmt.Errorf("%s: unsupported Avro type %s", where, s.Type())
}

// isPointerType reports whether the Go type of s is already a pointer (decimals).
func isPointerType(s avro.Schema) bool {
	if ls, ok := s.(avro.LogicalTypeSchema); ok && ls.Logical() != nil {
		return ls.Logical().Type() == avro.Decimal
	}
	return false
}

// logicalType returns the Go type of a logical type, or nil when s has none esgen maps.
func logicalType(s avro.Schema) jen.Code {
	ls, ok := s.(avro.LogicalTypeSchema)
	if !ok || ls.Logical() == nil {
		return nil
	}
	switch ls.Logical().Type() {
	case avro.Date, avro.TimestampMillis, avro.TimestampMicros, avro.LocalTimestampMillis, avro.LocalTimestampMicros:
		if s.Type() == avro.Int && ls.Logical().Type() == avro.Date || s.Type() == avro.Long && ls.Logical().Type() != avro.Date {
			return jen.Qual("time", "Time")
		}
	case avro.TimeMillis, avro.TimeMicros:
		if s.Type() == avro.Int && ls.Logical().Type() == avro.TimeMillis || s.Type() == avro.Long && ls.Logical().Type() == avro.TimeMicros {
			return jen.Qual("time", "Duration")
		}
	case avro.UUID:
		if s.Type() == avro.String {
			return jen.Qual(pathUUID, "UUID")
		}
	case avro.Decimal:
		return jen.Op("*").Qual("math/big", "Rat")
	case avro.Duration:
		if s.Type() == avro.Fixed {
			return jen.Qual(pathAvro, "LogicalDuration")
		}
	}
	return nil
}

// newUnion declares the holder, interface and wrappers of a union.
func (m *model) newUnion(t *avro.UnionSchema, ctx, where string) (*union, error) {
	name := ctx
	if _, taken := m.used[name]; taken {
		name += "Union"
	}
	u := &union{goName: name, schema: t, context: where}
	if err := m.claim(name, "the union of "+where); err != nil {
		return nil, err
	}
	if err := m.claim(name+"Value", "the union of "+where); err != nil {
		return nil, err
	}
	for _, b := range t.Types() {
		if ref, ok := b.(*avro.RefSchema); ok {
			b = ref.Schema()
		}
		if b.Type() == avro.Null {
			u.nullable = true
			continue
		}
		typ, err := m.goType(b, ctx, where)
		if err != nil {
			return nil, err
		}
		suffix := branchName(b)
		if n, ok := b.(avro.NamedSchema); ok && m.named[n.FullName()] != nil {
			suffix = m.named[n.FullName()].goName // qualified when short names clash
		}
		br := &branch{goName: name + suffix, typ: typ, regName: resolutionName(b), schema: b}
		if err := m.claim(br.goName, "a branch of the union of "+where); err != nil {
			return nil, err
		}
		desc := fmt.Sprintf("%#v", typ)
		if prev, ok := m.regs[br.regName]; ok && prev != desc {
			return nil, fmt.Errorf("%s: union branch %s decodes into %s here and into %s elsewhere; esgen cannot tell them apart: give the inner type a name (a record)", where, br.regName, desc, prev)
		}
		if _, ok := m.regs[br.regName]; !ok {
			m.regs[br.regName] = desc
			m.regList = append(m.regList, registration{name: br.regName, value: zeroValue(b, typ)})
		}
		u.branches = append(u.branches, br)
	}
	// Two branches with the same Go type (date and timestamp) cannot be told apart on encode.
	seen := map[string]string{}
	for _, br := range u.branches {
		d := fmt.Sprintf("%#v", br.typ)
		if prev, dup := seen[d]; dup {
			return nil, fmt.Errorf("%s: union branches %s and %s both become Go type %s; esgen cannot tell them apart when encoding", where, prev, br.regName, d)
		}
		seen[d] = br.regName
	}
	m.unions = append(m.unions, u)
	return u, nil
}

// branchName names a union branch's wrapper suffix.
func branchName(s avro.Schema) string {
	if n, ok := s.(avro.NamedSchema); ok {
		return pascal(n.Name())
	}
	if ls, ok := s.(avro.LogicalTypeSchema); ok && ls.Logical() != nil {
		return pascal(string(ls.Logical().Type()))
	}
	return pascal(string(s.Type()))
}

// resolutionName is the name hamba/avro resolves a union branch by.
func resolutionName(s avro.Schema) string {
	name := typeName(s)
	switch t := s.(type) {
	case *avro.ArraySchema:
		name += ":" + typeName(t.Items())
	case *avro.MapSchema:
		name += ":" + typeName(t.Values())
	}
	return name
}

func typeName(s avro.Schema) string {
	if ref, ok := s.(*avro.RefSchema); ok {
		s = ref.Schema()
	}
	if n, ok := s.(avro.NamedSchema); ok {
		return n.FullName()
	}
	name := string(s.Type())
	if ls, ok := s.(avro.LogicalTypeSchema); ok && ls.Logical() != nil {
		name += "." + string(ls.Logical().Type())
	}
	return name
}

// zeroValue is the value registered with hamba for a union branch: the branch's Go type.
func zeroValue(s avro.Schema, typ jen.Code) jen.Code {
	if isPointerType(s) {
		return jen.Parens(jen.Add(typ)).Parens(jen.Nil())
	}
	switch s.(type) {
	case *avro.ArraySchema, *avro.MapSchema:
		return jen.Add(typ).Parens(jen.Nil())
	case *avro.EnumSchema:
		return jen.Add(typ).Parens(jen.Lit(""))
	}
	if p, ok := s.(*avro.PrimitiveSchema); ok && p.Logical() == nil {
		switch p.Type() {
		case avro.Bytes:
			return jen.Index().Byte().Parens(jen.Nil())
		case avro.Boolean:
			return jen.False()
		case avro.String:
			return jen.Lit("")
		}
		return jen.Add(typ).Parens(jen.Lit(0))
	}
	return jen.Add(typ).Values()
}
