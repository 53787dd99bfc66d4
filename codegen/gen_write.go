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
// a writeAvro method that encodes the latest schema directly with hamba/avro's Writer,
// producing the bytes hamba/avro's reflection-based encoder produces. Events built from
// other types (decimals, durations, local timestamps, sealed unions) keep hamba/avro's
// encoder.

// simpleRecords returns the records that get a writeAvro method: the greatest set of
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

// simpleLogical names the avrocodec helper writing a logical type, or "" when the type
// is left to hamba/avro.
func simpleLogical(s avro.Schema) string {
	ls, ok := s.(avro.LogicalTypeSchema)
	if !ok || ls.Logical() == nil {
		return ""
	}
	switch lt := ls.Logical().Type(); {
	case lt == avro.Date && s.Type() == avro.Int:
		return "WriteDate"
	case lt == avro.TimestampMillis && s.Type() == avro.Long:
		return "WriteTimestampMillis"
	case lt == avro.TimestampMicros && s.Type() == avro.Long:
		return "WriteTimestampMicros"
	case lt == avro.TimeMillis && s.Type() == avro.Int:
		return "WriteTimeMillis"
	case lt == avro.TimeMicros && s.Type() == avro.Long:
		return "WriteTimeMicros"
	case lt == avro.UUID && s.Type() == avro.String:
		return "WriteUUID"
	}
	return ""
}

func derefSchema(s avro.Schema) avro.Schema {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

// writersFile writes the writeAvro methods of the simple records and the avroIndex
// methods of the enums.
func (g *generator) writersFile(simple map[string]bool) (*jen.File, error) {
	f := g.newFile()
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
		case *avro.RecordSchema:
			if !simple[n.full] {
				continue
			}
			var body []jen.Code
			for _, fl := range n.fields {
				code, err := g.writeValue(fl.avro.Type(), jen.Id("x").Dot(fl.goName), 0)
				if err != nil {
					return nil, fmt.Errorf("field %s of %s: %w", fl.avro.Name(), n.full, err)
				}
				body = append(body, code...)
			}
			cmf(f, "writeAvro encodes x with the schema of %s.", n.full)
			f.Func().Params(jen.Id("x").Op("*").Id(n.goName)).Id("writeAvro").Params(jen.Id("w").Op("*").Qual(pathAvro, "Writer")).Block(body...)
			f.Line()
		}
	}
	return f, nil
}

// writeValue returns the statements writing the value v of schema s; depth numbers the
// variables of nested closures.
func (g *generator) writeValue(s avro.Schema, v *jen.Statement, depth int) ([]jen.Code, error) {
	s = derefSchema(s)
	w := jen.Id("w")
	if helper := simpleLogical(s); helper != "" {
		arg := jen.Add(v)
		if helper == "WriteUUID" {
			arg = jen.Index(jen.Lit(16)).Byte().Parens(v)
		}
		return []jen.Code{jen.Qual(pathAvrocodec, helper).Call(w, arg)}, nil
	}
	switch t := s.(type) {
	case *avro.PrimitiveSchema:
		method := map[avro.Type]string{avro.Boolean: "WriteBool", avro.Int: "WriteInt", avro.Long: "WriteLong",
			avro.Float: "WriteFloat", avro.Double: "WriteDouble", avro.Bytes: "WriteBytes", avro.String: "WriteString"}[t.Type()]
		if method == "" {
			return nil, fmt.Errorf("no writer for %s", t.Type())
		}
		return []jen.Code{jen.Id("w").Dot(method).Call(v)}, nil
	case *avro.RecordSchema:
		return []jen.Code{jen.Add(v).Dot("writeAvro").Call(w)}, nil
	case *avro.EnumSchema:
		i := jen.Id(fmt.Sprintf("i%d", depth))
		return []jen.Code{jen.If(jen.Add(i).Op(":=").Add(v).Dot("avroIndex").Call(), jen.Add(i).Op(">=").Lit(0)).Block(
			jen.Id("w").Dot("WriteInt").Call(i),
		).Else().Block(
			jen.Qual(pathAvrocodec, "EnumError").Call(w, jen.Lit(t.FullName()), jen.String().Parens(v)),
		)}, nil
	case *avro.FixedSchema:
		return []jen.Code{jen.List(jen.Id("_"), jen.Id("_")).Op("=").Id("w").Dot("Write").Call(jen.Add(v).Index(jen.Op(":")))}, nil
	case *avro.ArraySchema:
		i := jen.Id(fmt.Sprintf("i%d", depth))
		item, err := g.writeValue(t.Items(), jen.Add(v).Index(i), depth+1)
		if err != nil {
			return nil, err
		}
		return []jen.Code{jen.Qual(pathAvrocodec, "WriteArray").Call(w, jen.Len(v),
			jen.Func().Params(jen.Id("w").Op("*").Qual(pathAvro, "Writer"), jen.Add(i).Int()).Block(item...))}, nil
	case *avro.MapSchema:
		item := jen.Id(fmt.Sprintf("v%d", depth))
		code, err := g.writeValue(t.Values(), item, depth+1)
		if err != nil {
			return nil, err
		}
		typ, err := g.m.goType(t.Values(), "", "")
		if err != nil {
			return nil, err
		}
		return []jen.Code{jen.Qual(pathAvrocodec, "WriteMap").Call(w, v,
			jen.Func().Params(jen.Id("w").Op("*").Qual(pathAvro, "Writer"), jen.Add(item).Add(typ)).Block(code...))}, nil
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
		code, err := g.writeValue(inner, deref, depth)
		if err != nil {
			return nil, err
		}
		return []jen.Code{jen.If(jen.Add(v).Op("==").Nil()).Block(
			jen.Id("w").Dot("WriteInt").Call(jen.Lit(nullIdx)),
		).Else().Block(append([]jen.Code{jen.Id("w").Dot("WriteInt").Call(jen.Lit(typeIdx))}, code...)...)}, nil
	}
	return nil, fmt.Errorf("no writer for %s", s.Type())
}
