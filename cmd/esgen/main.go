// Command esgen checks Avro event contracts, syncs them with a schema
// registry and generates event-sourcing code. See docs/cli.md.
package main

import (
	"os"

	"github.com/esgen/esgen/internal/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
