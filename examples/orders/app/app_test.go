package app_test

import (
	"bytes"
	"testing"

	"github.com/esgen/esgen/examples/orders/app"
	"github.com/esgen/esgen/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func runDemo(t *testing.T, cfg app.Config) string {
	t.Helper()
	cfg.Clock = app.DemoClock()
	a, err := app.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if err := app.Demo(t.Context(), a, &out); err != nil {
		t.Fatalf("demo on %s: %v\noutput so far:\n%s", a.Backend, err, out.String())
	}
	return out.String()
}

func TestDemoPostgres(t *testing.T) {
	out := runDemo(t, app.Config{DatabaseURL: pgtest.NewDatabase(t)})
	t.Log("\n" + out)
}
