package esdb_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/esdb"
	"github.com/esgen/esgen/eventstore/esdb/esdbtest"
)

// fake starts a test double and opens a store on it.
func fake(t *testing.T, srvOpts []esdbtest.Option, opts ...esdb.Option) (*esdb.Store, *esdbtest.Server) {
	t.Helper()
	srv, err := esdbtest.Start(srvOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, srv.ConnectionString(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, srv
}

func event(typ, data string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: []byte(data)}
}

func collect(t *testing.T, seq func(func(eventstore.Event, error) bool)) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for e, err := range seq {
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func TestRedactConnectionString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"esdb://localhost:2113?tls=false", "esdb://localhost:2113?tls=false"},
		{"esdb://admin:changeit@localhost:2113", "esdb://admin:xxxxx@localhost:2113"},
		{"esdb+discover://u:p%40ss@a:1,b:2?tls=true", "esdb+discover://u:xxxxx@a:1,b:2?tls=true"},
		{"esdb://admin@localhost:2113", "esdb://admin@localhost:2113"},
		{"admin:secret@host", "admin:xxxxx@host"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := esdb.RedactConnectionString(tc.in); got != tc.want {
			t.Errorf("RedactConnectionString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOpenNeverRevealsThePassword(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Pa55"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tests := []struct {
		name, conn string
	}{
		{"bad scheme", "http://admin:" + secret + "@localhost:2113"},
		{"bad port", "esdb://admin:" + secret + "@localhost:notaport"},
		// Nothing listens on port 1: the connection attempt fails.
		{"unreachable", "esdb://admin:" + secret + "@127.0.0.1:1?tls=false&maxDiscoverAttempts=1&discoveryInterval=1&gossipTimeout=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s, err := esdb.Open(ctx, tc.conn, esdb.WithLogger(logger))
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error reveals the password: %v", err)
			}
			if !strings.Contains(err.Error(), "xxxxx") {
				t.Errorf("the error should name the redacted connection string: %v", err)
			}
		})
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("the logs reveal the password:\n%s", logs.String())
	}
}

func TestOpenGivesUpWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := esdb.Open(ctx, "esdb://127.0.0.1:1?tls=false")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context: got %v, want context.Canceled", err)
	}
}

func TestNewNeedsAClient(t *testing.T) {
	t.Parallel()
	if _, err := esdb.New(nil); err == nil {
		t.Fatal("New(nil) succeeded, want an error")
	}
}

func TestExpectedVersionMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		before   int // events in the stream before the append
		expected eventstore.ExpectedVersion
		ok       bool
		actual   uint64
		exists   bool
	}{
		{"Any on absent", 0, eventstore.Any, true, 0, false},
		{"Any on existing", 2, eventstore.Any, true, 0, false},
		{"NoStream on absent", 0, eventstore.NoStream, true, 0, false},
		{"NoStream on existing", 2, eventstore.NoStream, false, 2, true},
		{"StreamExists on absent", 0, eventstore.StreamExists, false, 0, false},
		{"StreamExists on existing", 2, eventstore.StreamExists, true, 0, false},
		{"Exactly right", 2, eventstore.Exactly(2), true, 0, false},
		{"Exactly behind", 2, eventstore.Exactly(1), false, 2, true},
		{"Exactly ahead", 2, eventstore.Exactly(3), false, 2, true},
		{"Exactly on absent", 0, eventstore.Exactly(1), false, 0, false},
	}
	s, _ := fake(t, nil)
	ctx := context.Background()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stream := "map-" + string(rune('a'+i))
			for range tc.before {
				if _, err := s.Append(ctx, stream, eventstore.Any, event("Seed", "x")); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.Append(ctx, stream, tc.expected, event("T", "y"), event("T", "z"))
			if tc.ok {
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				want := uint64(tc.before) + 2
				if res.FirstVersion != want-1 || res.LastVersion != want || res.Duplicate {
					t.Fatalf("result %+v, want versions %d..%d, not duplicate", res, want-1, want)
				}
				return
			}
			var vc *eventstore.VersionConflictError
			if !errors.As(err, &vc) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
				t.Fatalf("Append: got %v, want a version conflict", err)
			}
			want := eventstore.VersionConflictError{StreamID: stream, Expected: tc.expected, Actual: tc.actual, Exists: tc.exists}
			if *vc != want {
				t.Fatalf("conflict %+v, want %+v", *vc, want)
			}
		})
	}
}

func TestAppendReadRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx := context.Background()
	meta := eventstore.Metadata{CorrelationID: "c-1", CausationID: "k-1", TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		SchemaFingerprint: 1 << 63, Headers: map[string]string{"tenant": "t1"}}
	in := []eventstore.EventData{
		{Type: "orders.Created", Data: []byte{0xc3, 0x01, 0x00}, Metadata: meta},
		{Type: "orders.Paid"},
	}
	before := time.Now().Add(-time.Second)
	res, err := s.Append(ctx, "order-1", eventstore.NoStream, in...)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{}))
	if len(got) != 2 {
		t.Fatalf("read %d events, want 2", len(got))
	}
	for i, e := range got {
		if e.ID != res.EventIDs[i] || e.Version != uint64(i+1) || e.StreamID != "order-1" || e.Type != in[i].Type ||
			!bytes.Equal(e.Data, in[i].Data) || e.RecordedAt.Before(before) || e.RecordedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("event %d: %+v does not match the appended %+v", i, e, in[i])
		}
	}
	if got[0].Metadata.CorrelationID != "c-1" || got[0].Metadata.SchemaFingerprint != 1<<63 || got[0].Metadata.Headers["tenant"] != "t1" ||
		got[0].Metadata.TraceParent != meta.TraceParent {
		t.Errorf("metadata %+v, want %+v", got[0].Metadata, meta)
	}
	if got[1].Position != res.Position {
		t.Errorf("last event at %v, append result says %v", got[1].Position, res.Position)
	}
	back := collect(t, s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{Direction: eventstore.Backward}))
	if len(back) != 2 || back[0].Version != 2 || back[1].Version != 1 {
		t.Fatalf("backward read gave %+v", back)
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	s, srv := fake(t, nil, esdb.WithContentType(func(typ string) esdbclient.ContentType {
		if strings.HasSuffix(typ, ".json") {
			return esdbclient.ContentTypeJson
		}
		return esdbclient.ContentTypeBinary
	}))
	ctx := context.Background()
	if _, err := s.Append(ctx, "ct-1", eventstore.NoStream, event("a.json", `{}`), event("b.avro", "x")); err != nil {
		t.Fatal(err)
	}
	conf, err := esdbclient.ParseConnectionString(srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdbclient.NoopLogging()
	client, err := esdbclient.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	rs, err := client.ReadStream(ctx, "ct-1", esdbclient.ReadStreamOptions{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for _, want := range []string{"application/json", "application/octet-stream"} {
		ev, err := rs.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Event.ContentType != want {
			t.Errorf("%s stored as %q, want %q", ev.Event.EventType, ev.Event.ContentType, want)
		}
	}
}

func TestPositionsRoundTripThroughText(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx := context.Background()
	for i := range 5 {
		if _, err := s.Append(ctx, "pos-1", eventstore.Any, event("T", string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	all := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	if len(all) != 5 {
		t.Fatalf("ReadAll gave %d events, want 5 (system records skipped)", len(all))
	}
	for i, e := range all {
		if e.Position.Tx == 0 && e.Position.Pos == 0 {
			t.Fatalf("event %d has the zero position", i)
		}
		// A checkpoint kept as text elsewhere resumes exactly after the event.
		p, err := eventstore.ParsePosition(e.Position.String())
		if err != nil || p != e.Position {
			t.Fatalf("ParsePosition(%q) = %v, %v; want %v", e.Position.String(), p, err, e.Position)
		}
		rest := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{After: p}))
		if len(rest) != len(all)-i-1 || (len(rest) > 0 && rest[0].ID != all[i+1].ID) {
			t.Fatalf("ReadAll after %v gave %d events, want the %d after it", p, len(rest), len(all)-i-1)
		}
	}
	h, err := s.Head(ctx)
	if err != nil || h != all[4].Position {
		t.Fatalf("Head = %v, %v; want %v", h, err, all[4].Position)
	}
}

// TestForeignEvents reads events written by other tools: metadata that is not esgen's JSON
// is ignored rather than failing the read, and system records are skipped in $all.
func TestForeignEvents(t *testing.T) {
	t.Parallel()
	s, srv := fake(t, nil)
	ctx := context.Background()
	conf, err := esdbclient.ParseConnectionString(srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdbclient.NoopLogging()
	client, err := esdbclient.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for _, e := range []struct{ stream, typ, meta string }{
		{"legacy-1", "Legacy", "not json"},
		{"$system", "Internal", "{}"},
		{"legacy-1", "$>", ""},
	} {
		if _, err := client.AppendToStream(ctx, e.stream, esdbclient.AppendToStreamOptions{},
			esdbclient.EventData{EventType: e.typ, Data: []byte("x"), Metadata: []byte(e.meta)}); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	if len(got) != 1 || got[0].Type != "Legacy" || !got[0].Metadata.IsZero() {
		t.Fatalf("ReadAll gave %+v, want only the Legacy event with empty metadata", got)
	}
}
