package schema

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func newTestRegistry(t *testing.T, fake *srfake.Registry, cfg RegistryConfig, env map[string]string) *ConfluentRegistry {
	t.Helper()
	cfg.URL = fake.URL()
	reg, err := NewConfluentRegistry(&cfg, func(k string) string { return env[k] }, WithBackoff(time.Millisecond, 4*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func loadOK(t *testing.T) *Set {
	t.Helper()
	set, err := LoadDir("testdata/contracts/ok")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func subjectVersions(t *testing.T, fake *srfake.Registry, subject string) int {
	t.Helper()
	n := 0
	for v := 1; v < 20; v++ {
		if _, ok := fake.GetSchema(subject, v); ok {
			n++
		}
	}
	return n
}

func TestPushToFakeRegistryIsIdempotent(t *testing.T) {
	t.Parallel()
	fake := srfake.New()
	defer fake.Close()
	reg := newTestRegistry(t, fake, RegistryConfig{}, nil)
	set := loadOK(t)
	ctx := context.Background()
	cfg := DefaultConfig()

	plan, err := Push(ctx, reg, set, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 || plan[0].Action != PushRegister || fake.SubjectExists("orders.OrderCreated") {
		t.Fatalf("dry run: %+v", plan)
	}
	steps, err := Push(ctx, reg, set, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if s.Action != PushRegister || s.RegistryVersion != s.Version || s.ID == 0 {
			t.Fatalf("step %+v", s)
		}
	}
	again, err := Push(ctx, reg, set, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range again {
		if s.Action != PushPresent {
			t.Fatalf("re-run registered again: %+v", s)
		}
	}
	if n := subjectVersions(t, fake, "orders.OrderCreated"); n != 2 {
		t.Fatalf("OrderCreated has %d versions, want 2", n)
	}
	// The registered text resolves shared types inline and keeps the canonical form.
	got, _ := fake.GetSchema("orders.OrderCreated", 1)
	if !strings.Contains(got.Schema.Schema, "orders.types.Money") || !strings.Contains(got.Schema.Schema, `"fields"`) {
		t.Fatalf("registered text: %s", got.Schema.Schema)
	}
	violations, findings, err := RegistryCheck(ctx, reg, set, cfg)
	if err != nil || len(violations) != 0 || len(findings) != 0 {
		t.Fatalf("RegistryCheck: %v %v %v", violations, findings, err)
	}
}

func TestPushInterruptedHalfwayAndRerun(t *testing.T) {
	t.Parallel()
	fake := srfake.New()
	defer fake.Close()
	// The second registration reaches the registry, but its answer is lost.
	var posts atomic.Int32
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/versions") || strings.HasPrefix(r.URL.Path, "/compatibility") {
			return false
		}
		if posts.Add(1) != 2 {
			return false
		}
		var body struct {
			Schema string `json:"schema"`
		}
		if err := jsonDecode(r, &body); err != nil {
			t.Error(err)
		}
		subject := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/subjects/"), "/versions")
		if _, _, err := fake.RegisterSchema(subject, sr.Schema{Schema: body.Schema}); err != nil {
			t.Error(err)
		}
		http.Error(w, `{"error_code":50001,"message":"connection reset"}`, http.StatusBadGateway)
		return true
	})
	reg := newTestRegistry(t, fake, RegistryConfig{Retries: -1}, nil)
	set := loadOK(t)
	ctx := context.Background()
	_, err := Push(ctx, reg, set, DefaultConfig(), false)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("first push: %v, want ErrUnavailable", err)
	}
	fake.ClearInterceptors()
	steps, err := Push(ctx, reg, set, DefaultConfig(), false)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, s := range steps {
		actions = append(actions, string(s.Action))
	}
	// v1 and the lost v2 of OrderCreated are present; OrderShipped was never reached.
	if got := strings.Join(actions, ","); got != "present,present,register" {
		t.Fatalf("re-run actions %s", got)
	}
	for subject, want := range map[string]int{"orders.OrderCreated": 2, "orders.OrderShipped": 1} {
		if n := subjectVersions(t, fake, subject); n != want {
			t.Fatalf("%s has %d versions, want %d", subject, n, want)
		}
	}
}

func TestRegistryRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	fake := srfake.New()
	defer fake.Close()
	var calls atomic.Int32
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if calls.Add(1) <= 3 {
			http.Error(w, `{"error_code":50003,"message":"overloaded"}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	reg := newTestRegistry(t, fake, RegistryConfig{Retries: 4}, nil)
	subjects, err := reg.Subjects(context.Background())
	if err != nil {
		t.Fatalf("after 3 failures and 4 retries: %v", err)
	}
	if len(subjects) != 0 || calls.Load() != 4 {
		t.Fatalf("subjects %v after %d calls", subjects, calls.Load())
	}

	// A registry that never recovers: 1 call + 2 retries, then ErrUnavailable.
	down := srfake.New()
	defer down.Close()
	var downCalls atomic.Int32
	down.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		downCalls.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
		return true
	})
	reg = newTestRegistry(t, down, RegistryConfig{Retries: 2}, nil)
	_, err = reg.Subjects(context.Background())
	if !errors.Is(err, ErrUnavailable) || downCalls.Load() != 3 {
		t.Fatalf("err %v after %d calls", err, downCalls.Load())
	}
}

func TestRegistryErrorsAreClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   error
		hint   string
	}{
		{http.StatusUnauthorized, ErrUnauthorized, "registry.auth"},
		{http.StatusForbidden, ErrUnauthorized, "registry.auth"},
		{http.StatusNotFound, ErrNotFound, "subject_strategy"},
		{http.StatusConflict, ErrConflict, "incompatible"},
		{http.StatusUnprocessableEntity, ErrRejected, "could not accept"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			fake := srfake.New()
			defer fake.Close()
			var calls atomic.Int32
			fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
				calls.Add(1)
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"error_code":` + itoa(tt.status*100+1) + `,"message":"nope"}`))
				return true
			})
			reg := newTestRegistry(t, fake, RegistryConfig{Retries: 3}, nil)
			_, err := reg.Register(context.Background(), "orders.X", `"string"`)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("err = %v, want %v with %q", err, tt.want, tt.hint)
			}
			if calls.Load() != 1 {
				t.Fatalf("a %d was retried (%d calls)", tt.status, calls.Load())
			}
		})
	}
}

func TestRegistryAuth(t *testing.T) {
	t.Parallel()
	good := "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:s3cret"))
	fake := srfake.New(srfake.WithAuth(good))
	defer fake.Close()
	cfg := RegistryConfig{Auth: AuthConfig{UsernameEnv: "SR_USER", PasswordEnv: "SR_PASS"}}

	reg := newTestRegistry(t, fake, cfg, map[string]string{"SR_USER": "svc", "SR_PASS": "wrong-pass"})
	_, err := reg.Subjects(context.Background())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-pass") {
		t.Fatalf("error prints the password: %v", err)
	}
	reg = newTestRegistry(t, fake, cfg, map[string]string{"SR_USER": "svc", "SR_PASS": "s3cret"})
	if _, err := reg.Subjects(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Missing variables are named, never guessed.
	cfg.URL = fake.URL()
	_, err = NewConfluentRegistry(&cfg, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "SR_USER") {
		t.Fatalf("err = %v", err)
	}
	// Bearer tokens travel in the Authorization header.
	bearer := srfake.New(srfake.WithAuth("Bearer tok-123"))
	defer bearer.Close()
	reg = newTestRegistry(t, bearer, RegistryConfig{Auth: AuthConfig{TokenEnv: "SR_TOKEN"}}, map[string]string{"SR_TOKEN": "tok-123"})
	if _, err := reg.Subjects(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPushRefusesIncompatible(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "E"), 0o755)
	os.WriteFile(filepath.Join(dir, "E", "v1.avsc"), []byte(`{"type":"record","name":"E","namespace":"t","fields":[{"name":"a","type":"int"}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "E", "v2.avsc"), []byte(`{"type":"record","name":"E","namespace":"t","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}`), 0o644)
	set, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fake := srfake.New()
	defer fake.Close()
	reg := newTestRegistry(t, fake, RegistryConfig{}, nil)
	steps, err := Push(context.Background(), reg, set, DefaultConfig(), false)
	var ie *IncompatibleError
	if !errors.As(err, &ie) || !errors.Is(err, ErrIncompatible) || ie.Version != 2 || len(ie.Findings) == 0 || ie.Findings[0].Path != "E.b" {
		t.Fatalf("err = %v", err)
	}
	if len(steps) != 1 || subjectVersions(t, fake, "t.E") != 1 {
		t.Fatalf("steps %+v, registered %d", steps, subjectVersions(t, fake, "t.E"))
	}

	// With NONE locally, the registry's own verdict still counts.
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/compatibility/") {
			w.Write([]byte(`{"is_compatible":false,"messages":["READER_FIELD_MISSING_DEFAULT_VALUE b"]}`))
			return true
		}
		return false
	})
	cfg := DefaultConfig()
	cfg.Compatibility = LevelNone
	_, err = Push(context.Background(), reg, set, cfg, false)
	if !errors.As(err, &ie) || len(ie.Registry) != 1 || subjectVersions(t, fake, "t.E") != 1 {
		t.Fatalf("err = %v", err)
	}
}

func TestPullNeverOverwritesSilently(t *testing.T) {
	t.Parallel()
	fake := srfake.New()
	defer fake.Close()
	reg := newTestRegistry(t, fake, RegistryConfig{}, nil)
	ctx := context.Background()
	if _, err := Push(ctx, reg, loadOK(t), DefaultConfig(), false); err != nil {
		t.Fatal(err)
	}
	// Someone else's subject is left alone by the record strategy.
	fake.RegisterSchema("payments-value", sr.Schema{Schema: `"string"`})

	dir := filepath.Join(t.TempDir(), "contracts")
	steps, err := Pull(ctx, reg, dir, DefaultConfig(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 {
		t.Fatalf("steps %+v", steps)
	}
	pulled, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	orig := loadOK(t)
	for _, ev := range orig.Events {
		pe := pulled.Event(ev.Name)
		for i, v := range ev.Versions {
			if pe == nil || pe.Versions[i].Canonical != v.Canonical {
				t.Fatalf("%s v%d not pulled faithfully", ev.Name, v.Number)
			}
		}
	}
	again, err := Pull(ctx, reg, dir, DefaultConfig(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range again {
		if s.Action != PullSame {
			t.Fatalf("re-pull: %+v", s)
		}
	}
	// A differing local file is reported and left as it is.
	f := filepath.Join(dir, "OrderShipped", "v1.avsc")
	edited := []byte(`{"type":"record","name":"OrderShipped","namespace":"orders","fields":[{"name":"order_id","type":"string"}]}`)
	os.WriteFile(f, edited, 0o644)
	steps, err = Pull(ctx, reg, dir, DefaultConfig(), false)
	if err != nil {
		t.Fatal(err)
	}
	var conflicts int
	for _, s := range steps {
		if s.Action == PullConflict {
			conflicts++
			if s.File != f || !strings.Contains(s.Message, "left unchanged") {
				t.Fatalf("conflict %+v", s)
			}
		}
	}
	if b, _ := os.ReadFile(f); conflicts != 1 || string(b) != string(edited) {
		t.Fatalf("%d conflicts, file now %s", conflicts, b)
	}
	// And check --registry names it.
	set, _ := LoadDir(dir)
	vs, _, err := RegistryCheck(ctx, reg, set, DefaultConfig())
	if err != nil || len(vs) != 1 || vs[0].File != f || vs[0].Kind != VersionEdited {
		t.Fatalf("RegistryCheck: %+v %v", vs, err)
	}
	if _, err := Push(ctx, reg, set, DefaultConfig(), false); !errors.Is(err, ErrDrift) {
		t.Fatalf("push over drift: %v", err)
	}
}

func TestDirRegistry(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "contracts")
	reg := NewDirRegistry(dir)
	ctx := context.Background()
	steps, err := Push(ctx, reg, loadOK(t), DefaultConfig(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 {
		t.Fatalf("steps %+v", steps)
	}
	subjects, err := reg.Subjects(ctx)
	if err != nil || strings.Join(subjects, ",") != "orders.OrderCreated,orders.OrderShipped" {
		t.Fatalf("subjects %v %v", subjects, err)
	}
	again, err := Push(ctx, reg, loadOK(t), DefaultConfig(), false)
	if err != nil || again[1].Action != PushPresent {
		t.Fatalf("again %+v %v", again, err)
	}
	if _, err := reg.Schemas(ctx, "orders.Nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func TestSubjectNaming(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  RegistryConfig
		want string
	}{
		{RegistryConfig{}, "orders.OrderCreated"},
		{RegistryConfig{SubjectStrategy: RecordNameStrategy, SubjectPrefix: ":.prod:"}, ":.prod:orders.OrderCreated"},
		{RegistryConfig{SubjectStrategy: TopicRecordNameStrategy, Topic: "orders"}, "orders-orders.OrderCreated"},
		{RegistryConfig{SubjectStrategy: TopicNameStrategy, Topic: "orders"}, "orders-value"},
	}
	for _, tt := range tests {
		if got := tt.cfg.Subject("orders.OrderCreated"); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.cfg, got, tt.want)
		}
		if !tt.cfg.ownsSubject(tt.want) {
			t.Errorf("%+v does not own %s", tt.cfg, tt.want)
		}
	}
}

func TestRegistryTLS(t *testing.T) {
	t.Parallel()
	fake := srfake.NewRegistry()
	srv := httptest.NewTLSServer(fake.Handler())
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Without the CA the certificate is refused, and that is not retried forever.
	plain, err := NewConfluentRegistry(&RegistryConfig{URL: srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Subjects(ctx); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v", err)
	}
	trusted, err := NewConfluentRegistry(&RegistryConfig{URL: srv.URL, TLS: TLSConfig{CAFile: ca}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trusted.Subjects(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := NewConfluentRegistry(&RegistryConfig{URL: srv.URL, TLS: TLSConfig{CAFile: filepath.Join(t.TempDir(), "none.pem")}}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("missing CA file: %v", err)
	}
}

func TestRegistryBackoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	down := srfake.New()
	defer down.Close()
	down.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return true
	})
	reg, err := NewConfluentRegistry(&RegistryConfig{URL: down.URL(), Retries: 6}, nil, WithBackoff(10*time.Millisecond, 40*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	reg.wait = func(ctx context.Context, d time.Duration) error {
		delays = append(delays, d)
		return nil
	}
	if _, err := reg.Subjects(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if len(delays) != 6 {
		t.Fatalf("%d waits, want 6", len(delays))
	}
	caps := []time.Duration{10, 20, 40, 40, 40, 40}
	for i, d := range delays {
		if d < 0 || d > caps[i]*time.Millisecond {
			t.Fatalf("wait %d = %s, want at most %dms (delays %v)", i, d, caps[i], delays)
		}
	}
}

func TestRegistryTimeoutIsTransient(t *testing.T) {
	t.Parallel()
	fake := srfake.New()
	defer fake.Close()
	var calls atomic.Int32
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if calls.Add(1) == 1 {
			<-r.Context().Done() // hang until the client gives up
			return true
		}
		return false
	})
	reg, err := NewConfluentRegistry(&RegistryConfig{URL: fake.URL(), Timeout: 50 * time.Millisecond, Retries: 1}, nil, WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Subjects(context.Background()); err != nil {
		t.Fatalf("after a timed-out request and a retry: %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want 2", calls.Load())
	}
}

func TestPushSetsSubjectLevel(t *testing.T) {
	t.Parallel()
	fake := srfake.New()
	defer fake.Close()
	reg := newTestRegistry(t, fake, RegistryConfig{}, nil)
	cfg := DefaultConfig()
	cfg.Registry = &RegistryConfig{SetCompatibility: true}
	cfg.Events = map[string]EventConfig{"orders.OrderShipped": {Compatibility: LevelFullTransitive}}
	ctx := context.Background()
	steps, err := Push(ctx, reg, loadOK(t), cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	var set []string
	for _, s := range steps {
		if s.SetLevel != "" {
			set = append(set, s.Event+"="+string(s.SetLevel))
		}
	}
	if got := strings.Join(set, " "); got != "orders.OrderCreated=BACKWARD_TRANSITIVE orders.OrderShipped=FULL_TRANSITIVE" {
		t.Fatalf("levels set: %s", got)
	}
	for subject, want := range map[string]Level{"orders.OrderCreated": LevelBackwardTransitive, "orders.OrderShipped": LevelFullTransitive} {
		got, err := reg.Level(ctx, subject)
		if err != nil || got != want {
			t.Fatalf("%s level %s (%v), want %s", subject, got, err, want)
		}
	}
}
