package codegen_test

import (
	"fmt"
	"path/filepath"

	"github.com/esgen/esgen/codegen"
	"github.com/esgen/esgen/schema"
)

// Example generates the package of a project and lists its files, as esgen generate
// would write them.
func Example() {
	cfg, err := schema.LoadConfig(filepath.Join("testdata", "shared_event", "esgen.yaml"))
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := schema.LoadDir(cfg.ContractsDir())
	if err != nil {
		fmt.Println(err)
		return
	}
	files, err := codegen.Generate(cfg, set)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f.Name)
	}
	// Output:
	// account_aggregate.go
	// audit_trail_projection.go
	// balances_projection.go
	// codec.go
	// encoders.go
	// events.go
	// ledger_aggregate.go
}
