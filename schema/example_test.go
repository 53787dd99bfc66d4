package schema_test

import (
	"fmt"

	"github.com/esgen/esgen/schema"
	"github.com/hamba/avro/v2"
)

func ExampleCheckLevel() {
	v1 := avro.MustParse(`{"type":"record","name":"OrderPlaced","namespace":"orders","fields":[
		{"name":"id","type":"string"},{"name":"qty","type":"int"}]}`)
	v2 := avro.MustParse(`{"type":"record","name":"OrderPlaced","namespace":"orders","fields":[
		{"name":"id","type":"string"},{"name":"qty","type":"long"},
		{"name":"channel","type":"string"}]}`)

	for _, f := range schema.CheckLevel(schema.LevelBackwardTransitive, []avro.Schema{v1}, v2) {
		fmt.Println(f.Path, f.Rule)
	}
	fmt.Println(len(schema.CheckLevel(schema.LevelForward, []avro.Schema{v1}, v2)), "forward problem(s)")
	// Output:
	// OrderPlaced.channel READER_FIELD_MISSING_DEFAULT
	// 1 forward problem(s)
}

func ExampleLoadDir() {
	set, err := schema.LoadDir("testdata/contracts/ok")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range set.Events {
		latest := ev.Latest()
		fmt.Printf("%s v%d %016x\n", ev.Name, latest.Number, latest.Fingerprint)
	}
	// Output:
	// orders.OrderCreated v2 6e88f92b1f08e474
	// orders.OrderShipped v1 b484ee92697e4e07
}
