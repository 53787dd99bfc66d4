package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func newGenerateCmd() *cobra.Command {
	var (
		config string
		check  bool
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate Go code from the contracts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = config
			_ = check
			return errors.New("generate: not implemented")
		},
	}
	cmd.Flags().StringVar(&config, "config", "esgen.yaml", "path of the project file")
	cmd.Flags().BoolVar(&check, "check", false, "fail (exit 1) when generated files are stale instead of writing them")
	return cmd
}
