package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/esgen/esgen/schema"
	"github.com/spf13/cobra"
)

// loadProject reads esgen.yaml at configPath and the contracts directory it
// names. Failures are usage errors (exit 2): an invalid configuration or
// invalid contracts stop the command before it does anything.
func loadProject(configPath string) (*schema.Config, *schema.Set, error) {
	cfg, err := schema.LoadConfig(configPath)
	if err != nil {
		return nil, nil, &exitError{code: ExitUsage, err: err}
	}
	set, err := schema.LoadDir(cfg.ContractsDir())
	if err != nil {
		return cfg, nil, &exitError{code: ExitUsage, err: err}
	}
	if err := cfg.CheckEvents(set); err != nil {
		return cfg, set, &exitError{code: ExitUsage, err: err}
	}
	return cfg, set, nil
}

// addConfigFlag adds the --config flag every project command takes.
func addConfigFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "config", "c", schema.ConfigFile, "path of the project file")
}

// outputFormat is the value of --format.
type outputFormat string

func addFormatFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "format", "text", "report format: text or json")
}

func parseFormat(s string) (outputFormat, error) {
	switch s {
	case "text", "json":
		return outputFormat(s), nil
	}
	return "", usageErrorf("unknown --format %q: want text or json", s)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// openRegistry connects to the registry esgen.yaml configures.
func (a *app) openRegistry(cfg *schema.Config) (*schema.ConfluentRegistry, error) {
	if cfg.Registry == nil || cfg.Registry.URL == "" {
		return nil, usageErrorf("%s has no registry.url: add a registry section (see esgen init)", cfg.Path)
	}
	reg, err := schema.NewConfluentRegistry(cfg.Registry, a.getenv)
	if err != nil {
		var ce *schema.ConfigError
		if errors.As(err, &ce) && ce.File == "" {
			ce.File = cfg.Path
		}
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return reg, nil
}

// app holds what commands share: how to read the environment.
type app struct {
	getenv func(string) string
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
