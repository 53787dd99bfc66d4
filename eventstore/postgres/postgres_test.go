package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/internal/pgtest"
)

// holdOpen returns a context whose append stops before COMMIT until release is closed;
// held is closed when it gets there (its events are inserted, its transaction ID assigned).
func holdOpen(ctx context.Context) (hctx context.Context, held chan struct{}, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	hctx = eventstore.WithBeforeCommit(ctx, func(context.Context) error {
		once.Do(func() { close(held) })
		<-release
		return nil
	})
	return hctx, held, release
}

type appendOutcome struct {
	res eventstore.AppendResult
	err error
}

func appendAsync(ctx context.Context, s eventstore.Store, stream string, exp eventstore.ExpectedVersion, evs ...eventstore.EventData) <-chan appendOutcome {
	ch := make(chan appendOutcome, 1)
	go func() {
		res, err := s.Append(ctx, stream, exp, evs...)
		ch <- appendOutcome{res, err}
	}()
	return ch
}

func ev(typ string) eventstore.EventData { return eventstore.EventData{Type: typ, Data: []byte(typ)} }

// A transaction with a lower ID that commits after one with a higher ID must not be skipped
// by a reader that read (and checkpointed) in between.
func TestOutOfOrderCommitIsNeverSkipped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	first, err := s.Append(ctx, "before", eventstore.NoStream, ev("before"))
	if err != nil {
		t.Fatal(err)
	}

	// Early gets its transaction ID first and stays open; late commits first.
	hctx, held, release := holdOpen(ctx)
	early := appendAsync(hctx, s, "early", eventstore.NoStream, ev("early"))
	<-held
	late, err := s.Append(ctx, "late", eventstore.NoStream, ev("late"))
	if err != nil {
		t.Fatal(err)
	}

	// A reader between the two commits sees nothing after its checkpoint: the late event
	// waits behind the open transaction instead of being delivered and checkpointed past it.
	checkpoint := first.Position
	for _, e := range collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{After: checkpoint})) {
		t.Errorf("reader saw %s (%s) while a lower transaction was still open", e.StreamID, e.Position)
		checkpoint = e.Position
	}
	if h, err := s.Head(ctx); err != nil || h != first.Position {
		t.Errorf("Head = %v, %v while the early append is open; want %v", h, err, first.Position)
	}
	stall, err := s.ReaderStall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !stall.Stalled() || stall.WaitingEvents != 1 || stall.PID == 0 || stall.Duration <= 0 {
		t.Errorf("ReaderStall = %+v; want one waiting event held back by a known backend", stall)
	}

	close(release)
	out := <-early
	if out.err != nil {
		t.Fatal(out.err)
	}
	if !(out.res.Position.Tx < late.Position.Tx) {
		t.Fatalf("early append has transaction %d, late %d: the test did not produce an out-of-order commit", out.res.Position.Tx, late.Position.Tx)
	}
	got := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{After: checkpoint}))
	var streams []string
	for _, e := range got {
		streams = append(streams, e.StreamID)
	}
	if !slices.Equal(streams, []string{"early", "late"}) {
		t.Fatalf("after the early commit the reader read %v; want [early late]", streams)
	}
	if stall, err := s.ReaderStall(ctx); err != nil || stall.Stalled() {
		t.Errorf("ReaderStall after the commit = %+v, %v; want not stalled", stall, err)
	}
}

// A subscriber following the log while commits happen out of order receives every event
// once, in log order.
func TestSubscribeAcrossOutOfOrderCommit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := newStore(t)
	got := make(chan eventstore.Event, 16)
	go func() {
		for e, err := range s.Subscribe(ctx, eventstore.ReadAllOptions{PollInterval: time.Hour}) {
			if err != nil {
				close(got)
				return
			}
			got <- e
		}
	}()
	hctx, held, release := holdOpen(ctx)
	early := appendAsync(hctx, s, "early", eventstore.NoStream, ev("early"))
	<-held
	if _, err := s.Append(ctx, "late", eventstore.NoStream, ev("late")); err != nil {
		t.Fatal(err)
	}
	close(release)
	if out := <-early; out.err != nil {
		t.Fatal(out.err)
	}
	var streams []string
	timeout := time.After(30 * time.Second)
	for len(streams) < 2 {
		select {
		case e := <-got:
			streams = append(streams, e.StreamID)
		case <-timeout:
			t.Fatalf("subscriber received %v within 30s; want [early late] (woken by NOTIFY, it polls only hourly)", streams)
		}
	}
	if !slices.Equal(streams, []string{"early", "late"}) {
		t.Fatalf("subscriber received %v; want [early late]", streams)
	}
}

// Subscriptions are woken by NOTIFY: with hourly polling, each event appended by another
// Store (another process, as far as the subscriber's store can tell) after the subscriber
// has caught up still arrives.
func TestSubscribeWokenByNotify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []postgres.Option
		poll time.Duration
	}{
		{"notify", nil, time.Hour},
		{"polling only", []postgres.Option{postgres.WithNotifications(false)}, 10 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			s := newStore(t, tc.opts...)
			writer, err := postgres.New(ctx, s.Pool(), postgres.WithSchema(s.Schema()))
			if err != nil {
				t.Fatal(err)
			}
			defer writer.Close()
			got := make(chan eventstore.Event)
			go func() {
				for e, err := range s.Subscribe(ctx, eventstore.ReadAllOptions{PollInterval: tc.poll}) {
					if err != nil {
						return
					}
					got <- e
				}
			}()
			for i := range 5 {
				stream := fmt.Sprintf("s-%d", i)
				if _, err := writer.Append(ctx, stream, eventstore.NoStream, ev("x")); err != nil {
					t.Fatal(err)
				}
				select {
				case e := <-got:
					if e.StreamID != stream {
						t.Fatalf("got %s, want %s", e.StreamID, stream)
					}
				case <-time.After(30 * time.Second):
					t.Fatalf("event %d not delivered within 30s", i)
				}
			}
		})
	}
}

func TestCloseEndsSubscription(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	done := make(chan error, 1)
	started := make(chan struct{})
	if _, err := s.Append(t.Context(), "a", eventstore.NoStream, ev("x")); err != nil {
		t.Fatal(err)
	}
	go func() {
		for _, err := range s.Subscribe(t.Context(), eventstore.ReadAllOptions{PollInterval: time.Hour}) {
			if err != nil {
				done <- err
				return
			}
			close(started)
		}
	}()
	<-started
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("subscription ended with %v; want ErrClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("subscription did not end within 30s of Close")
	}
	if _, err := s.Append(t.Context(), "a", eventstore.Any, ev("x")); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("append after Close: %v; want ErrClosed", err)
	}
}

func TestReadAllFiltersAndPages(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	for i := range 10 {
		stream := fmt.Sprintf("order-%d", i)
		if i%2 == 1 {
			stream = fmt.Sprintf("invoice-%d", i)
		}
		if _, err := s.Append(ctx, stream, eventstore.NoStream, ev("Created"), ev("Updated"), ev("Closed")); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		opts eventstore.ReadAllOptions
		want int
	}{
		{"all", eventstore.ReadAllOptions{PageSize: 4}, 30},
		{"types", eventstore.ReadAllOptions{Types: []string{"Created", "Closed"}, PageSize: 3}, 20},
		{"prefix", eventstore.ReadAllOptions{StreamPrefix: "order-", PageSize: 2}, 15},
		{"both", eventstore.ReadAllOptions{StreamPrefix: "invoice-", Types: []string{"Updated"}, PageSize: 1}, 5},
		{"limit", eventstore.ReadAllOptions{Limit: 7, PageSize: 3}, 7},
		{"prefix with LIKE metacharacters", eventstore.ReadAllOptions{StreamPrefix: "order_%"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, s.ReadAll(ctx, tc.opts))
			if len(got) != tc.want {
				t.Fatalf("%d events, want %d", len(got), tc.want)
			}
			for i, e := range got {
				if !tc.opts.Matches(&e) {
					t.Errorf("event %d (%s %s) does not match the filter", i, e.StreamID, e.Type)
				}
				if i > 0 && !got[i-1].Position.Less(e.Position) {
					t.Errorf("positions out of order: %s then %s", got[i-1].Position, e.Position)
				}
			}
		})
	}
}

func TestReadStreamPages(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	const n = 1300 // more than two default pages
	batch := make([]eventstore.EventData, n)
	for i := range batch {
		batch[i] = ev("x")
	}
	if _, err := s.Append(ctx, "long", eventstore.NoStream, batch...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		opts        eventstore.ReadStreamOptions
		first, last uint64
		count       int
	}{
		{"forward", eventstore.ReadStreamOptions{}, 1, n, n},
		{"forward from", eventstore.ReadStreamOptions{From: 700}, 700, n, n - 699},
		{"forward limit", eventstore.ReadStreamOptions{From: 2, Limit: 600}, 2, 601, 600},
		{"backward", eventstore.ReadStreamOptions{Direction: eventstore.Backward}, n, 1, n},
		{"backward from", eventstore.ReadStreamOptions{Direction: eventstore.Backward, From: 600, Limit: 550}, 600, 51, 550},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, s.ReadStream(ctx, "long", tc.opts))
			if len(got) != tc.count || got[0].Version != tc.first || got[len(got)-1].Version != tc.last {
				t.Fatalf("read %d events %d..%d; want %d events %d..%d", len(got), got[0].Version, got[len(got)-1].Version, tc.count, tc.first, tc.last)
			}
			for i := 1; i < len(got); i++ {
				if d := int64(got[i].Version) - int64(got[i-1].Version); d != 1 && d != -1 {
					t.Fatalf("versions %d then %d", got[i-1].Version, got[i].Version)
				}
			}
		})
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	s := newStoreIn(t, url, postgres.WithSchema("idem"))
	if _, err := s.Append(ctx, "a", eventstore.NoStream, ev("x")); err != nil {
		t.Fatal(err)
	}
	// Several processes migrating at once, and again on open.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- s.Migrate(ctx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	again := newStoreIn(t, url, postgres.WithSchema("idem"))
	v, err := again.SchemaVersion(ctx)
	if err != nil || v != postgres.LatestVersion() {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, postgres.LatestVersion())
	}
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM idem.schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d (one per migration)", rows, len(ms))
	}
	if got := collect(t, again.ReadStream(ctx, "a", eventstore.ReadStreamOptions{})); len(got) != 1 {
		t.Fatalf("data lost by re-migrating: %d events", len(got))
	}
}

func TestOpenWithoutMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	_, err := postgres.Open(ctx, url, postgres.WithSchema("fresh"))
	var sv *postgres.SchemaVersionError
	if !errors.Is(err, postgres.ErrNotMigrated) || !errors.As(err, &sv) || sv.Found != 0 || sv.Want != postgres.LatestVersion() {
		t.Fatalf("Open on an empty database: %v; want ErrNotMigrated found 0 want %d", err, postgres.LatestVersion())
	}
	s := newStoreIn(t, url, postgres.WithSchema("fresh")) // migrates
	_ = s
	s2, err := postgres.New(ctx, s.Pool(), postgres.WithSchema("fresh"))
	if err != nil {
		t.Fatalf("New on a migrated schema: %v", err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().Ping(ctx); err != nil {
		t.Fatalf("closing a store made by New closed the caller's pool: %v", err)
	}
}

func TestSchemaIsRespected(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	a := newStoreIn(t, url, postgres.WithSchema("tenant_a"))
	b := newStoreIn(t, url, postgres.WithSchema("Tenant_B"))
	if a.Schema() != "tenant_a" || b.Schema() != "Tenant_B" {
		t.Fatalf("Schema() = %q, %q", a.Schema(), b.Schema())
	}
	res, err := a.Append(ctx, "order-1", eventstore.NoStream, ev("x"))
	if err != nil {
		t.Fatal(err)
	}
	// The same stream and even the same event ID are independent in the other schema.
	if _, err := b.Append(ctx, "order-1", eventstore.NoStream, eventstore.EventData{ID: res.EventIDs[0], Type: "y"}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []*postgres.Store{a, b} {
		got := collect(t, st.ReadAll(ctx, eventstore.ReadAllOptions{}))
		if len(got) != 1 {
			t.Fatalf("schema %s holds %d events, want 1", st.Schema(), len(got))
		}
	}
	rows, err := a.Pool().Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var sch, name string
		if err := rows.Scan(&sch, &name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, sch+"."+name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"Tenant_B.events", "Tenant_B.schema_migrations", "Tenant_B.streams",
		"tenant_a.events", "tenant_a.schema_migrations", "tenant_a.streams"}
	if !slices.Equal(tables, want) {
		t.Fatalf("tables %v; want %v", tables, want)
	}
}

func TestSchemaNameValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"esgen", true},
		{"Tenant_42", true},
		{"_x", true},
		{"", false},
		{"42x", false},
		{"pg_events", false},
		{"a-b", false},
		{"a.b", false},
		{`a"b`, false},
		{"ünï", false},
		{string(make([]byte, 64)), false},
	}
	for _, tc := range tests {
		err := postgres.ValidateSchemaName(tc.name)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, eventstore.ErrInvalidInput)) {
			t.Errorf("ValidateSchemaName(%q) = %v; want ok=%v (ErrInvalidInput otherwise)", tc.name, err, tc.ok)
		}
	}
	if _, err := postgres.Open(t.Context(), "postgres://nowhere.invalid/db", postgres.WithSchema("a;drop")); err == nil {
		t.Fatal("Open accepted the schema name \"a;drop\"")
	}
}
