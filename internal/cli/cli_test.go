package cli

import (
	"bytes"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, ExitOK, "esgen " + Version, ""},
		{"help", []string{"help"}, ExitOK, "Available Commands", ""},
		{"root --help", []string{"--help"}, ExitOK, "generate", ""},
		{"version --help", []string{"version", "--help"}, ExitOK, "Print the esgen version", ""},
		{"generate --help", []string{"generate", "--help"}, ExitOK, "--check", ""},
		{"init --help", []string{"init", "--help"}, ExitOK, "--force", ""},
		{"check --help", []string{"check", "--help"}, ExitOK, "--against", ""},
		{"push --help", []string{"push", "--help"}, ExitOK, "--dry-run", ""},
		{"pull --help", []string{"pull", "--help"}, ExitOK, "never overwritten", ""},
		{"help compat", []string{"help", "compat"}, ExitOK, "BACKWARD asks whether", ""},
		{"unknown flag", []string{"version", "--nope"}, ExitUsage, "", "unknown flag"},
		{"extra args", []string{"version", "x"}, ExitUsage, "", "takes no arguments"},
		{"unknown command", []string{"frobnicate"}, ExitUsage, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errs := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
				t.Fatalf("code %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
		})
	}
}
