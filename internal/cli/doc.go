// Package cli implements the esgen command line. [Run] is the whole program;
// cmd/esgen only calls it, so tests drive the CLI in-process.
//
// Conventions every command follows (see cli.go and project.go):
//
//   - Write reports with cmd.OutOrStdout() and never print errors yourself:
//     return them. Run prints a returned error to stderr as "esgen: <msg>".
//   - Return findings(err) when the command ran and found problems (exit 1,
//     [ExitFindings]); the report belongs on stdout before returning, and err
//     may be nil when there is nothing to add on stderr.
//   - Return usageErrorf(...) or any other error when the command could not
//     run (exit 2, [ExitUsage]).
//   - loadProject(configPath) loads and validates esgen.yaml and its
//     contracts, returning exit-2 errors.
package cli
