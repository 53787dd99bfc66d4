package codegen_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esgen/esgen/codegen"
	"github.com/esgen/esgen/schema"
)

var update = flag.Bool("update", false, "rewrite the expected output of the golden tests")

// cases lists the folders under testdata, one golden case each.
func cases(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), "_") && e.Name() != "fuzz" {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no golden cases under testdata")
	}
	return out
}

// generate runs the generator on a project file as esgen generate does.
func generate(t *testing.T, config string) (*schema.Config, []codegen.File) {
	t.Helper()
	cfg, err := schema.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.LoadDir(cfg.ContractsDir())
	if err != nil {
		t.Fatal(err)
	}
	files, err := codegen.Generate(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, files
}

// TestGolden compares the generated code of every case under testdata with the files in
// the case's generate.output folder. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, files := generate(t, filepath.Join("testdata", name, "esgen.yaml"))
			out := filepath.Join("testdata", name, cfg.Generate.Output)
			if *update {
				changes, err := codegen.Plan(out, files)
				if err != nil {
					t.Fatal(err)
				}
				if err := codegen.Apply(out, changes); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string][]byte{}
			ents, _ := os.ReadDir(out)
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".go") {
					b, err := os.ReadFile(filepath.Join(out, e.Name()))
					if err != nil {
						t.Fatal(err)
					}
					want[e.Name()] = b
				}
			}
			for _, f := range files {
				w, ok := want[f.Name]
				delete(want, f.Name)
				if !ok {
					t.Errorf("%s: generated but not in %s (run go test ./codegen -update)", f.Name, out)
					continue
				}
				if !bytes.Equal(w, f.Content) {
					t.Errorf("%s differs from %s (run go test ./codegen -update to accept):\n%s", f.Name, out, codegen.Diff(string(w), string(f.Content)))
				}
			}
			for n := range want {
				t.Errorf("%s: in %s but no longer generated", n, out)
			}
			for _, f := range files {
				if !bytes.HasPrefix(f.Content, []byte(codegen.Header+"\n")) {
					t.Errorf("%s does not start with %q", f.Name, codegen.Header)
				}
			}
		})
	}
}

// TestDeterministic generates every case twice, and once more from a copy of the case in
// another directory: the output must be byte-identical (no maps in random order, no
// absolute paths, no timestamps).
func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := filepath.Join("testdata", name)
			_, a := generate(t, filepath.Join(src, "esgen.yaml"))
			_, b := generate(t, filepath.Join(src, "esgen.yaml"))
			dst := filepath.Join(t.TempDir(), "elsewhere")
			if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			_, c := generate(t, filepath.Join(dst, "esgen.yaml"))
			for i := range a {
				if !bytes.Equal(a[i].Content, b[i].Content) || !bytes.Equal(a[i].Content, c[i].Content) || a[i].Name != c[i].Name {
					t.Fatalf("%s: output differs between runs or directories", a[i].Name)
				}
			}
		})
	}
}

// TestGoldenCompiles builds and vets the expected output of every case inside the module.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds packages with the go command")
	}
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	// A folder starting with "_" is invisible to ./... patterns of concurrent builds.
	root, err := os.MkdirTemp("internal", "_golden")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	var pkgs []string
	for _, name := range cases(t) {
		cfg, files := generate(t, filepath.Join("testdata", name, "esgen.yaml"))
		_ = cfg
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(dir))
	}
	cmd := exec.Command(gobin, append([]string{"vet"}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet of the generated packages: %v\n%s", err, out)
	}
}

// TestTestpkgUpToDate checks that the committed generated test package is what the
// generator writes today, as esgen generate --check does in CI.
func TestTestpkgUpToDate(t *testing.T) {
	t.Parallel()
	cfg, files := generate(t, filepath.Join("internal", "testpkg", "esgen.yaml"))
	out := filepath.Join(filepath.Dir(cfg.Path), cfg.Generate.Output)
	changes, err := codegen.Plan(out, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		t.Errorf("%s: %s (run go generate ./codegen/...)", c.Kind, c.Path)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
		want, not  []string
	}{
		{"change and append", "a\nb\nc\nd", "a\nB\nc\nd\ne", []string{"-    2  b", "+    2  B", "+    5  e", "     1  a"}, nil},
		{"equal", "x\ny", "x\ny", nil, []string{"x"}},
		{"far apart changes are cut", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10", "0\n2\n3\n4\n5\n6\n7\n8\n9\n11", []string{"-    1  1", "+    1  0", "   ...", "+   10  11"}, []string{"  5"}},
	}
	for _, tt := range tests {
		got := codegen.Diff(tt.a, tt.b)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: Diff =\n%s\nwant a line %q", tt.name, got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: Diff =\n%s\nwant no %q", tt.name, got, n)
			}
		}
	}
}
