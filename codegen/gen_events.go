package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/hamba/avro/v2"
)

// eventsFile writes the event structs, event type constants and every named type.
func (g *generator) eventsFile() *jen.File {
	f := g.newFile()
	f.PackageComment(fmt.Sprintf("Package %s holds the typed events, codec, aggregate and projection glue", g.m.pkg))
	f.PackageComment(fmt.Sprintf("that esgen generate writes from the contracts in %s.", g.contractsRel))
	if len(g.m.events) > 0 {
		cm(f, "Event types, as stored in the event store: the Avro full names of the event records.")
		f.Const().DefsFunc(func(d *jen.Group) {
			for _, ei := range g.m.events {
				d.Id(ei.goName + "Type").Op("=").Lit(ei.ev.Name)
			}
		})
		f.Line()
		cm(f, "EventTypes lists every event type of the package, sorted.")
		f.Func().Id("EventTypes").Params().Index().String().Block(
			jen.Return(jen.Index().String().ValuesFunc(func(v *jen.Group) {
				for _, ei := range g.m.events {
					v.Id(ei.goName + "Type")
				}
			})),
		)
	}
	for _, n := range g.sortedNamed() {
		switch s := n.schema.(type) {
		case *avro.RecordSchema:
			g.record(f, n, s)
		case *avro.EnumSchema:
			g.enum(f, n, s)
		case *avro.FixedSchema:
			comment(f, fmt.Sprintf("%s is the Avro fixed %s of %d bytes.", n.goName, n.full, s.Size()), "")
			f.Type().Id(n.goName).Index(jen.Lit(s.Size())).Byte()
		}
	}
	for _, u := range g.m.unions {
		g.union(f, u)
	}
	return f
}

func comment(f *jen.File, first, doc string) {
	text := first
	if doc = strings.TrimSpace(doc); doc != "" {
		text += "\n\n" + doc
	}
	cm(f, text)
}

func (g *generator) record(f *jen.File, n *named, s *avro.RecordSchema) {
	if n.event != nil {
		latest := n.event.ev.Latest()
		comment(f, fmt.Sprintf("%s is the event %s (schema version %d).", n.goName, n.full, latest.Number), s.Doc())
	} else {
		comment(f, fmt.Sprintf("%s is the Avro record %s.", n.goName, n.full), s.Doc())
	}
	f.Type().Id(n.goName).StructFunc(func(st *jen.Group) {
		for _, fl := range n.fields {
			if doc := strings.TrimSpace(fl.avro.Doc()); doc != "" {
				groupComment(st, doc)
			}
			st.Id(fl.goName).Add(fl.typ).Tag(map[string]string{"avro": fl.avro.Name(), "json": fl.avro.Name()})
		}
	})
	if n.event != nil {
		f.Line()
		cm(f, "EventType implements eventstore.Message.")
		f.Func().Params(jen.Op("*").Id(n.goName)).Id("EventType").Params().String().Block(
			jen.Return(jen.Id(n.goName + "Type")),
		)
	}
}

func (g *generator) enum(f *jen.File, n *named, s *avro.EnumSchema) {
	comment(f, fmt.Sprintf("%s is the Avro enum %s.", n.goName, n.full), s.Doc())
	f.Type().Id(n.goName).String()
	f.Line()
	cm(f, fmt.Sprintf("The symbols of %s.", n.goName))
	f.Const().DefsFunc(func(d *jen.Group) {
		for _, sym := range s.Symbols() {
			d.Id(n.goName + pascal(sym)).Id(n.goName).Op("=").Lit(sym)
		}
	})
	f.Line()
	cmf(f, "Valid reports whether e is one of the symbols of %s.", n.goName)
	f.Func().Params(jen.Id("e").Id(n.goName)).Id("Valid").Params().Bool().Block(
		jen.Switch(jen.Id("e")).Block(
			jen.CaseFunc(func(c *jen.Group) {
				for _, sym := range s.Symbols() {
					c.Id(n.goName + pascal(sym))
				}
			}).Block(jen.Return(jen.True())),
		),
		jen.Return(jen.False()),
	)
	f.Line()
	cmf(f, "Parse%s returns the %s symbol s, or an error naming the valid symbols.", n.goName, n.goName)
	f.Func().Id("Parse"+n.goName).Params(jen.Id("s").String()).Params(jen.Id(n.goName), jen.Error()).Block(
		jen.If(jen.Id("e").Op(":=").Id(n.goName).Parens(jen.Id("s")), jen.Id("e").Dot("Valid").Call()).Block(
			jen.Return(jen.Id("e"), jen.Nil()),
		),
		jen.Return(jen.Lit(""), jen.Qual("fmt", "Errorf").Call(
			jen.Lit(fmt.Sprintf("%s: unknown symbol %%q: want one of %s", n.full, strings.Join(s.Symbols(), ", "))),
			jen.Id("s"),
		)),
	)
}

func (g *generator) union(f *jen.File, u *union) {
	iface := u.goName + "Value"
	marker := "is" + u.goName
	var names []string
	for _, b := range u.branches {
		names = append(names, b.goName)
	}
	null := ""
	if u.nullable {
		null = " A nil *" + u.goName + " is the union's null."
	}
	cmf(f, "%s holds a value of the Avro union %s of %s. Value is one of %s.%s", u.goName, unionText(u.schema), u.context, strings.Join(names, ", "), null)
	f.Type().Id(u.goName).Struct(jen.Id("Value").Id(iface))
	f.Line()
	cmf(f, "%s is implemented by the branches of %s only: %s.", iface, u.goName, strings.Join(names, ", "))
	f.Type().Id(iface).Interface(jen.Id(marker).Params())
	for _, b := range u.branches {
		f.Line()
		cmf(f, "%s is the %s branch of %s; convert with %s(v).", b.goName, b.regName, u.goName, b.goName)
		f.Type().Id(b.goName).Add(b.typ)
		f.Line()
		f.Func().Params(jen.Id(b.goName)).Id(marker).Params().Block()
	}
	f.Line()
	cm(f, "ToAny implements avro.UnionConverter (encoding).")
	f.Func().Params(jen.Id("u").Op("*").Id(u.goName)).Id("ToAny").Params().Params(jen.Any(), jen.Error()).Block(
		jen.Switch(jen.Id("v").Op(":=").Id("u").Dot("Value").Assert(jen.Type())).BlockFunc(func(sw *jen.Group) {
			for _, b := range u.branches {
				sw.Case(jen.Id(b.goName)).Block(
					jen.Id("x").Op(":=").Add(conversion(b)).Parens(jen.Id("v")),
					jen.Return(jen.Op("&").Id("x"), jen.Nil()),
				)
			}
			sw.Case(jen.Nil()).Block(
				jen.Return(jen.Nil(), jen.Qual("errors", "New").Call(jen.Lit(fmt.Sprintf("%s has no Value: set one of %s%s", u.goName, strings.Join(names, ", "), nilHint(u))))),
			)
		}),
		jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(u.goName+": unexpected value of type %T"), jen.Id("u").Dot("Value"))),
	)
	f.Line()
	cm(f, "FromAny implements avro.UnionConverter (decoding).")
	f.Func().Params(jen.Id("u").Op("*").Id(u.goName)).Id("FromAny").Params(jen.Id("payload").Any()).Error().Block(
		jen.Switch(jen.Id("v").Op(":=").Id("payload").Assert(jen.Type())).BlockFunc(func(sw *jen.Group) {
			for _, b := range u.branches {
				sw.Case(b.typ).Block(
					jen.Id("u").Dot("Value").Op("=").Id(b.goName).Parens(jen.Id("v")),
					jen.Return(jen.Nil()),
				)
			}
		}),
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(u.goName+": cannot hold a value of type %T"), jen.Id("payload"))),
	)
}

func nilHint(u *union) string {
	if u.nullable {
		return ", or use a nil *" + u.goName + " for null"
	}
	return ""
}

func unionText(s *avro.UnionSchema) string {
	var parts []string
	for _, t := range s.Types() {
		parts = append(parts, typeName(t))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// cm writes text as line comments ("//"), one per line, never as a /* */ block, with
// long prose lines wrapped.
func cm(f *jen.File, text string) {
	for _, line := range wrap(text) {
		f.Comment(line)
	}
}

// commentWidth is where prose in generated comments wraps.
const commentWidth = 90

// wrap splits text into comment lines. Prose paragraphs (separated by blank lines) are
// re-flowed and wrapped at spaces to commentWidth; indented lines (code, lists) are kept as
// they are.
func wrap(text string) []string {
	var out []string
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		cur := ""
		for _, w := range strings.Fields(strings.Join(para, " ")) {
			if cur != "" && len(cur)+1+len(w) > commentWidth {
				out = append(out, cur)
				cur = w
				continue
			}
			if cur != "" {
				cur += " "
			}
			cur += w
		}
		out = append(out, cur)
		para = para[:0]
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t")
		switch {
		case line == "":
			flush()
			out = append(out, "")
		case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
			flush()
			out = append(out, line)
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

func cmf(f *jen.File, format string, args ...any) { cm(f, fmt.Sprintf(format, args...)) }

// groupComment is cm inside a struct or interface.
func groupComment(g *jen.Group, text string) {
	for _, line := range wrap(text) {
		g.Comment(line)
	}
}

// conversion is the type of a conversion to a branch's Go type; pointer types need
// parentheses.
func conversion(b *branch) jen.Code {
	if isPointerType(b.schema) {
		return jen.Parens(b.typ)
	}
	return b.typ
}
