package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/esgen/esgen/schema"
	"github.com/hamba/avro/v2"
	"github.com/spf13/cobra"
)

type compatReport struct {
	Level      schema.Level    `json:"level"`
	Compatible bool            `json:"compatible"`
	Files      []string        `json:"files"` // oldest first; files[i] is version i+1
	Findings   []compatFinding `json:"findings"`
}

type compatFinding struct {
	OlderFile string `json:"older_file"`
	NewerFile string `json:"newer_file"`
	schema.Finding
}

func newCompatCmd() *cobra.Command {
	var level, format, types string
	cmd := &cobra.Command{
		Use:   "compat --level LEVEL FILE... NEW",
		Short: "Check whether a new Avro schema is compatible with earlier ones",
		Long: `compat checks any valid Avro schemas (records, enums, unions, arrays, maps,
fixed or primitives). The files before the last are the earlier versions,
oldest first; the last file is the new version.

BACKWARD asks whether a reader using NEW can read data written with the earlier
version; FORWARD whether readers of the earlier version can read data written
with NEW; FULL both. The _TRANSITIVE levels check against every earlier file,
the others against the last earlier file only.

Exit status: 0 compatible, 1 incompatible (report on stdout), 2 usage error or
invalid schema (message on stderr).`,
		Example: `  esgen compat --level BACKWARD v1.avsc v2.avsc
  esgen compat --level FULL_TRANSITIVE --format json v1.avsc v2.avsc v3.avsc
  esgen compat --types contracts/_types contracts/OrderCreated/v1.avsc new.avsc`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("compat needs at least two schema files (earlier versions, then the new one), found %d (see --help)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			lvl, err := schema.ParseLevel(level)
			if err != nil {
				return usageErrorf("--level: %v", err)
			}
			f, err := parseFormat(format)
			if err != nil {
				return err
			}
			schemas := make([]avro.Schema, len(args))
			var problems []string
			parsed := map[string]bool{}
			for i, file := range args {
				if _, err := os.ReadFile(file); err != nil {
					return usageErrorf("cannot read %s: %v; pass existing .avsc files, oldest first, the new version last", file, err)
				}
				s, ps, err := parseSchemaFile(file, types)
				if err != nil {
					problems = append(problems, err.Error())
					continue
				}
				if parsed[file] && len(ps) > 0 {
					continue // the same file named twice: its problems are listed once
				}
				parsed[file] = true
				for _, p := range ps {
					problems = append(problems, p.String())
				}
				schemas[i] = s
			}
			if len(problems) > 0 {
				return usageErrorf("invalid schema:\n  %s", strings.Join(problems, "\n  "))
			}
			found := schema.CheckLevel(lvl, schemas[:len(schemas)-1], schemas[len(schemas)-1])
			rep := compatReport{Level: lvl, Compatible: len(found) == 0, Files: args, Findings: []compatFinding{}}
			for _, fi := range found {
				rep.Findings = append(rep.Findings, compatFinding{OlderFile: args[fi.Older-1], NewerFile: args[fi.Newer-1], Finding: fi})
			}
			out := cmd.OutOrStdout()
			if f == "json" {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				writeCompatText(out, rep)
			}
			if !rep.Compatible {
				return findings(nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&level, "level", string(schema.DefaultLevel), "compatibility level: "+levelNames())
	cmd.Flags().StringVar(&types, "types", "", "folder of shared named types the files refer to (a contracts directory's _types)")
	addFormatFlag(cmd, &format)
	return cmd
}

func levelNames() string {
	var names []string
	for _, l := range schema.Levels() {
		names = append(names, string(l))
	}
	return strings.Join(names, ", ")
}

func writeCompatText(w interface{ Write([]byte) (int, error) }, rep compatReport) {
	newest := rep.Files[len(rep.Files)-1]
	if rep.Compatible {
		fmt.Fprintf(w, "compatible: %s meets %s against %s\n", newest, rep.Level, strings.Join(rep.Files[:len(rep.Files)-1], ", "))
		return
	}
	fmt.Fprintf(w, "incompatible: %s breaks %s (%s)\n", newest, rep.Level, plural(len(rep.Findings), "problem", "problems"))
	for _, f := range rep.Findings {
		reader, writer := f.NewerFile, f.OlderFile
		if f.Direction == schema.Forward {
			reader, writer = f.OlderFile, f.NewerFile
		}
		fmt.Fprintf(w, "  %s cannot read data written with %s\n    at %s: %s [%s]\n", reader, writer, f.Path, f.Message, f.Rule)
	}
}

// parseSchemaFile reads and validates one schema file, with the shared
// types of typesDir when it is not empty.
func parseSchemaFile(file, typesDir string) (avro.Schema, []schema.Problem, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var s avro.Schema
	if typesDir != "" {
		s, err = schema.ParseSchemaWithTypes(file, raw, typesDir)
	} else {
		s, err = schema.ParseSchema(file, raw)
	}
	if err != nil {
		if le, ok := err.(*schema.LoadError); ok {
			return nil, le.Problems, nil
		}
		return nil, nil, err
	}
	return s, nil, nil
}
