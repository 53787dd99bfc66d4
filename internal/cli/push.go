package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/esgen/esgen/schema"
	"github.com/spf13/cobra"
)

type pushReport struct {
	DryRun   bool              `json:"dry_run"`
	Registry string            `json:"registry"`
	Steps    []schema.PushStep `json:"steps"`
	Errors   []string          `json:"errors"`
}

func (a *app) newPushCmd() *cobra.Command {
	var (
		config, format string
		dryRun         bool
	)
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Register every local version the registry does not have yet",
		Long: `push registers, event by event and in version order, every local version the
registry lacks. Each new version is first checked locally at its event's level,
then by the registry's own compatibility check; an incompatible version (and the
later versions of that event) is refused. Re-running push registers only what is
missing, so an interrupted push is finished by running it again.

Exit status: 0 done, 1 a version was refused or the registry disagrees with the
local contracts (report on stdout), 2 usage, configuration or registry failure.`,
		Example: `  esgen push --dry-run
  esgen push`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(format)
			if err != nil {
				return err
			}
			cfg, set, err := loadProject(config)
			if err != nil {
				return err
			}
			reg, err := a.openRegistry(cfg)
			if err != nil {
				return err
			}
			steps, perr := schema.Push(cmd.Context(), reg, set, cfg, dryRun)
			rep := pushReport{DryRun: dryRun, Registry: reg.URL(), Steps: steps, Errors: []string{}}
			if rep.Steps == nil {
				rep.Steps = []schema.PushStep{}
			}
			refused := perr != nil && (errors.Is(perr, schema.ErrIncompatible) || errors.Is(perr, schema.ErrDrift))
			if refused {
				rep.Errors = append(rep.Errors, perr.Error())
			}
			out := cmd.OutOrStdout()
			if f == "json" {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				writePushText(out, rep)
			}
			switch {
			case perr == nil:
				return nil
			case refused && !isRegistryFailure(perr):
				return findings(nil)
			default:
				return perr
			}
		},
	}
	addConfigFlag(cmd, &config)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan without registering anything")
	addFormatFlag(cmd, &format)
	return cmd
}

// isRegistryFailure reports whether err includes a failed registry request
// (as opposed to refusals decided from the contracts).
func isRegistryFailure(err error) bool {
	var re *schema.RegistryError
	return errors.As(err, &re)
}

func writePushText(w io.Writer, rep pushReport) {
	verb := "registered"
	if rep.DryRun {
		verb = "would register"
	}
	n := 0
	for _, s := range rep.Steps {
		switch s.Action {
		case schema.PushPresent:
			fmt.Fprintf(w, "present         %s v%d (subject %s, version %d)\n", s.Event, s.Version, s.Subject, s.RegistryVersion)
		case schema.PushRegister:
			n++
			if s.SetLevel != "" {
				fmt.Fprintf(w, "set level       %s to %s\n", s.Subject, s.SetLevel)
			}
			if rep.DryRun {
				fmt.Fprintf(w, "would register  %s v%d as subject %s\n", s.Event, s.Version, s.Subject)
			} else {
				fmt.Fprintf(w, "registered      %s v%d (subject %s, version %d, id %d)\n", s.Event, s.Version, s.Subject, s.RegistryVersion, s.ID)
			}
		}
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "refused: %s\n", e)
	}
	fmt.Fprintf(w, "%s %s in %s\n", verb, plural(n, "version", "versions"), rep.Registry)
}
