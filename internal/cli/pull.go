package cli

import (
	"fmt"
	"io"

	"github.com/esgen/esgen/schema"
	"github.com/spf13/cobra"
)

type pullReport struct {
	DryRun bool              `json:"dry_run"`
	Steps  []schema.PullStep `json:"steps"`
}

func (a *app) newPullCmd() *cobra.Command {
	var (
		config, format string
		dryRun         bool
	)
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Write the registry's subjects and versions into the contracts folder",
		Long: `pull writes every version of every subject of the registry that belongs to the
project (by registry.subject_strategy) into the contracts folder as
<Event>/vN.avsc. An existing local file is never overwritten: if it holds the
same schema (canonical form) it is kept, if it differs it is reported and left
alone.

Exit status: 0 done, 1 some local files differ from the registry (report on
stdout), 2 usage, configuration or registry failure.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(format)
			if err != nil {
				return err
			}
			cfg, err := schema.LoadConfig(config)
			if err != nil {
				return err
			}
			reg, err := a.openRegistry(cfg)
			if err != nil {
				return err
			}
			steps, err := schema.Pull(cmd.Context(), reg, cfg.ContractsDir(), cfg, dryRun)
			if err != nil {
				return err
			}
			rep := pullReport{DryRun: dryRun, Steps: steps}
			if rep.Steps == nil {
				rep.Steps = []schema.PullStep{}
			}
			out := cmd.OutOrStdout()
			if f == "json" {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				writePullText(out, rep)
			}
			for _, s := range steps {
				if s.Action == schema.PullConflict {
					return findings(nil)
				}
			}
			return nil
		},
	}
	addConfigFlag(cmd, &config)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be written without writing")
	addFormatFlag(cmd, &format)
	return cmd
}

func writePullText(w io.Writer, rep pullReport) {
	var wrote, same, conflicts int
	for _, s := range rep.Steps {
		switch s.Action {
		case schema.PullWrite:
			wrote++
			verb := "wrote   "
			if rep.DryRun {
				verb = "would write"
			}
			fmt.Fprintf(w, "%s %s (%s version %d)\n", verb, s.File, s.Subject, s.RegistryVersion)
		case schema.PullSame:
			same++
		case schema.PullConflict:
			conflicts++
			fmt.Fprintf(w, "differs  %s: %s\n", s.File, s.Message)
		}
	}
	written := "written"
	if rep.DryRun {
		written = "to write"
	}
	fmt.Fprintf(w, "%s %s, %s unchanged, %s\n", plural(wrote, "file", "files"), written, plural(same, "file", "files"), plural(conflicts, "conflict", "conflicts"))
}
