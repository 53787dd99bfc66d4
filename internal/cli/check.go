package cli

import (
	"fmt"
	"io"

	"github.com/esgen/esgen/schema"
	"github.com/spf13/cobra"
)

type checkReport struct {
	OK         bool               `json:"ok"`
	Events     int                `json:"events"`
	Versions   int                `json:"versions"`
	Against    string             `json:"against,omitempty"`
	Registry   string             `json:"registry,omitempty"`
	Findings   []schema.Finding   `json:"findings"`
	Violations []schema.Violation `json:"violations"`
}

func (a *app) newCheckCmd() *cobra.Command {
	var (
		config, against, format string
		useRegistry             bool
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the contracts: validity, immutability and compatibility",
		Long: `check loads every contract under the contracts folder of esgen.yaml and checks:

  - every schema is valid (all problems are listed with file and JSON path);
  - each event's versions, in order, meet the event's compatibility level;
  - with --against REF, no version published at the git ref REF was edited
    (its canonical form changed) or removed, as buf breaking does;
  - with --registry, every version the registry holds equals the local one,
    and the first unregistered version passes the registry's own check.

Exit status: 0 all good, 1 problems found (report on stdout), 2 usage error,
invalid configuration or invalid contracts (message on stderr).`,
		Example: `  esgen check
  esgen check --against origin/main --format json
  esgen check --registry`,
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
			rep := checkReport{Findings: schema.CheckSet(set, cfg), Violations: []schema.Violation{}}
			if rep.Findings == nil {
				rep.Findings = []schema.Finding{}
			}
			rep.Events = len(set.Events)
			for _, e := range set.Events {
				rep.Versions += len(e.Versions)
			}
			ctx := cmd.Context()
			if against != "" {
				published, err := schema.LoadGitRef(ctx, cfg.ContractsDir(), against)
				if err != nil {
					return usageErrorf("--against %s: %v", against, err)
				}
				rep.Against = against
				rep.Violations = append(rep.Violations, schema.CheckImmutable(published, set, against)...)
			}
			if useRegistry {
				reg, err := a.openRegistry(cfg)
				if err != nil {
					return err
				}
				vs, fs, err := schema.RegistryCheck(ctx, reg, set, cfg)
				if err != nil {
					return err
				}
				rep.Registry = reg.URL()
				rep.Violations = append(rep.Violations, vs...)
				rep.Findings = append(rep.Findings, fs...)
			}
			rep.OK = len(rep.Findings) == 0 && len(rep.Violations) == 0
			out := cmd.OutOrStdout()
			if f == "json" {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				writeCheckText(out, rep, cfg)
			}
			if !rep.OK {
				return findings(nil)
			}
			return nil
		},
	}
	addConfigFlag(cmd, &config)
	cmd.Flags().StringVar(&against, "against", "", "also compare with the contracts at this git ref (e.g. origin/main)")
	cmd.Flags().BoolVar(&useRegistry, "registry", false, "also compare with the registry configured in esgen.yaml")
	addFormatFlag(cmd, &format)
	return cmd
}

func writeCheckText(w io.Writer, rep checkReport, cfg *schema.Config) {
	for _, v := range rep.Violations {
		fmt.Fprintf(w, "%s: %s [%s]\n", v.File, v.Message, v.Kind)
	}
	for _, f := range rep.Findings {
		level := cfg.LevelFor(f.Event)
		fmt.Fprintf(w, "%s at %s: %s\n", f.Event, level, f.String()[len(f.Event)+1:])
	}
	scope := plural(rep.Events, "event", "events") + ", " + plural(rep.Versions, "version", "versions")
	if rep.Against != "" {
		scope += ", compared with " + rep.Against
	}
	if rep.Registry != "" {
		scope += ", compared with registry " + rep.Registry
	}
	if rep.OK {
		fmt.Fprintf(w, "ok: %s\n", scope)
		return
	}
	fmt.Fprintf(w, "FAIL: %s, %s (%s)\n", plural(len(rep.Findings), "incompatibility", "incompatibilities"), plural(len(rep.Violations), "changed published version", "changed published versions"), scope)
}
