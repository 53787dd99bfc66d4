package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/sqlite"
)

// open opens a migrated store on a fresh file, closed when the test ends.
func open(t testing.TB, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "events.db"), opts...)
}

func openAt(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, append([]sqlite.Option{sqlite.WithMigrate()}, opts...)...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func ev(typ, data string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: []byte(data)}
}

func collect(t testing.TB, seq func(func(eventstore.Event, error) bool)) []eventstore.Event {
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

func collectErr(seq func(func(eventstore.Event, error) bool)) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for e, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func versions(evs []eventstore.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Version)
	}
	return out
}

func positions(evs []eventstore.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Position.Pos)
	}
	return out
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

func TestAppendAndReadBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := open(t)
	meta := eventstore.Metadata{CorrelationID: "c-1", CausationID: "cmd-1", TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		TraceState: "k=v", SchemaFingerprint: 1<<63 + 5, Headers: map[string]string{"tenant": "acme"}}
	in := []eventstore.EventData{ev("Created", "a"), {Type: "Renamed", Data: []byte("b"), Metadata: meta}, {Type: "Empty"}}
	res, err := st.Append(ctx, "order-1", eventstore.NoStream, in...)
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstVersion != 1 || res.LastVersion != 3 || res.Position != (eventstore.Position{Pos: 3}) || res.Duplicate || len(res.EventIDs) != 3 {
		t.Fatalf("result %+v", res)
	}
	if res.EventIDs[0] != in[0].ID || res.EventIDs[1] == uuid.Nil || res.EventIDs[1].Version() != 7 {
		t.Fatalf("event IDs %v: want the given ID kept and a UUIDv7 generated", res.EventIDs)
	}
	got := collect(t, st.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{}))
	if !slices.Equal(versions(got), seq(1, 3)) || !slices.Equal(positions(got), seq(1, 3)) {
		t.Fatalf("versions %v positions %v", versions(got), positions(got))
	}
	if got[1].Type != "Renamed" || string(got[1].Data) != "b" || got[1].Metadata.Headers["tenant"] != "acme" ||
		got[1].Metadata.SchemaFingerprint != meta.SchemaFingerprint || got[1].Metadata.TraceParent != meta.TraceParent || got[1].Metadata.CorrelationID != "c-1" {
		t.Fatalf("event 2 = %+v", got[1])
	}
	if got[2].Data != nil || !got[2].Metadata.IsZero() {
		t.Fatalf("event 3 = %+v, want nil data and empty metadata", got[2])
	}
	if got[0].RecordedAt.IsZero() || got[0].RecordedAt.Location().String() != "UTC" {
		t.Fatalf("RecordedAt %v", got[0].RecordedAt)
	}
	back := collect(t, st.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{Direction: eventstore.Backward, From: 2}))
	if !slices.Equal(versions(back), []uint64{2, 1}) {
		t.Fatalf("backward from 2: %v", versions(back))
	}
	h, err := st.Head(ctx)
	if err != nil || h != (eventstore.Position{Pos: 3}) {
		t.Fatalf("Head = %v, %v", h, err)
	}
}

func TestExpectedVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		prior    int // events already in the stream
		expected eventstore.ExpectedVersion
		ok       bool
	}{
		{"any on absent", 0, eventstore.Any, true},
		{"no stream on absent", 0, eventstore.NoStream, true},
		{"exists on absent", 0, eventstore.StreamExists, false},
		{"exactly 1 on absent", 0, eventstore.Exactly(1), false},
		{"no stream on existing", 2, eventstore.NoStream, false},
		{"exists on existing", 2, eventstore.StreamExists, true},
		{"exactly 2 on 2", 2, eventstore.Exactly(2), true},
		{"exactly 1 on 2", 2, eventstore.Exactly(1), false},
		{"exactly 3 on 2", 2, eventstore.Exactly(3), false},
	}
	st := open(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := fmt.Sprintf("s-%d", i)
			if tc.prior > 0 {
				if _, err := st.Append(t.Context(), id, eventstore.Any, ev("A", "1"), ev("A", "2")); err != nil {
					t.Fatal(err)
				}
			}
			res, err := st.Append(t.Context(), id, tc.expected, ev("B", "x"))
			if tc.ok {
				if err != nil || res.LastVersion != uint64(tc.prior+1) {
					t.Fatalf("got %+v, %v", res, err)
				}
				return
			}
			var vc *eventstore.VersionConflictError
			if !errors.Is(err, eventstore.ErrWrongExpectedVersion) || !errors.As(err, &vc) {
				t.Fatalf("want a version conflict, got %v", err)
			}
			if vc.StreamID != id || vc.Actual != uint64(tc.prior) || vc.Exists != (tc.prior > 0) || vc.Expected != tc.expected {
				t.Fatalf("conflict %+v", vc)
			}
		})
	}
}

func TestIdempotentRetry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := open(t)
	batch := []eventstore.EventData{ev("A", "1"), ev("A", "2")}
	first, err := st.Append(ctx, "s", eventstore.NoStream, batch...)
	if err != nil {
		t.Fatal(err)
	}
	for _, exp := range []eventstore.ExpectedVersion{eventstore.NoStream, eventstore.Any, eventstore.Exactly(7)} {
		again, err := st.Append(ctx, "s", exp, batch...)
		if err != nil {
			t.Fatalf("retry with %s: %v", exp, err)
		}
		if !again.Duplicate || again.FirstVersion != first.FirstVersion || again.LastVersion != first.LastVersion || again.Position != first.Position {
			t.Fatalf("retry with %s: %+v, want the original %+v marked Duplicate", exp, again, first)
		}
	}
	tests := []struct {
		name  string
		batch []eventstore.EventData
	}{
		{"different data", []eventstore.EventData{{ID: batch[0].ID, Type: "A", Data: []byte("other")}}},
		{"different type", []eventstore.EventData{{ID: batch[0].ID, Type: "B", Data: []byte("1")}}},
		{"part of a batch", []eventstore.EventData{batch[1], ev("A", "3")}},
	}
	for _, tc := range tests {
		_, err := st.Append(ctx, "s", eventstore.Any, tc.batch...)
		if !errors.Is(err, eventstore.ErrDuplicateEventID) {
			t.Errorf("%s: want ErrDuplicateEventID, got %v", tc.name, err)
		}
	}
	if _, err := st.Append(ctx, "other", eventstore.Any, batch[0]); !errors.Is(err, eventstore.ErrDuplicateEventID) {
		t.Errorf("ID reused in another stream: want ErrDuplicateEventID, got %v", err)
	}
	if all := collect(t, st.ReadAll(ctx, eventstore.ReadAllOptions{})); len(all) != 2 {
		t.Fatalf("log holds %d events, want 2", len(all))
	}
}

func TestDeleteAndTombstone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := open(t)
	if _, err := st.Append(ctx, "s", eventstore.NoStream, ev("A", "1"), ev("A", "2")); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "s", eventstore.Exactly(1)); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("delete with a wrong version: %v", err)
	}
	if err := st.Delete(ctx, "s", eventstore.Exactly(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := collectErr(st.ReadStream(ctx, "s", eventstore.ReadStreamOptions{})); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("read deleted: %v", err)
	}
	if err := st.Delete(ctx, "s", eventstore.Any); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if in, _ := st.StreamInfo(ctx, "s"); in.State != eventstore.StreamSoftDeleted || in.Version != 2 {
		t.Fatalf("info %+v", in)
	}
	res, err := st.Append(ctx, "s", eventstore.NoStream, ev("A", "3"))
	if err != nil || res.FirstVersion != 3 {
		t.Fatalf("re-create: %+v %v", res, err)
	}
	if got := collect(t, st.ReadStream(ctx, "s", eventstore.ReadStreamOptions{})); !slices.Equal(versions(got), []uint64{3}) {
		t.Fatalf("re-created reads %v, want [3]", versions(got))
	}
	if got := collect(t, st.ReadStream(ctx, "s", eventstore.ReadStreamOptions{Direction: eventstore.Backward})); !slices.Equal(versions(got), []uint64{3}) {
		t.Fatalf("re-created reads backward %v, want [3]", versions(got))
	}
	if err := st.Tombstone(ctx, "s", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, "s", eventstore.Any, ev("A", "4")); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("append to tombstoned: %v", err)
	}
	if _, err := collectErr(st.ReadStream(ctx, "s", eventstore.ReadStreamOptions{})); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("read tombstoned: %v", err)
	}
	if all := collect(t, st.ReadAll(ctx, eventstore.ReadAllOptions{})); len(all) != 3 {
		t.Fatalf("global log holds %d events, want all 3 kept", len(all))
	}
}

func TestReadAllFiltersAndPages(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := open(t)
	for i := range 30 {
		stream := []string{"user-1", "order-1", "user-2", "usez", "ü-1"}[i%5]
		typ := []string{"A", "B", "C"}[i%3]
		if _, err := st.Append(ctx, stream, eventstore.Any, ev(typ, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	all := collect(t, st.ReadAll(ctx, eventstore.ReadAllOptions{}))
	tests := []struct {
		name string
		opts eventstore.ReadAllOptions
	}{
		{"all paged by 4", eventstore.ReadAllOptions{PageSize: 4}},
		{"after 7", eventstore.ReadAllOptions{After: eventstore.Position{Pos: 7}, PageSize: 3}},
		{"limit 5", eventstore.ReadAllOptions{Limit: 5, PageSize: 2}},
		{"types A C", eventstore.ReadAllOptions{Types: []string{"A", "C"}, PageSize: 2}},
		{"prefix user-", eventstore.ReadAllOptions{StreamPrefix: "user-", PageSize: 2}},
		{"prefix ü", eventstore.ReadAllOptions{StreamPrefix: "ü"}},
		{"prefix \\xff", eventstore.ReadAllOptions{StreamPrefix: "\xff"}},
		{"prefix and type limited", eventstore.ReadAllOptions{StreamPrefix: "user", Types: []string{"B"}, Limit: 2, PageSize: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []uint64
			for _, e := range all {
				if e.Position.Pos > tc.opts.After.Pos && tc.opts.Matches(&e) && (tc.opts.Limit == 0 || len(want) < tc.opts.Limit) {
					want = append(want, e.Position.Pos)
				}
			}
			got := collect(t, st.ReadAll(ctx, tc.opts))
			if !slices.Equal(positions(got), want) {
				t.Fatalf("positions %v, want %v", positions(got), want)
			}
		})
	}
}

// TestConcurrentWritersOneStream: every append with Exactly either commits or conflicts, and
// the stream ends with exactly the committed events, gap-free.
func TestConcurrentWritersOneStream(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := open(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := map[uuid.UUID]bool{}
	for range 8 {
		wg.Go(func() {
			for range 20 {
				info, err := st.StreamInfo(ctx, "hot")
				if err != nil {
					t.Error(err)
					return
				}
				e := ev("A", "x")
				_, err = st.Append(ctx, "hot", eventstore.Exactly(info.Version), e)
				switch {
				case err == nil:
					mu.Lock()
					committed[e.ID] = true
					mu.Unlock()
				case !errors.Is(err, eventstore.ErrWrongExpectedVersion):
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := collect(t, st.ReadStream(ctx, "hot", eventstore.ReadStreamOptions{}))
	if !slices.Equal(versions(got), seq(1, uint64(len(committed)))) {
		t.Fatalf("versions %v, want 1..%d", versions(got), len(committed))
	}
	for _, e := range got {
		if !committed[e.ID] {
			t.Fatalf("event %s was stored but its append failed", e.ID)
		}
	}
}

// TestSubscribeSeesHeldAppendOnce holds one append in the before-commit hook while others
// commit: a subscriber following the log still receives every event exactly once, in
// position order, and positions stay gap-free.
func TestSubscribeSeesHeldAppendOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	st := open(t)
	if _, err := st.Append(ctx, "a", eventstore.Any, ev("A", "0")); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		hctx := eventstore.WithBeforeCommit(ctx, func(context.Context) error {
			close(entered)
			<-release
			return nil
		})
		_, err := st.Append(hctx, "held", eventstore.Any, ev("H", "held"))
		held <- err
	}()
	<-entered
	for i := range 5 {
		if _, err := st.Append(ctx, "b", eventstore.Any, ev("B", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uuid.UUID]int{}
	var got []eventstore.Event
	for e, err := range st.Subscribe(ctx, eventstore.ReadAllOptions{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[e.ID]++
		got = append(got, e)
		if len(got) == 6 {
			close(release)
			if err := <-held; err != nil {
				t.Fatal(err)
			}
		}
		if len(got) == 7 {
			break
		}
	}
	if !slices.Equal(positions(got), seq(1, 7)) || got[6].StreamID != "held" {
		t.Fatalf("positions %v, last stream %q", positions(got), got[6].StreamID)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("event %s delivered %d times", id, n)
		}
	}
}

func TestCloseEndsEverything(t *testing.T) {
	t.Parallel()
	st := open(t)
	ctx := t.Context()
	if _, err := st.Append(ctx, "s", eventstore.Any, ev("A", "1")); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		for _, err := range st.Subscribe(ctx, eventstore.ReadAllOptions{PollInterval: 1 << 40}) {
			if err != nil {
				errc <- err
				return
			}
			close(started)
		}
	}()
	<-started
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("subscriber ended with %v, want ErrClosed", err)
	}
	if _, err := st.Append(ctx, "s", eventstore.Any, ev("A", "2")); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if _, err := st.Head(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("head after close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}
