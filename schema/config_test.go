package schema

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "esgen.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, "")
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Compatibility != LevelBackwardTransitive || c.Path != p {
		t.Fatalf("config = %+v", c)
	}
	if got, want := c.ContractsDir(), filepath.Join(filepath.Dir(p), "contracts"); got != want {
		t.Fatalf("ContractsDir = %s, want %s", got, want)
	}
}

func TestLoadConfigFull(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, `
contracts: schemas
compatibility: FULL
events:
  orders.OrderCreated: {compatibility: NONE}
  OrderShipped: {compatibility: FORWARD}
registry:
  url: http://localhost:8081
  subject_strategy: topic_record
  topic: orders
  auth: {username_env: SR_USER, password_env: SR_PASS}
  timeout: 3s
  retries: 2
generate: {output: gen, package: events}
aggregates:
  - {name: Order, stream: "order-{id}", events: [OrderCreated]}
projections:
  - {name: order_status, events: [OrderCreated]}
`)
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Registry.Timeout != 3*time.Second || c.Registry.Topic != "orders" || c.Generate.Package != "events" {
		t.Fatalf("config = %+v", c)
	}
	for ev, want := range map[string]Level{
		"orders.OrderCreated": LevelNone, "orders.OrderShipped": LevelForward, "orders.Other": LevelFull,
	} {
		if got := c.LevelFor(ev); got != want {
			t.Errorf("LevelFor(%s) = %s, want %s", ev, got, want)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, field, msg string
	}{
		{"bad level", "compatibility: SIDEWAYS", "compatibility", "SIDEWAYS"},
		{"bad event level", "events: {A: {compatibility: X}}", "events.A.compatibility", "unknown level"},
		{"unknown field", "contract: x", "contract", "unknown field"},
		{"unknown nested field", "registry:\n  ur1: x", "ur1", ":2: ur1: unknown field"},
		{"bad yaml", "contracts: [", "", "esgen.yaml"},
		{"topic missing", "registry: {url: x, subject_strategy: topic}", "registry.topic", "needs a topic"},
		{"half basic auth", "registry: {url: x, auth: {username_env: U}}", "registry.auth", "password_env"},
		{"aggregate no events", "aggregates: [{name: Order}]", "aggregates[0].events", "no events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := writeConfig(t, tt.body)
			_, err := LoadConfig(p)
			var ce *ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			if ce.Field != tt.field || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %q (field %q), want field %q and %q", err, ce.Field, tt.field, tt.msg)
			}
		})
	}
}
