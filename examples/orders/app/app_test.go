package app_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/examples/orders/app"
	"github.com/esgen/esgen/examples/orders/events"
	"github.com/esgen/esgen/examples/orders/order"
	"github.com/esgen/esgen/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite testdata/demo.golden")

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

// The scenario runs end to end on PostgreSQL and on the embedded default; both must print
// exactly the expected views: same orders, one payment per order, same audit log.
func TestDemoOnBothBackends(t *testing.T) {
	t.Parallel()
	golden := filepath.Join("testdata", "demo.golden")
	onSQLite := runDemo(t, app.Config{DataDir: t.TempDir()})
	onPostgres := runDemo(t, app.Config{DatabaseURL: pgtest.NewDatabase(t)})
	if onSQLite != onPostgres {
		t.Fatalf("the backends disagree.\nSQLite:\n%s\nPostgreSQL:\n%s", onSQLite, onPostgres)
	}
	if *update {
		if err := os.WriteFile(golden, []byte(onSQLite), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if onSQLite != string(want) {
		t.Fatalf("demo output differs from %s (go test -update rewrites it after a deliberate change)\ngot:\n%s\nwant:\n%s", golden, onSQLite, want)
	}
}

// Data written by one run of the embedded default is there for the next: serve, stop, serve.
func TestEmbeddedStoreKeepsOrdersAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	a, err := app.Open(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Orders.Create(ctx, "k1", "R-1", "ada", []order.Line{{SKU: "pen", Quantity: 1, UnitPriceCents: 200}}, "EUR"); err != nil {
		t.Fatal(err)
	}
	if err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := app.Open(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	o, err := b.Repo.Load(ctx, "R-1")
	if err != nil {
		t.Fatalf("order written before the restart: %v", err)
	}
	if o.Version() != 1 {
		t.Fatalf("reloaded order at version %d, want 1", o.Version())
	}
	v, err := b.Order(ctx, "R-1")
	if err != nil || v.Status != "created" {
		t.Fatalf("status view after restart: %+v, %v", v, err)
	}
}

func TestHTTPAPI(t *testing.T) {
	t.Parallel()
	a, err := app.Open(t.Context(), app.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(app.Handler(a, nil))
	defer srv.Close()

	do := func(method, path, key, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
		}
		var out map[string]any
		var raw json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
		}
		_ = json.Unmarshal(raw, &out)
		return resp.StatusCode, out
	}
	const newOrder = `{"order_id":"H-1","customer_id":"ada","currency":"EUR","lines":[{"sku":"pen","quantity":2,"unit_price_cents":150}]}`
	steps := []struct {
		name, method, path, key, body string
		want                          int
	}{
		{"create without key", "POST", "/orders", "", newOrder, 400},
		{"malformed body", "POST", "/orders", "c1", `{"order_id":`, 400},
		{"unknown field", "POST", "/orders", "c1", `{"order_id":"H-9","bogus":1}`, 400},
		{"invalid order", "POST", "/orders", "c1", `{"order_id":"H-9","customer_id":"x","currency":"EUR","lines":[]}`, 400},
		{"body over 1 MiB", "POST", "/orders", "c1", `{"order_id":"` + strings.Repeat("x", 2<<20) + `"}`, 400},
		{"trailing data", "POST", "/orders", "c1", newOrder + `{}`, 400},
		{"order_id too long", "POST", "/orders", "c1", strings.Replace(newOrder, `"H-1"`, `"`+strings.Repeat("x", 250)+`"`, 1), 400},
		{"NUL in customer", "POST", "/orders", "c1", strings.Replace(newOrder, `"ada"`, `"a\u0000"`, 1), 400},
		{"create", "POST", "/orders", "c1", newOrder, 201},
		{"create retried with its key", "POST", "/orders", "c1", newOrder, 201},
		{"create again with a new key", "POST", "/orders", "c2", newOrder, 409},
		{"ship before payment", "POST", "/orders/H-1/ship", "s1", `{"carrier":"DHL"}`, 422},
		{"wrong amount", "POST", "/orders/H-1/pay", "p0", `{"payment_id":"x","amount_cents":1}`, 422},
		{"bad method", "POST", "/orders/H-1/pay", "p0", `{"payment_id":"x","amount_cents":300,"method":"GOLD"}`, 400},
		{"pay without a reference", "POST", "/orders/H-1/pay", "p0", `{"amount_cents":300}`, 400},
		{"negative payment", "POST", "/orders/H-1/pay", "p0", `{"payment_id":"x","amount_cents":-5}`, 400},
		{"pay", "POST", "/orders/H-1/pay", "p1", `{"payment_id":"x","amount_cents":300}`, 200},
		{"pay retried with its key", "POST", "/orders/H-1/pay", "p1", `{"payment_id":"x","amount_cents":300}`, 200},
		{"pay twice", "POST", "/orders/H-1/pay", "p2", `{"payment_id":"y","amount_cents":300}`, 422},
		{"pay unknown order", "POST", "/orders/NOPE/pay", "p3", `{"payment_id":"y","amount_cents":300}`, 404},
		{"ship", "POST", "/orders/H-1/ship", "s2", `{"carrier":"DHL"}`, 200},
		{"cancel after shipping", "POST", "/orders/H-1/cancel", "x1", `{"reason":"late"}`, 422},
		{"bad status filter", "GET", "/orders?status=lost", "", "", 400},
		{"health", "GET", "/healthz", "", "", 200},
		{"projections", "GET", "/projections", "", "", 200},
	}
	for _, s := range steps {
		if got, body := do(s.method, s.path, s.key, s.body); got != s.want {
			t.Errorf("%s: %s %s = %d %v, want %d", s.name, s.method, s.path, got, body, s.want)
		}
	}

	// Charged once: one payment event in the order's stream despite the retry.
	n := 0
	for e, err := range a.Store.ReadStream(t.Context(), events.OrderStreamID("H-1"), eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == events.PaymentProcessedType {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d payment events after a retried payment, want 1", n)
	}

	if err := a.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	code, body := do("GET", "/orders/H-1", "", "")
	if code != 200 || body["status"] != "shipped" {
		t.Fatalf("GET /orders/H-1 = %d %v, want 200 and status shipped", code, body)
	}
	if code, body := do("GET", "/orders/NOPE", "", ""); code != 404 {
		t.Fatalf("GET /orders/NOPE = %d %v, want 404", code, body)
	}
}
