package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/esgen/esgen/codegen"
)

// Exit codes returned by Run.
const (
	// ExitOK means the command did what was asked and found nothing wrong.
	ExitOK = 0
	// ExitFindings means the command ran and found problems (an incompatible
	// schema, a stale generated file); the report is on stdout.
	ExitFindings = 1
	// ExitUsage means the command could not run: bad flags or arguments,
	// invalid schemas or configuration, I/O failures. The message is on stderr.
	ExitUsage = 2
)

// Version is the esgen version printed by `esgen version` and written in
// generated file headers.
const Version = codegen.Version

// exitError carries the exit code Run returns for an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// findings returns an error that makes Run exit with ExitFindings. The
// report belongs on stdout before returning; err (may be nil) is printed
// to stderr as a one-line summary.
func findings(err error) error { return &exitError{code: ExitFindings, err: err} }

// usageErrorf returns an error that makes Run exit with ExitUsage. Every
// other non-nil error returned by a command exits with ExitUsage too.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitUsage
}

// Run executes the esgen command line with args (without the program name)
// and returns the process exit code. It never calls os.Exit, so the whole
// CLI runs in-process in tests.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, stdin, stdout, stderr, os.Getenv)
}

// run is Run with the environment passed in, so tests never touch the
// process environment.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{getenv: getenv}
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintf(stderr, "esgen: %s\n", msg)
		}
	}
	return exitCode(err)
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "esgen",
		Short: "Event sourcing code generator and Avro contract checker",
		Long: `esgen keeps versioned Avro event contracts, checks their compatibility,
syncs them with a schema registry and generates typed Go code from them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErrorf("%v (see --help)", err)
	})
	root.AddCommand(
		newInitCmd(),
		newCompatCmd(),
		a.newCheckCmd(),
		a.newPushCmd(),
		a.newPullCmd(),
		newGenerateCmd(),
		newVersionCmd(),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the esgen version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "esgen %s\n", Version)
			return err
		},
	}
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, found %q (see --help)", cmd.CommandPath(), args)
	}
	return nil
}
