package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// aggregateInfo is an aggregate of esgen.yaml with its events resolved.
type aggregateInfo struct {
	name   string // Go identifier
	prefix string // stream ID before {id}
	suffix string // stream ID after {id}
	stream string
	events []*eventInfo
}

// projectionInfo is a projection of esgen.yaml with its events resolved.
type projectionInfo struct {
	name   string // as configured, the checkpoint key
	goName string
	events []*eventInfo
}

func (g *generator) aggregateFile(a *aggregateInfo) *jen.File {
	f := g.newFile()
	applier, base, root := a.name+"Applier", a.name+"Base", a.name+"Root"
	cmf(f, "%s is implemented by the %s aggregate: one Apply method per event it accepts, so a\nforgotten event is a compile error.", applier, a.name)
	f.Type().Id(applier).InterfaceFunc(func(i *jen.Group) {
		for _, e := range a.events {
			i.Id("Apply" + e.goName).Params(jen.Id("e").Op("*").Id(e.goName))
		}
	})
	f.Line()
	cmf(f, "%s is embedded in the user's %s aggregate struct; it carries the aggregate's ID,\nversion and pending events, and offers typed Record methods.", base, a.name)
	f.Type().Id(base).Struct(jen.Qual(pathAggregate, "Base"))
	for _, e := range a.events {
		f.Line()
		cmf(f, "Record%s applies e to the aggregate and queues it to be saved.", e.goName)
		f.Func().Params(jen.Id("b").Op("*").Id(base)).Id("Record" + e.goName).Params(jen.Id("e").Op("*").Id(e.goName)).Error().Block(
			jen.Return(jen.Id("b").Dot("Record").Call(jen.Id("e"))))
	}
	f.Line()
	cmf(f, "Apply%s dispatches m to the matching Apply method of a; an event %s does not accept is an error.", a.name, a.name)
	f.Func().Id("Apply"+a.name).Params(jen.Id("a").Id(applier), jen.Id("m").Qual(pathEventstore, "Message")).Error().Block(
		jen.Switch(jen.Id("e").Op(":=").Id("m").Assert(jen.Type())).BlockFunc(func(sw *jen.Group) {
			for _, e := range a.events {
				sw.Case(jen.Op("*").Id(e.goName)).Block(jen.Id("a").Dot("Apply" + e.goName).Call(jen.Id("e")))
			}
			sw.Case(jen.Nil()).Block(jen.Return(jen.Qual("errors", "New").Call(jen.Lit(fmt.Sprintf("%s: aggregate %s cannot apply a nil event", g.m.pkg, a.name)))))
			sw.Default().Block(jen.Return(jen.Qual("fmt", "Errorf").Call(
				jen.Lit(fmt.Sprintf("%s: aggregate %s does not accept event %%s (%%T); it accepts %s", g.m.pkg, a.name, eventList(a.events))),
				jen.Id("m").Dot("EventType").Call(), jen.Id("m"))))
		}),
		jen.Return(jen.Nil()),
	)
	f.Line()
	cmf(f, "%sStreamID returns the stream of the %s with the given ID (pattern %q).", a.name, a.name, a.stream)
	f.Func().Id(a.name + "StreamID").Params(jen.Id("id").String()).String().Block(
		jen.Return(streamExpr(a)))
	f.Line()
	cmf(f, "%s is what the user's %s pointer type satisfies.", root, a.name)
	f.Type().Id(root).Interface(jen.Qual(pathAggregate, "Root"), jen.Id(applier))
	f.Line()
	cmf(f, "%sEventTypes lists the event types the %s aggregate accepts.", a.name, a.name)
	f.Func().Id(a.name + "EventTypes").Params().Index().String().Block(
		jen.Return(jen.Index().String().ValuesFunc(func(v *jen.Group) {
			for _, e := range a.events {
				v.Id(e.goName + "Type")
			}
		})))
	f.Line()
	cmf(f, "%sType describes the %s aggregate to an aggregate.Repository; newFn returns a new,\nempty aggregate.", a.name, a.name)
	f.Func().Id(a.name+"Type").Types(jen.Id("T").Id(root)).Params(jen.Id("codec").Op("*").Id("Codec"), jen.Id("newFn").Func().Params().Id("T")).
		Qual(pathAggregate, "Type").Types(jen.Id("T")).Block(
		jen.Return(jen.Qual(pathAggregate, "Type").Types(jen.Id("T")).Values(jen.Dict{
			jen.Id("Name"):     jen.Lit(a.name),
			jen.Id("StreamID"): jen.Id(a.name + "StreamID"),
			jen.Id("New"):      jen.Id("newFn"),
			jen.Id("Apply"): jen.Func().Params(jen.Id("agg").Id("T"), jen.Id("m").Qual(pathEventstore, "Message")).Error().Block(
				jen.Return(jen.Id("Apply"+a.name).Call(jen.Id("agg"), jen.Id("m")))),
			jen.Id("Codec"):      jen.Id("codec"),
			jen.Id("EventTypes"): jen.Id(a.name + "EventTypes").Call(),
		})))
	return f
}

func streamExpr(a *aggregateInfo) jen.Code {
	switch {
	case a.prefix == "" && a.suffix == "":
		return jen.Id("id")
	case a.suffix == "":
		return jen.Lit(a.prefix).Op("+").Id("id")
	case a.prefix == "":
		return jen.Id("id").Op("+").Lit(a.suffix)
	}
	return jen.Lit(a.prefix).Op("+").Id("id").Op("+").Lit(a.suffix)
}

func eventList(evs []*eventInfo) string {
	var names []string
	for _, e := range evs {
		names = append(names, e.ev.Name)
	}
	return strings.Join(names, ", ")
}

func (g *generator) projectionFile(p *projectionInfo) *jen.File {
	f := g.newFile()
	handler, ignore, impl := p.goName+"Handler", p.goName+"Ignore", lowerFirst(p.goName)+"Projection"
	tx := jen.Id("Tx")
	txAny := jen.Id("Tx").Any()
	cmf(f, "%s handles the events of the projection %q, one method per event. Tx is what the\nread model is written through (pgx.Tx, *sql.Tx, ...), the transaction in which the\nprojection's checkpoint also advances. ev is the stored event (ID, position, metadata).", handler, p.name)
	f.Type().Id(handler).Types(txAny).InterfaceFunc(func(i *jen.Group) {
		for _, e := range p.events {
			i.Id("On"+e.goName).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("tx").Add(tx), jen.Id("e").Op("*").Id(e.goName), jen.Id("ev").Op("*").Qual(pathEventstore, "Event")).Error()
		}
	})
	f.Line()
	cmf(f, "%s ignores every event of %s; embed it in a handler and write only the On\nmethods of the events the read model needs.", ignore, handler)
	f.Type().Id(ignore).Types(jen.Id("Tx").Any()).Struct()
	for _, e := range p.events {
		f.Line()
		cmf(f, "On%s ignores the event.", e.goName)
		f.Func().Params(jen.Id(ignore).Types(jen.Id("Tx"))).Id("On"+e.goName).Params(jen.Qual("context", "Context"), jen.Id("Tx"), jen.Op("*").Id(e.goName), jen.Op("*").Qual(pathEventstore, "Event")).Error().Block(
			jen.Return(jen.Nil()))
	}
	f.Line()
	cmf(f, "%sName is the projection's name, the key of its checkpoint.", p.goName)
	f.Const().Id(p.goName + "Name").Op("=").Lit(p.name)
	f.Line()
	cmf(f, "New%sProjection adapts h to projection.Handler: it decodes each event with codec and\ncalls the matching On method (a type switch, no reflection).", p.goName)
	f.Func().Id("New"+p.goName+"Projection").Types(jen.Id("Tx").Any()).Params(jen.Id("codec").Op("*").Id("Codec"), jen.Id("h").Id(handler).Types(jen.Id("Tx"))).
		Qual(pathProjection, "Handler").Types(jen.Id("Tx")).Block(
		jen.Return(jen.Op("&").Id(impl).Types(jen.Id("Tx")).Values(jen.Dict{jen.Id("codec"): jen.Id("codec"), jen.Id("h"): jen.Id("h")})))
	f.Line()
	f.Type().Id(impl).Types(jen.Id("Tx").Any()).Struct(
		jen.Id("codec").Op("*").Id("Codec"),
		jen.Id("h").Id(handler).Types(jen.Id("Tx")),
	)
	recv := func() *jen.Statement { return jen.Params(jen.Id("p").Op("*").Id(impl).Types(jen.Id("Tx"))) }
	f.Line()
	cm(f, "Name implements projection.Handler.")
	f.Func().Add(recv()).Id("Name").Params().String().Block(jen.Return(jen.Id(p.goName + "Name")))
	f.Line()
	cm(f, "EventTypes implements projection.Handler.")
	f.Func().Add(recv()).Id("EventTypes").Params().Index().String().Block(
		jen.Return(jen.Index().String().ValuesFunc(func(v *jen.Group) {
			for _, e := range p.events {
				v.Id(e.goName + "Type")
			}
		})))
	f.Line()
	cm(f, "Handle implements projection.Handler.")
	f.Func().Add(recv()).Id("Handle").Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("tx").Id("Tx"), jen.Id("ev").Op("*").Qual(pathEventstore, "Event")).Error().Block(
		jen.List(jen.Id("m"), jen.Id("err")).Op(":=").Qual(pathEventstore, "Decode").Call(jen.Id("p").Dot("codec"), jen.Id("ev")),
		jen.If(jen.Id("err").Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("projection %s: %%w", p.name)), jen.Id("err")))),
		jen.Switch(jen.Id("e").Op(":=").Id("m").Assert(jen.Type())).BlockFunc(func(sw *jen.Group) {
			for _, e := range p.events {
				sw.Case(jen.Op("*").Id(e.goName)).Block(jen.Return(jen.Id("p").Dot("h").Dot("On"+e.goName).Call(jen.Id("ctx"), jen.Id("tx"), jen.Id("e"), jen.Id("ev"))))
			}
		}),
		jen.Return(jen.Qual("fmt", "Errorf").Call(
			jen.Lit(fmt.Sprintf("projection %s does not handle event %%s; it handles %s", p.name, eventList(p.events))),
			jen.Id("ev").Dot("Type"))),
	)
	return f
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
