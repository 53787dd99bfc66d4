package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/esgen/esgen/codegen"
	"github.com/esgen/esgen/schema"
)

func newGenerateCmd() *cobra.Command {
	var (
		config string
		check  bool
		diff   bool
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate Go code from the contracts",
		Long: `generate reads esgen.yaml and the contracts it names and writes one Go package into
generate.output: typed events, a codec, and the glue of every aggregate and projection.
Files it wrote before that it no longer writes are removed; files without the esgen
header are never touched.

With --check it writes nothing, lists stale, missing and extra files and exits 1 when
there are any: the CI guard against forgotten regeneration. --diff adds a line diff of
every stale file.

In a Go package: //go:generate go run github.com/esgen/esgen/cmd/esgen generate`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd, config, check, diff)
		},
	}
	addConfigFlag(cmd, &config)
	cmd.Flags().BoolVar(&check, "check", false, "fail (exit 1) when generated files are stale instead of writing them")
	cmd.Flags().BoolVar(&diff, "diff", false, "with --check, print a line diff of each stale file")
	return cmd
}

func runGenerate(cmd *cobra.Command, config string, check, diff bool) error {
	if diff && !check {
		return usageErrorf("--diff only works with --check")
	}
	cfg, err := schema.LoadConfig(config)
	if err != nil {
		return err
	}
	if cfg.Generate.Output == "" {
		return &schema.ConfigError{File: cfg.Path, Field: "generate.output", Message: "is required: the folder (relative to esgen.yaml) the generated package is written to, e.g. \"internal/events\""}
	}
	set, err := schema.LoadDir(cfg.ContractsDir())
	if err != nil {
		return err
	}
	files, err := codegen.Generate(cfg, set)
	if err != nil {
		return err
	}
	out := cfg.Generate.Output
	if !filepath.IsAbs(out) {
		out = filepath.Join(filepath.Dir(cfg.Path), out)
	}
	changes, err := codegen.Plan(out, files)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if check {
		for _, c := range changes {
			fmt.Fprintf(w, "%s: %s\n", c.Kind, filepath.ToSlash(c.Path))
			if diff && c.Kind == codegen.Stale {
				cur, err := os.ReadFile(c.Path)
				if err != nil {
					return err
				}
				fmt.Fprint(w, codegen.Diff(string(cur), string(c.File.Content)))
			}
		}
		if len(changes) > 0 {
			return findings(fmt.Errorf("generated code in %s is out of date (%d file(s)); run esgen generate and commit the result", filepath.ToSlash(out), len(changes)))
		}
		return nil
	}
	if err := codegen.Apply(out, changes); err != nil {
		return err
	}
	for _, c := range changes {
		verb := "wrote"
		if c.Kind == codegen.Extra {
			verb = "removed"
		}
		fmt.Fprintf(w, "%s %s\n", verb, filepath.ToSlash(c.Path))
	}
	return nil
}
