package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/hamba/avro/v2"
)

// Decoders without reflection, for payloads of the latest version of events built from
// simple types (see gen_write.go). They decode as hamba/avro's decoder does; payloads of
// older versions still go through hamba/avro's schema resolution.

// loc is where a decoded value goes: an addressable expression, or (ptr) a pointer to it.
type loc struct {
	expr *jen.Statement
	ptr  bool
}

// set assigns val to the location.
func (l loc) set(val jen.Code) jen.Code {
	if l.ptr {
		return jen.Op("*").Add(l.expr).Op("=").Add(val)
	}
	return jen.Add(l.expr).Op("=").Add(val)
}

// operand is the location as the operand of a method call or a slice expression, which
// Go takes on both a variable and a pointer to it.
func (l loc) operand() *jen.Statement { return jen.Add(l.expr) }

// readInto returns the statements decoding a value of schema s into l; depth numbers the
// variables of nested closures.
func (g *generator) readInto(s avro.Schema, l loc, depth int) ([]jen.Code, error) {
	s = derefSchema(s)
	r := jen.Id("d").Dot("R")
	if ls, ok := s.(avro.LogicalTypeSchema); ok && ls.Logical() != nil {
		switch helper := simpleLogical(s); helper {
		case "":
			return nil, fmt.Errorf("no decoder for logical type %s", ls.Logical().Type())
		case "AppendUUID":
			return []jen.Code{jen.Qual(pathAvrocodec, "TextError").Call(jen.Id("d").Dot("R"),
				l.operand().Dot("UnmarshalText").Call(jen.Id("d").Dot("R").Dot("ReadBytes").Call()))}, nil
		default:
			return []jen.Code{l.set(jen.Qual(pathAvrocodec, "Read"+helper[len("Append"):]).Call(r))}, nil
		}
	}
	switch t := s.(type) {
	case *avro.PrimitiveSchema:
		method := map[avro.Type]string{avro.Boolean: "ReadBool", avro.Int: "ReadInt", avro.Long: "ReadLong",
			avro.Float: "ReadFloat", avro.Double: "ReadDouble", avro.Bytes: "ReadBytes", avro.String: "ReadString"}[t.Type()]
		if method == "" {
			return nil, fmt.Errorf("no decoder for %s", t.Type())
		}
		return []jen.Code{l.set(jen.Id("d").Dot("R").Dot(method).Call())}, nil
	case *avro.RecordSchema:
		return []jen.Code{l.operand().Dot("readAvro").Call(jen.Id("d"))}, nil
	case *avro.EnumSchema:
		return []jen.Code{l.operand().Dot("readAvro").Call(jen.Id("d").Dot("R"))}, nil
	case *avro.FixedSchema:
		return []jen.Code{jen.Id("d").Dot("R").Dot("Read").Call(l.operand().Index(jen.Op(":")))}, nil
	case *avro.ArraySchema, *avro.MapSchema:
		var inner avro.Schema
		helper := "ReadArray"
		if a, ok := t.(*avro.ArraySchema); ok {
			inner = a.Items()
		} else {
			inner = t.(*avro.MapSchema).Values()
			helper = "ReadMap"
		}
		v := jen.Id(fmt.Sprintf("v%d", depth))
		body, err := g.readInto(inner, loc{expr: v, ptr: true}, depth+1)
		if err != nil {
			return nil, err
		}
		typ, err := g.m.goType(inner, "", "")
		if err != nil {
			return nil, err
		}
		return []jen.Code{l.set(jen.Qual(pathAvrocodec, helper).Call(jen.Id("d"),
			jen.Func().Params(jen.Id("d").Op("*").Qual(pathAvrocodec, "Decoder"), jen.Add(v).Op("*").Add(typ)).Block(body...)))}, nil
	case *avro.UnionSchema:
		nullIdx, typeIdx := t.Indices()
		inner := t.Types()[typeIdx]
		typ, err := g.m.goType(inner, "", "")
		if err != nil {
			return nil, err
		}
		// The pointer field itself, as a value: a pointer to the decoded value.
		field := l.operand()
		if l.ptr {
			field = jen.Parens(jen.Op("*").Add(l.expr))
		}
		body, err := g.readInto(inner, loc{expr: field, ptr: true}, depth)
		if err != nil {
			return nil, err
		}
		return []jen.Code{jen.Switch(jen.Qual(pathAvrocodec, "ReadUnionIndex").Call(jen.Id("d").Dot("R"), jen.Lit(2))).Block(
			jen.Case(jen.Lit(typeIdx)).Block(append([]jen.Code{l.set(jen.New(typ))}, body...)...),
			jen.Case(jen.Lit(nullIdx)).Block(l.set(jen.Nil())),
		)}, nil
	}
	return nil, fmt.Errorf("no decoder for %s", s.Type())
}

// readEnum writes the readAvro method of an enum.
func (g *generator) readEnum(f *jen.File, n *named, s *avro.EnumSchema) {
	cmf(f, "readAvro decodes a symbol of %s.", n.full)
	f.Func().Params(jen.Id("e").Op("*").Id(n.goName)).Id("readAvro").Params(jen.Id("r").Op("*").Qual(pathAvro, "Reader")).Block(
		jen.Switch(jen.Id("r").Dot("ReadInt").Call()).BlockFunc(func(sw *jen.Group) {
			for i, sym := range s.Symbols() {
				sw.Case(jen.Lit(i)).Block(jen.Op("*").Id("e").Op("=").Id(n.goName + pascal(sym)))
			}
			sw.Default().Block(jen.Qual(pathAvrocodec, "EnumSymbolError").Call(jen.Id("r")))
		}),
	)
	f.Line()
}

// readRecord writes the readAvro method of a simple record.
func (g *generator) readRecord(f *jen.File, n *named) error {
	var body []jen.Code
	for _, fl := range n.fields {
		code, err := g.readInto(fl.avro.Type(), loc{expr: jen.Id("x").Dot(fl.goName)}, 0)
		if err != nil {
			return fmt.Errorf("field %s of %s: %w", fl.avro.Name(), n.full, err)
		}
		body = append(body, code...)
	}
	cmf(f, "readAvro decodes x with the schema of %s.", n.full)
	f.Func().Params(jen.Id("x").Op("*").Id(n.goName)).Id("readAvro").Params(jen.Id("d").Op("*").Qual(pathAvrocodec, "Decoder")).Block(body...)
	f.Line()
	return nil
}
