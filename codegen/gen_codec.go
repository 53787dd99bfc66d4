package codegen

import (
	"encoding/json"
	"fmt"

	"github.com/dave/jennifer/jen"
)

// codecFile writes the embedded schemas and the Codec.
func (g *generator) codecFile() (*jen.File, error) {
	f := g.newFile()
	cm(f, "Codec encodes the package's events with their latest schema into Avro single-object\n"+
		"encoding and decodes payloads written with any published version of them. It implements\n"+
		"eventstore.Codec and is safe for concurrent use.")
	f.Type().Id("Codec").Struct(jen.Id("c").Op("*").Qual(pathAvrocodec, "Codec"))
	f.Line()
	cm(f, "NewCodec returns a codec holding every published schema version of every event,\n"+
		"with resolution from each old version to the latest computed once.")
	f.Func().Id("NewCodec").Params().Op("*").Id("Codec").Block(
		jen.Return(jen.Id("NewCodecWithLimits").Call(jen.Qual(pathAvrocodec, "Limits").Values())))
	f.Line()
	cm(f, "NewCodecWithLimits is NewCodec with other bounds on what decoding one payload may\nallocate (zero fields keep the defaults).")
	f.Func().Id("NewCodecWithLimits").Params(jen.Id("limits").Qual(pathAvrocodec, "Limits")).Op("*").Id("Codec").Block(
		jen.Id("cfg").Op(":=").Id("codecConfig").Call(),
		jen.Id("cfg").Dot("Limits").Op("=").Id("limits"),
		jen.Return(jen.Op("&").Id("Codec").Values(jen.Id("c").Op(":").Qual(pathAvrocodec, "New").Call(jen.Id("cfg")))),
	)
	f.Line()
	cm(f, "codecConfig describes the package's events to avrocodec: their versions, constructors\nand generated encoders and decoders.")
	f.Func().Id("codecConfig").Params().Qual(pathAvrocodec, "Config").Block(
		jen.Return(
			jen.Qual(pathAvrocodec, "Config").Values(jen.DictFunc(func(d jen.Dict) {
				d[jen.Id("Events")] = jen.Index().Qual(pathAvrocodec, "Event").ValuesFunc(func(v *jen.Group) {
					for _, ei := range g.m.events {
						d := jen.Dict{
							jen.Id("Type"): jen.Id(ei.goName + "Type"),
							jen.Id("New"): jen.Func().Params().Qual(pathEventstore, "Message").Block(
								jen.Return(jen.New(jen.Id(ei.goName)))),
							jen.Id("Versions"): jen.Index().Qual(pathAvrocodec, "Version").ValuesFunc(func(vv *jen.Group) {
								for _, ver := range ei.ev.Versions {
									vv.Values(jen.Dict{
										jen.Id("Number"):      jen.Lit(ver.Number),
										jen.Id("Fingerprint"): jen.Id(fmt.Sprintf("%#016x", ver.Fingerprint)),
										jen.Id("Schema"):      jen.Id(schemaConst(ei, ver.Number)),
									})
								}
							}),
						}
						if g.simple[ei.ev.Name] {
							d[jen.Id("Append")] = jen.Func().Params(jen.Id("b").Index().Byte(), jen.Id("m").Qual(pathEventstore, "Message")).Params(jen.Index().Byte(), jen.Error()).Block(
								jen.Return(jen.Id("m").Assert(jen.Op("*").Id(ei.goName)).Dot("appendAvro").Call(jen.Id("b"))))
							d[jen.Id("Read")] = jen.Func().Params(jen.Id("d").Op("*").Qual(pathAvrocodec, "Decoder"), jen.Id("m").Qual(pathEventstore, "Message")).Block(
								jen.Id("m").Assert(jen.Op("*").Id(ei.goName)).Dot("readAvro").Call(jen.Id("d")))
						}
						v.Line().Values(d)
					}
					v.Line()
				})
				if len(g.m.regList) > 0 {
					d[jen.Id("Types")] = jen.Index().Qual(pathAvrocodec, "Type").ValuesFunc(func(v *jen.Group) {
						for _, r := range g.m.regList {
							v.Line().Values(jen.Dict{jen.Id("Name"): jen.Lit(r.name), jen.Id("Value"): r.value})
						}
						v.Line()
					})
				}
			})),
		),
	)
	f.Line()
	cm(f, "Err reports why the codec could not be built (a generator or library mismatch), or nil.")
	f.Func().Params(jen.Id("c").Op("*").Id("Codec")).Id("Err").Params().Error().Block(
		jen.Return(jen.Id("c").Dot("c").Dot("Err").Call()))
	f.Line()
	cm(f, "Marshal implements eventstore.Codec: it encodes m with its latest schema and returns the\n"+
		"payload and the writer schema's fingerprint.")
	f.Func().Params(jen.Id("c").Op("*").Id("Codec")).Id("Marshal").Params(jen.Id("m").Qual(pathEventstore, "Message")).
		Params(jen.Index().Byte(), jen.Uint64(), jen.Error()).Block(
		jen.Return(jen.Id("c").Dot("c").Dot("Marshal").Call(jen.Id("m"))))
	f.Line()
	cm(f, "AppendMarshal is Marshal appending to dst; it allocates nothing when dst has room.")
	f.Func().Params(jen.Id("c").Op("*").Id("Codec")).Id("AppendMarshal").Params(jen.Id("dst").Index().Byte(), jen.Id("m").Qual(pathEventstore, "Message")).
		Params(jen.Index().Byte(), jen.Uint64(), jen.Error()).Block(
		jen.Return(jen.Id("c").Dot("c").Dot("AppendMarshal").Call(jen.Id("dst"), jen.Id("m"))))
	f.Line()
	cm(f, "Unmarshal implements eventstore.Codec: it decodes a payload of eventType written with any\n"+
		"published version of its schema into today's struct, returned as a pointer.")
	f.Func().Params(jen.Id("c").Op("*").Id("Codec")).Id("Unmarshal").Params(jen.Id("eventType").String(), jen.Id("data").Index().Byte()).
		Params(jen.Qual(pathEventstore, "Message"), jen.Error()).Block(
		jen.Return(jen.Id("c").Dot("c").Dot("Unmarshal").Call(jen.Id("eventType"), jen.Id("data"))))
	f.Line()
	cm(f, "Every published schema version of every event, as standalone JSON (named types inlined).")
	var err error
	f.Const().DefsFunc(func(d *jen.Group) {
		for _, ei := range g.m.events {
			for _, ver := range ei.ev.Versions {
				b, e := json.Marshal(ver.Schema)
				if e != nil && err == nil {
					err = fmt.Errorf("%s: cannot write schema as JSON: %w", ver.File, e)
				}
				d.Id(schemaConst(ei, ver.Number)).Op("=").Lit(string(b))
			}
		}
	})
	return f, err
}

func schemaConst(ei *eventInfo, n int) string {
	return fmt.Sprintf("schema%sV%d", ei.goName, n)
}
