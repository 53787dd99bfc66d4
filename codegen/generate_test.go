package codegen_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esgen/esgen/codegen"
	"github.com/esgen/esgen/schema"
)

// project writes an esgen.yaml and contracts (path -> JSON) into a temporary folder and
// loads them.
func project(t *testing.T, config string, contracts map[string]string) (*schema.Config, *schema.Set) {
	t.Helper()
	dir := t.TempDir()
	for p, body := range contracts {
		full := filepath.Join(dir, "contracts", p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "esgen.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := schema.LoadConfig(filepath.Join(dir, "esgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.LoadDir(cfg.ContractsDir())
	if err != nil {
		t.Fatal(err)
	}
	return cfg, set
}

func TestGenerateErrors(t *testing.T) {
	t.Parallel()
	record := func(ns, name, fields string) string {
		return `{"type": "record", "name": "` + name + `", "namespace": "` + ns + `", "fields": [` + fields + `]}`
	}
	tests := []struct {
		name      string
		config    string
		contracts map[string]string
		field     string // the ConfigError field, or "" for other errors
		want      string
	}{
		{"event named like the codec", "generate: {output: gen}\n",
			map[string]string{"Codec/v1.avsc": record("x", "Codec", `{"name": "a", "type": "string"}`)},
			"", "Codec is used by both"},
		{"short name resolves", "generate: {output: gen}\naggregates: [{name: A, events: [Same]}]\n",
			map[string]string{"Same/v1.avsc": record("x", "Same", `{"name": "a", "type": "string"}`)},
			"", ""},
		{"event listed twice", "generate: {output: gen}\nprojections: [{name: p, events: [E, x.E]}]\n",
			map[string]string{"E/v1.avsc": record("x", "E", `{"name": "a", "type": "string"}`)},
			"projections[0].events[1]", "listed twice"},
		{"lower-case aggregate", "generate: {output: gen}\naggregates: [{name: order, events: [E]}]\n",
			map[string]string{"E/v1.avsc": record("x", "E", `{"name": "a", "type": "string"}`)},
			"aggregates[0].name", "exported Go identifier"},
		{"aggregate clashes with event", "generate: {output: gen}\naggregates: [{name: E, events: [E]}]\n",
			map[string]string{"E/v1.avsc": record("x", "E", `{"name": "a", "type": "string"}`), "EType/v1.avsc": record("x", "EType", `{"name": "a", "type": "string"}`)},
			"", "EType"},
		{"indistinguishable union", "generate: {output: gen}\n",
			map[string]string{"E/v1.avsc": record("x", "E", `{"name": "a", "type": [{"type": "int", "logicalType": "date"}, {"type": "long", "logicalType": "timestamp-millis"}]}`)},
			"", "both become Go type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, set := project(t, tt.config, tt.contracts)
			_, err := codegen.Generate(cfg, set)
			if tt.want == "" && tt.field == "" {
				if err != nil {
					t.Fatalf("Generate = %v, want success", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Generate = %v, want an error containing %q", err, tt.want)
			}
			var ce *schema.ConfigError
			if tt.field != "" && (!errors.As(err, &ce) || ce.Field != tt.field || ce.File != cfg.Path) {
				t.Fatalf("Generate = %v, want a ConfigError of %s field %s", err, cfg.Path, tt.field)
			}
		})
	}
}
