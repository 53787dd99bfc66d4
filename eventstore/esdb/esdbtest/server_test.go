package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"testing"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore/esdb/esdbtest"
)

// client starts a double and connects the official client to it.
func client(t *testing.T, opts ...esdbtest.Option) *esdbclient.Client {
	t.Helper()
	srv, err := esdbtest.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	conf, err := esdbclient.ParseConnectionString(srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdbclient.NoopLogging()
	c, err := esdbclient.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	v, err := c.GetServerVersion()
	if err != nil || v.Major != 24 {
		t.Fatalf("server version %+v, %v; want 24.x", v, err)
	}
	return c
}

func evs(n int) []esdbclient.EventData {
	out := make([]esdbclient.EventData, n)
	for i := range out {
		out[i] = esdbclient.EventData{EventID: uuid.New(), EventType: "T", Data: []byte{byte(i)}}
	}
	return out
}

func code(err error) esdbclient.ErrorCode {
	var e *esdbclient.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

func readStream(t *testing.T, c *esdbclient.Client, stream string, opts esdbclient.ReadStreamOptions) ([]*esdbclient.RecordedEvent, error) {
	t.Helper()
	rs, err := c.ReadStream(context.Background(), stream, opts, 1000)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdbclient.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev.Event)
	}
}

func TestExpectedRevisions(t *testing.T) {
	t.Parallel()
	c := client(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		exp     esdbclient.ExpectedRevision
		ok      bool
		nextRev uint64
	}{
		{"NoStream on absent", esdbclient.NoStream{}, true, 0},
		{"NoStream on existing", esdbclient.NoStream{}, false, 0},
		{"revision 0", esdbclient.Revision(0), true, 1},
		{"stale revision 0", esdbclient.Revision(0), false, 0},
		{"StreamExists", esdbclient.StreamExists{}, true, 2},
		{"Any", esdbclient.Any{}, true, 3},
		{"revision ahead", esdbclient.Revision(7), false, 0},
	}
	for _, tc := range tests {
		wr, err := c.AppendToStream(ctx, "s", esdbclient.AppendToStreamOptions{ExpectedRevision: tc.exp}, evs(1)...)
		if tc.ok {
			if err != nil || wr.NextExpectedVersion != tc.nextRev {
				t.Errorf("%s: %+v, %v; want next revision %d", tc.name, wr, err, tc.nextRev)
			}
			continue
		}
		if code(err) != esdbclient.ErrorCodeWrongExpectedVersion {
			t.Errorf("%s: %v, want WrongExpectedVersion", tc.name, err)
		}
	}
	if _, err := c.AppendToStream(ctx, "other", esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.StreamExists{}}, evs(1)...); code(err) != esdbclient.ErrorCodeWrongExpectedVersion {
		t.Errorf("StreamExists on an absent stream: %v, want WrongExpectedVersion", err)
	}
}

func TestIdempotentWrites(t *testing.T) {
	t.Parallel()
	c := client(t, esdbtest.WithIdempotencyCache(2))
	ctx := context.Background()
	batch := evs(2)
	first, err := c.AppendToStream(ctx, "i", esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.NoStream{}}, batch...)
	if err != nil {
		t.Fatal(err)
	}
	// Same IDs, same expected revision: a replay, answered without a position.
	again, err := c.AppendToStream(ctx, "i", esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.NoStream{}}, batch...)
	if err != nil || again.NextExpectedVersion != first.NextExpectedVersion || again.CommitPosition != 0 {
		t.Fatalf("replay: %+v, %v; want revision %d and no position", again, err, first.NextExpectedVersion)
	}
	// Only part of the IDs match at that revision: WrongExpectedVersion.
	partial := []esdbclient.EventData{batch[0], evs(1)[0]}
	if _, err := c.AppendToStream(ctx, "i", esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.NoStream{}}, partial...); code(err) != esdbclient.ErrorCodeWrongExpectedVersion {
		t.Fatalf("partial replay: %v, want WrongExpectedVersion", err)
	}
	// Any: recognised while the first ID is cached.
	if wr, err := c.AppendToStream(ctx, "i", esdbclient.AppendToStreamOptions{}, batch...); err != nil || wr.CommitPosition != 0 {
		t.Fatalf("Any replay from the cache: %+v, %v; want a replay", wr, err)
	}
	// Evict the IDs (cache of 2), and the Any replay is written again.
	if _, err := c.AppendToStream(ctx, "j", esdbclient.AppendToStreamOptions{}, evs(2)...); err != nil {
		t.Fatal(err)
	}
	if wr, err := c.AppendToStream(ctx, "i", esdbclient.AppendToStreamOptions{}, batch...); err != nil || wr.NextExpectedVersion != 3 {
		t.Fatalf("Any replay after eviction: %+v, %v; want it written again at revisions 2..3", wr, err)
	}
	got, err := readStream(t, c, "i", esdbclient.ReadStreamOptions{})
	if err != nil || len(got) != 4 {
		t.Fatalf("stream holds %d events (%v), want 4", len(got), err)
	}
}

func TestDeletes(t *testing.T) {
	t.Parallel()
	c := client(t)
	ctx := context.Background()
	if _, err := c.AppendToStream(ctx, "d", esdbclient.AppendToStreamOptions{}, evs(2)...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteStream(ctx, "d", esdbclient.DeleteStreamOptions{ExpectedRevision: esdbclient.Revision(0)}); err == nil {
		t.Fatal("delete with a stale revision succeeded")
	}
	if _, err := c.DeleteStream(ctx, "d", esdbclient.DeleteStreamOptions{ExpectedRevision: esdbclient.Revision(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := readStream(t, c, "d", esdbclient.ReadStreamOptions{}); code(err) != esdbclient.ErrorCodeResourceNotFound {
		t.Fatalf("read after soft delete: %v, want not found", err)
	}
	// Re-created with the last revision; revisions continue.
	wr, err := c.AppendToStream(ctx, "d", esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.Revision(1)}, evs(1)...)
	if err != nil || wr.NextExpectedVersion != 2 {
		t.Fatalf("re-create: %+v, %v; want revision 2", wr, err)
	}
	got, err := readStream(t, c, "d", esdbclient.ReadStreamOptions{})
	if err != nil || len(got) != 1 || got[0].EventNumber != 2 {
		t.Fatalf("re-created stream reads %v, %v; want only revision 2", got, err)
	}
	if _, err := c.TombstoneStream(ctx, "d", esdbclient.TombstoneStreamOptions{ExpectedRevision: esdbclient.Any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := readStream(t, c, "d", esdbclient.ReadStreamOptions{}); code(err) != esdbclient.ErrorCodeStreamDeleted {
		t.Fatalf("read after tombstone: %v, want stream deleted", err)
	}
	if _, err := c.AppendToStream(ctx, "d", esdbclient.AppendToStreamOptions{}, evs(1)...); code(err) != esdbclient.ErrorCodeStreamDeleted {
		t.Fatalf("append after tombstone: %v, want stream deleted", err)
	}
}

func TestAllPositionsAndFilters(t *testing.T) {
	t.Parallel()
	c := client(t)
	ctx := context.Background()
	if _, err := c.AppendToStream(ctx, "a-1", esdbclient.AppendToStreamOptions{}, evs(3)...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppendToStream(ctx, "b-1", esdbclient.AppendToStreamOptions{}, evs(2)...); err != nil {
		t.Fatal(err)
	}
	rs, err := c.ReadAll(ctx, esdbclient.ReadAllOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var all []*esdbclient.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ev.Event)
	}
	rs.Close()
	if len(all) != 6 || all[0].EventType[0] != '$' {
		t.Fatalf("$all holds %d records, want 6 starting with a system record", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Position.Commit <= all[i-1].Position.Commit {
			t.Fatalf("positions not increasing: %v then %v", all[i-1].Position, all[i].Position)
		}
	}
	// A counted read from a position includes it.
	rs, err = c.ReadAll(ctx, esdbclient.ReadAllOptions{From: all[2].Position}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := rs.Recv()
	rs.Close()
	if err != nil || ev.Event.Position != all[2].Position {
		t.Fatalf("read from %v gave %v, %v; want the event at that position", all[2].Position, ev, err)
	}
	// A subscription from a position starts after it, and filters on the server.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := c.SubscribeToAll(sctx, esdbclient.SubscribeToAllOptions{
		From:   all[2].Position,
		Filter: &esdbclient.SubscriptionFilter{Type: esdbclient.StreamFilterType, Prefixes: []string{"b-"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var seen []string
	for len(seen) < 2 {
		m := sub.Recv()
		if m.SubscriptionDropped != nil {
			t.Fatal(m.SubscriptionDropped.Error)
		}
		if m.EventAppeared != nil {
			seen = append(seen, m.EventAppeared.Event.StreamID)
		}
	}
	if seen[0] != "b-1" || seen[1] != "b-1" {
		t.Fatalf("filtered subscription delivered %v, want b-1 twice", seen)
	}
}
