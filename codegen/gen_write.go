package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/hamba/avro/v2"
)

// Encoders without reflection.
//
// For records whose every field has a simple type (primitives, records, enums, fixed,
// arrays, maps, ["null", T], dates, timestamps, times of day, uuids) the generator writes
// an appendAvro method that appends the latest schema's encoding to a byte slice,
// producing the bytes hamba/avro's reflection-based encoder produces, and a readAvro
// method (gen_read.go) for payloads of the latest version. Events built from other types
// (decimals, durations, local timestamps, sealed unions) keep hamba/avro's encoder and
// decoder.

// simpleRecords returns the records that get an appendAvro method: the greatest set of
// records whose fields are all simple, given the set itself (recursive records qualify).
func (m *model) simpleRecords() map[string]bool {
	simple := map[string]bool{}
	for full, n := range m.named {
		if _, ok := n.schema.(*avro.RecordSchema); ok {
			simple[full] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for full := range simple {
			rec := m.named[full].schema.(*avro.RecordSchema)
			for _, f := range rec.Fields() {
				if !isSimple(f.Type(), simple) {
					delete(simple, full)
					changed = true
					break
				}
			}
		}
	}
	return simple
}

func isSimple(s avro.Schema, records map[string]bool) bool {
	s = derefSchema(s)
	if ls, ok := s.(avro.LogicalTypeSchema); ok && ls.Logical() != nil {
		return simpleLogical(s) != ""
	}
	switch t := s.(type) {
	case *avro.PrimitiveSchema:
		return t.Type() != avro.Null
	case *avro.RecordSchema:
		return records[t.FullName()]
	case *avro.EnumSchema, *avro.FixedSchema:
		return true
	case *avro.ArraySchema:
		return isSimple(t.Items(), records)
	case *avro.MapSchema:
		return isSimple(t.Values(), records)
	case *avro.UnionSchema:
		if !t.Nullable() {
			return false
		}
		_, typeIdx := t.Indices()
		return isSimple(t.Types()[typeIdx], records)
	}
	return false
}

// simpleLogical names the avrocodec helper appending a logical type, or "" when the
// type is left to hamba/avro.
func simpleLogical(s avro.Schema) string {
	ls, ok := s.(avro.LogicalTypeSchema)
	if !ok || ls.Logical() == nil {
		return ""
	}
	switch lt := ls.Logical().Type(); {
	case lt == avro.Date && s.Type() == avro.Int:
		return "AppendDate"
	case lt == avro.TimestampMillis && s.Type() == avro.Long:
		return "AppendTimestampMillis"
	case lt == avro.TimestampMicros && s.Type() == avro.Long:
		return "AppendTimestampMicros"
	case lt == avro.TimeMillis && s.Type() == avro.Int:
		return "AppendTimeMillis"
	case lt == avro.TimeMicros && s.Type() == avro.Long:
		return "AppendTimeMicros"
	case lt == avro.UUID && s.Type() == avro.String:
		return "AppendUUID"
	}
	return ""
}

func derefSchema(s avro.Schema) avro.Schema {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

// writersFile writes the appendAvro methods of the simple records and the avroIndex
// methods of the enums.
func (g *generator) writersFile(simple map[string]bool) (*jen.File, error) {
	f := g.newFile()
	empty := true
	for _, n := range g.sortedNamed() {
		if _, isEnum := n.schema.(*avro.EnumSchema); isEnum || simple[n.full] {
			empty = false
		}
	}
	if empty {
		return nil, nil // nothing to encode by hand: no file
	}
	for _, n := range g.sortedNamed() {
		switch s := n.schema.(type) {
		case *avro.EnumSchema:
			cmf(f, "avroIndex returns the position of e among the symbols of %s, or -1.", n.full)
			f.Func().Params(jen.Id("e").Id(n.goName)).Id("avroIndex").Params().Int32().Block(
				jen.Switch(jen.Id("e")).BlockFunc(func(sw *jen.Group) {
					for i, sym := range s.Symbols() {
						sw.Case(jen.Id(n.goName + pascal(sym))).Block(jen.Return(jen.Lit(i)))
					}
				}),
				jen.Return(jen.Lit(-1)),
			)
			f.Line()
			g.readEnum(f, n, s)
		case *avro.RecordSchema:
			if !simple[n.full] {
				continue
			}
			var body []jen.Code
			uses := false
			for _, fl := range n.fields {
				code, err := g.appendValue(fl.avro.Type(), jen.Id("x").Dot(fl.goName), 0, &uses)
				if err != nil {
					return nil, fmt.Errorf("field %s of %s: %w", fl.avro.Name(), n.full, err)
				}
				body = append(body, code...)
			}
			body = withErr(body, uses)
			cmf(f, "appendAvro appends the encoding of x with the schema of %s to b.", n.full)
			f.Func().Params(jen.Id("x").Op("*").Id(n.goName)).Id("appendAvro").Params(jen.Id("b").Index().Byte()).
				Params(jen.Index().Byte(), jen.Error()).Block(body...)
			f.Line()
			if err := g.readRecord(f, n); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// appendValue returns the statements appending the value v of schema s to b, returning
// early on error; depth numbers the variables of nested closures.
func (g *generator) appendValue(s avro.Schema, v *jen.Statement, depth int, usesErr *bool) ([]jen.Code, error) {
	s = derefSchema(s)
	b := jen.Id("b")
	call := func(helper string, arg jen.Code) []jen.Code {
		return []jen.Code{jen.Id("b").Op("=").Qual(pathAvrocodec, helper).Call(b, arg)}
	}
	// try calls an appender that can fail.
	try := func(expr jen.Code) jen.Code {
		*usesErr = true
		return jen.If(jen.List(jen.Id("b"), jen.Err()).Op("=").Add(expr), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Id("b"), jen.Err()))
	}
	if helper := simpleLogical(s); helper != "" {
		arg := jen.Add(v)
		if helper == "AppendUUID" {
			arg = jen.Index(jen.Lit(16)).Byte().Parens(v)
		}
		return call(helper, arg), nil
	}
	switch t := s.(type) {
	case *avro.PrimitiveSchema:
		helper := map[avro.Type]string{avro.Boolean: "AppendBool", avro.Int: "AppendInt", avro.Long: "AppendLong",
			avro.Float: "AppendFloat", avro.Double: "AppendDouble", avro.Bytes: "AppendBytes", avro.String: "AppendString"}[t.Type()]
		if helper == "" {
			return nil, fmt.Errorf("no encoder for %s", t.Type())
		}
		return call(helper, v), nil
	case *avro.RecordSchema:
		return []jen.Code{try(jen.Add(v).Dot("appendAvro").Call(b))}, nil
	case *avro.EnumSchema:
		i := jen.Id(fmt.Sprintf("i%d", depth))
		return []jen.Code{jen.If(jen.Add(i).Op(":=").Add(v).Dot("avroIndex").Call(), jen.Add(i).Op("<").Lit(0)).Block(
			jen.Return(jen.Id("b"), jen.Qual(pathAvrocodec, "EnumError").Call(jen.Lit(t.FullName()), jen.String().Parens(v))),
		).Else().Block(
			jen.Id("b").Op("=").Qual(pathAvrocodec, "AppendInt").Call(b, i),
		)}, nil
	case *avro.FixedSchema:
		return []jen.Code{jen.Id("b").Op("=").Append(b, jen.Add(v).Index(jen.Op(":")).Op("..."))}, nil
	case *avro.ArraySchema:
		i := jen.Id(fmt.Sprintf("i%d", depth))
		inner := false
		item, err := g.appendValue(t.Items(), jen.Add(v).Index(i), depth+1, &inner)
		if err != nil {
			return nil, err
		}
		item = withErr(item, inner)
		return []jen.Code{try(jen.Qual(pathAvrocodec, "AppendArray").Call(b, jen.Len(v),
			jen.Func().Params(jen.Id("b").Index().Byte(), jen.Add(i).Int()).Params(jen.Index().Byte(), jen.Error()).Block(item...)))}, nil
	case *avro.MapSchema:
		item := jen.Id(fmt.Sprintf("v%d", depth))
		inner := false
		code, err := g.appendValue(t.Values(), item, depth+1, &inner)
		if err != nil {
			return nil, err
		}
		code = withErr(code, inner)
		typ, err := g.m.goType(t.Values(), "", "")
		if err != nil {
			return nil, err
		}
		return []jen.Code{try(jen.Qual(pathAvrocodec, "AppendMap").Call(b, v,
			jen.Func().Params(jen.Id("b").Index().Byte(), jen.Add(item).Add(typ)).Params(jen.Index().Byte(), jen.Error()).Block(code...)))}, nil
	case *avro.UnionSchema:
		nullIdx, typeIdx := t.Indices()
		inner := t.Types()[typeIdx]
		// Methods and slicing work on the pointer itself; conversions and calls need *v.
		var deref *jen.Statement
		switch derefSchema(inner).(type) {
		case *avro.RecordSchema, *avro.FixedSchema:
			deref = jen.Add(v)
		case *avro.EnumSchema:
			deref = jen.Parens(jen.Op("*").Add(v))
		default:
			deref = jen.Op("*").Add(v)
		}
		if isPointerType(inner) {
			deref = jen.Add(v)
		}
		code, err := g.appendValue(inner, deref, depth, usesErr)
		if err != nil {
			return nil, err
		}
		return []jen.Code{jen.If(jen.Add(v).Op("==").Nil()).Block(
			jen.Id("b").Op("=").Qual(pathAvrocodec, "AppendInt").Call(b, jen.Lit(nullIdx)),
		).Else().Block(append([]jen.Code{jen.Id("b").Op("=").Qual(pathAvrocodec, "AppendInt").Call(b, jen.Lit(typeIdx))}, code...)...)}, nil
	}
	return nil, fmt.Errorf("no encoder for %s", s.Type())
}

// withErr declares err at the top of a function body that uses it and returns b, nil at
// its end.
func withErr(body []jen.Code, usesErr bool) []jen.Code {
	if usesErr {
		body = append([]jen.Code{jen.Var().Err().Error()}, body...)
	}
	return append(body, jen.Return(jen.Id("b"), jen.Nil()))
}
