package esdb_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/esdb"
	"github.com/esgen/esgen/eventstore/esdb/esdbtest"
)

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		expected func(before uint64) eventstore.ExpectedVersion
		opts     []esdb.Option
	}{
		{"Exactly, read before append", func(v uint64) eventstore.ExpectedVersion { return eventstore.Exactly(v) }, nil},
		{"Any, read before append", func(uint64) eventstore.ExpectedVersion { return eventstore.Any }, nil},
		{"StreamExists, read before append", func(uint64) eventstore.ExpectedVersion { return eventstore.StreamExists }, nil},
		// Without the read, the server recognises the retry and answers without a position.
		{"Exactly, server only", func(v uint64) eventstore.ExpectedVersion { return eventstore.Exactly(v) }, []esdb.Option{esdb.WithoutReadBeforeAppend()}},
		{"Any, server cache only", func(uint64) eventstore.ExpectedVersion { return eventstore.Any }, []esdb.Option{esdb.WithoutReadBeforeAppend()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := fake(t, nil, tc.opts...)
			ctx := context.Background()
			if _, err := s.Append(ctx, "r-1", eventstore.NoStream, event("Seed", "0")); err != nil {
				t.Fatal(err)
			}
			batch := []eventstore.EventData{event("T", "a"), event("T", "b")}
			first, err := s.Append(ctx, "r-1", tc.expected(1), batch...)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := s.Append(ctx, "r-1", tc.expected(1), batch...)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if !retry.Duplicate || retry.FirstVersion != first.FirstVersion || retry.LastVersion != first.LastVersion ||
				retry.Position != first.Position || !slices.Equal(retry.EventIDs, first.EventIDs) {
				t.Fatalf("retry gave %+v, want the original %+v marked Duplicate", retry, first)
			}
			if got := collect(t, s.ReadStream(ctx, "r-1", eventstore.ReadStreamOptions{})); len(got) != 3 {
				t.Fatalf("the stream holds %d events after the retry, want 3", len(got))
			}
		})
	}
}

func TestIDReuse(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx := context.Background()
	a, b := event("T", "a"), event("T", "b")
	if _, err := s.Append(ctx, "u-1", eventstore.NoStream, a, b); err != nil {
		t.Fatal(err)
	}
	changed := b
	changed.Data = []byte("different")
	tests := []struct {
		name     string
		expected eventstore.ExpectedVersion
		batch    []eventstore.EventData
	}{
		{"same IDs, different data", eventstore.NoStream, []eventstore.EventData{a, changed}},
		{"same IDs, different data, Any", eventstore.Any, []eventstore.EventData{a, changed}},
		{"committed IDs plus a fresh one", eventstore.Any, []eventstore.EventData{a, b, event("T", "c")}},
		{"a fresh event before a committed one", eventstore.Any, []eventstore.EventData{event("T", "c"), b}},
		{"the second half only", eventstore.Exactly(1), []eventstore.EventData{b, event("T", "c")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Append(ctx, "u-1", tc.expected, tc.batch...)
			if !errors.Is(err, eventstore.ErrDuplicateEventID) {
				t.Fatalf("got %v, want ErrDuplicateEventID", err)
			}
		})
	}
	if got := collect(t, s.ReadStream(ctx, "u-1", eventstore.ReadStreamOptions{})); len(got) != 2 {
		t.Fatalf("the stream holds %d events, want the 2 original", len(got))
	}
}

// TestAnyRetryIsBestEffort shows the difference documented in the package: with Any, a retry
// whose events are no longer the stream's last and no longer in the server's cache is
// written again.
func TestAnyRetryIsBestEffort(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, []esdbtest.Option{esdbtest.WithIdempotencyCache(1)})
	ctx := context.Background()
	batch := event("T", "a")
	if _, err := s.Append(ctx, "b-1", eventstore.Any, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "b-1", eventstore.Any, event("T", "later")); err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(ctx, "b-1", eventstore.Any, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.FirstVersion != 3 {
		t.Fatalf("late Any retry gave %+v; the double (like the server) should have written it again at version 3", res)
	}
	// With an exact expected version the same late retry is recognised.
	res, err = s.Append(ctx, "b-1", eventstore.NoStream, batch)
	if err != nil || !res.Duplicate || res.FirstVersion != 1 {
		t.Fatalf("late Exactly retry gave %+v, want Duplicate", res)
	}
}

func TestSoftDelete(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx := context.Background()
	if _, err := s.Append(ctx, "d-1", eventstore.NoStream, event("T", "1"), event("T", "2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "d-1", eventstore.Exactly(1)); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("Delete with a wrong version: %v, want a conflict", err)
	}
	if err := s.Delete(ctx, "d-1", eventstore.Exactly(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "d-1", eventstore.Any); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("second Delete: %v, want ErrStreamNotFound", err)
	}
	if err := s.Delete(ctx, "never", eventstore.Any); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("Delete of an absent stream: %v, want ErrStreamNotFound", err)
	}
	for _, err := range s.ReadStream(ctx, "d-1", eventstore.ReadStreamOptions{}) {
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Fatalf("read after delete: %v, want ErrStreamNotFound", err)
		}
	}
	info, err := s.StreamInfo(ctx, "d-1")
	if err != nil || info != (eventstore.StreamInfo{StreamID: "d-1", Version: 2, State: eventstore.StreamSoftDeleted}) {
		t.Fatalf("StreamInfo = %+v, %v; want soft-deleted at version 2", info, err)
	}
	_, err = s.Append(ctx, "d-1", eventstore.Exactly(2), event("T", "3"))
	var vc *eventstore.VersionConflictError
	if !errors.As(err, &vc) || vc.Exists || vc.Actual != 2 {
		t.Fatalf("Exactly(2) on the deleted stream: %v, want a conflict (actual 2, not existing)", err)
	}
	res, err := s.Append(ctx, "d-1", eventstore.NoStream, event("T", "3"))
	if err != nil || res.FirstVersion != 3 {
		t.Fatalf("re-creating: %+v, %v; want version 3", res, err)
	}
	got := collect(t, s.ReadStream(ctx, "d-1", eventstore.ReadStreamOptions{}))
	if len(got) != 1 || got[0].Version != 3 {
		t.Fatalf("the re-created stream reads %+v, want only version 3", got)
	}
	if all := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{})); len(all) != 3 {
		t.Fatalf("$all holds %d events, want 3 (deleted events stay in the log)", len(all))
	}
}

// TestSoftDeleteWithoutRead shows EventStoreDB's own rule that the read before append hides:
// the last revision of a soft-deleted stream re-creates it.
func TestSoftDeleteWithoutRead(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil, esdb.WithoutReadBeforeAppend())
	ctx := context.Background()
	if _, err := s.Append(ctx, "d-2", eventstore.NoStream, event("T", "1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "d-2", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(ctx, "d-2", eventstore.Exactly(1), event("T", "2"))
	if err != nil || res.LastVersion != 2 {
		t.Fatalf("Exactly(1) on the deleted stream without the read: %+v, %v; want version 2 (the server's rule)", res, err)
	}
}

func TestTombstone(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx := context.Background()
	if _, err := s.Append(ctx, "t-1", eventstore.NoStream, event("T", "1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Tombstone(ctx, "t-1", eventstore.Exactly(3)); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("Tombstone with a wrong version: %v, want a conflict", err)
	}
	if err := s.Tombstone(ctx, "t-1", eventstore.Exactly(1)); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	_, checks["append"] = s.Append(ctx, "t-1", eventstore.Any, event("T", "2"))
	checks["delete"] = s.Delete(ctx, "t-1", eventstore.Any)
	checks["tombstone"] = s.Tombstone(ctx, "t-1", eventstore.Any)
	for _, err := range s.ReadStream(ctx, "t-1", eventstore.ReadStreamOptions{}) {
		checks["read"] = err
	}
	for op, err := range checks {
		if !errors.Is(err, eventstore.ErrStreamDeleted) {
			t.Errorf("%s after tombstone: %v, want ErrStreamDeleted", op, err)
		}
	}
	info, err := s.StreamInfo(ctx, "t-1")
	if err != nil || info != (eventstore.StreamInfo{StreamID: "t-1", Version: 1, State: eventstore.StreamTombstoned}) {
		t.Fatalf("StreamInfo = %+v, %v; want tombstoned at version 1", info, err)
	}
	if all := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{})); len(all) != 1 {
		t.Fatalf("$all holds %d events, want 1 ($streamDeleted skipped)", len(all))
	}
}

func TestReadAllFilters(t *testing.T) {
	t.Parallel()
	// 24.10 filters ReadAll on the server; 22.10 sends no CaughtUp, so ReadAll filters here.
	for _, version := range []string{"24.10.0", "22.10.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			testReadAllFilters(t, version)
		})
	}
}

func testReadAllFilters(t *testing.T, version string) {
	s, _ := fake(t, []esdbtest.Option{esdbtest.WithVersion(version)})
	ctx := context.Background()
	var positions []eventstore.Position
	for _, a := range []struct{ stream, typ string }{
		{"order-1", "Created"}, {"user-1", "Created"}, {"order-2", "Paid"}, {"order-1", "Paid"}, {"order-1", "Created.v2"},
	} {
		res, err := s.Append(ctx, a.stream, eventstore.Any, event(a.typ, a.stream))
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, res.Position)
	}
	// Records after the last event must not stop the read early or leak into it.
	if err := s.Delete(ctx, "user-1", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts eventstore.ReadAllOptions
		want int
	}{
		{"all", eventstore.ReadAllOptions{}, 5},
		{"types", eventstore.ReadAllOptions{Types: []string{"Created"}}, 2},
		{"prefix", eventstore.ReadAllOptions{StreamPrefix: "order-"}, 4},
		{"both", eventstore.ReadAllOptions{StreamPrefix: "order-", Types: []string{"Paid", "Created"}}, 3},
		{"types after a checkpoint", eventstore.ReadAllOptions{Types: []string{"Created"}, After: positions[0]}, 1},
		{"prefix after the last", eventstore.ReadAllOptions{StreamPrefix: "order-", After: positions[4]}, 0},
		{"limit", eventstore.ReadAllOptions{Limit: 2}, 2},
		{"filtered limit", eventstore.ReadAllOptions{StreamPrefix: "order-", Limit: 3}, 3},
		{"page of one", eventstore.ReadAllOptions{PageSize: 1}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := collect(t, s.ReadAll(ctx, tc.opts)); len(got) != tc.want {
				t.Fatalf("ReadAll(%+v) gave %d events, want %d", tc.opts, len(got), tc.want)
			}
			if tc.opts.Limit > 0 || tc.want == 0 {
				return
			}
			// Subscribe filters the same way, on the server.
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			n := 0
			for _, err := range s.Subscribe(sctx, tc.opts) {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == tc.want {
					break
				}
			}
		})
	}
}

func TestSubscribe(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx := context.Background()
	if _, err := s.Append(ctx, "s-1", eventstore.NoStream, event("T", "1"), event("T", "2")); err != nil {
		t.Fatal(err)
	}
	log := collect(t, s.ReadAll(ctx, eventstore.ReadAllOptions{}))
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got []string
	var final error
	for e, err := range s.Subscribe(sctx, eventstore.ReadAllOptions{After: log[0].Position}) {
		if err != nil {
			final = err
			break
		}
		got = append(got, e.StreamID+"/"+string(e.Data))
		switch len(got) {
		case 1:
			// Caught up; a live append arrives next.
			if _, err := s.Append(ctx, "s-2", eventstore.NoStream, event("T", "3")); err != nil {
				t.Fatal(err)
			}
		case 2:
			cancel()
		}
	}
	if !slices.Equal(got, []string{"s-1/2", "s-2/3"}) {
		t.Fatalf("subscription delivered %v, want [s-1/2 s-2/3]", got)
	}
	if !errors.Is(final, context.Canceled) {
		t.Fatalf("subscription ended with %v, want context.Canceled", final)
	}
}

func TestSubscribeLive(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start, err := s.Append(ctx, "l-1", eventstore.NoStream, event("T", "0"))
	if err != nil {
		t.Fatal(err)
	}
	next := make(chan struct{})
	go func() {
		for range next {
			if _, err := s.Append(context.Background(), "l-1", eventstore.Any, event("T", "x")); err != nil {
				t.Error(err)
			}
		}
	}()
	defer close(next)
	var versions []uint64
	next <- struct{}{}
	for e, err := range s.Subscribe(ctx, eventstore.ReadAllOptions{After: start.Position}) {
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, e.Version)
		if len(versions) == 3 {
			break
		}
		next <- struct{}{}
	}
	if !slices.Equal(versions, []uint64{2, 3, 4}) {
		t.Fatalf("subscription delivered versions %v, want [2 3 4]", versions)
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil)
	ctx := context.Background()
	if _, err := s.Append(ctx, "c-1", eventstore.NoStream, event("T", "1")); err != nil {
		t.Fatal(err)
	}
	var final error
	for _, err := range s.Subscribe(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			final = err
			break
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !errors.Is(final, eventstore.ErrClosed) {
		t.Fatalf("subscription ended with %v after Close, want ErrClosed", final)
	}
	if _, err := s.Append(ctx, "c-1", eventstore.Any, event("T", "2")); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
}

func TestNamespace(t *testing.T) {
	t.Parallel()
	srv, err := esdbtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func(ns string) *esdb.Store {
		s, err := esdb.Open(ctx, srv.ConnectionString(), esdb.WithNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open("tenant-a/"), open("tenant-b/")
	ra, err := a.Append(ctx, "order-1", eventstore.NoStream, event("T", "a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Append(ctx, "order-1", eventstore.NoStream, event("T", "b1"), event("T", "b2")); err != nil {
		t.Fatal(err)
	}
	got := collect(t, a.ReadAll(ctx, eventstore.ReadAllOptions{}))
	if len(got) != 1 || got[0].StreamID != "order-1" {
		t.Fatalf("namespace a reads %+v, want its one event in stream order-1", got)
	}
	if h, err := a.Head(ctx); err != nil || h != ra.Position {
		t.Fatalf("namespace a Head = %v, %v; want %v", h, err, ra.Position)
	}
	if info, err := b.StreamInfo(ctx, "order-1"); err != nil || info.Version != 2 {
		t.Fatalf("namespace b StreamInfo = %+v, %v; want version 2", info, err)
	}
	for e, err := range b.Subscribe(ctx, eventstore.ReadAllOptions{}) {
		if err != nil || e.StreamID != "order-1" || string(e.Data) != "b1" {
			t.Fatalf("namespace b subscription gave %+v, %v; want its first event", e, err)
		}
		break
	}
	if _, err := esdb.Open(ctx, srv.ConnectionString(), esdb.WithNamespace("$sys")); !errors.Is(err, eventstore.ErrInvalidInput) {
		t.Fatalf("a $ namespace: %v, want ErrInvalidInput", err)
	}
}

func TestMaxAppendSize(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, []esdbtest.Option{esdbtest.WithMaxAppendSize(4096)})
	ctx := context.Background()
	big := event("T", strings.Repeat("x", 5000))
	_, err := s.Append(ctx, "big-1", eventstore.NoStream, big)
	if !errors.Is(err, eventstore.ErrInvalidInput) {
		t.Fatalf("append over the server's maximum append size: %v, want ErrInvalidInput", err)
	}
	if info, err := s.StreamInfo(ctx, "big-1"); err != nil || info.State != eventstore.StreamAbsent {
		t.Fatalf("after the rejected append StreamInfo = %+v, %v; want absent", info, err)
	}
	if _, err := s.Append(ctx, "big-1", eventstore.NoStream, event("T", "small")); err != nil {
		t.Fatalf("a small append after the rejected one: %v", err)
	}
}

// TestServerDetectedIDReuse: without the read before append, the server's refusal of
// partly committed IDs reaches the caller as ErrDuplicateEventID, not as a version conflict.
func TestServerDetectedIDReuse(t *testing.T) {
	t.Parallel()
	s, _ := fake(t, nil, esdb.WithoutReadBeforeAppend())
	ctx := context.Background()
	a, b := event("T", "a"), event("T", "b")
	if _, err := s.Append(ctx, "sr-1", eventstore.NoStream, a, b); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []eventstore.ExpectedVersion{eventstore.Any, eventstore.StreamExists} {
		_, err := s.Append(ctx, "sr-1", exp, a, event("T", "c"))
		if !errors.Is(err, eventstore.ErrDuplicateEventID) || errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			t.Errorf("%s with a committed and a fresh ID: %v, want ErrDuplicateEventID", exp, err)
		}
	}
	if info, err := s.StreamInfo(ctx, "sr-1"); err != nil || info.Version != 2 {
		t.Fatalf("StreamInfo = %+v, %v; want version 2 (nothing written)", info, err)
	}
}
