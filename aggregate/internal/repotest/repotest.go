// Package repotest is the behaviour suite of aggregate.Repository, run against every event
// store backend and snapshot store by the aggregate packages' tests.
package repotest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/testdomain"
	"github.com/esgen/esgen/eventstore"
)

// Backend builds the stores a test uses.
type Backend struct {
	// Open returns an empty event store and an empty snapshot store (in the same database
	// where the backend has one), closed when t ends.
	Open func(t testing.TB) (eventstore.Store, aggregate.SnapshotStore)
}

func (b Backend) events(t testing.TB) eventstore.Store {
	s, _ := b.Open(t)
	return s
}

// Run runs the suite.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"CreateThenLoad", testCreateThenLoad},
		{"LoadMissing", testLoadMissing},
		{"CreateExisting", testCreateExisting},
		{"CreateWithoutEvents", testCreateWithoutEvents},
		{"DecisionErrorSavesNothing", testDecisionError},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConflictGivesUpAfterMaxAttempts", testConflictGivesUp},
		{"IdempotentCommandAfterLostReply", testIdempotentLostReply},
		{"IdempotentCommandHiddenBySnapshot", testIdempotentHiddenBySnapshot},
		{"IdempotentCreate", testIdempotentCreate},
		{"Metadata", testMetadata},
		{"SnapshotReadsOnlyTail", testSnapshotTail},
		{"SnapshotStaleSchemaVersion", testSnapshotStaleSchema},
		{"SnapshotCorrupt", testSnapshotCorrupt},
		{"SnapshotOfAnotherStreamLife", testSnapshotMismatch},
		{"SnapshotWriteFailureKeepsSave", testSnapshotWriteFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, b)
		})
	}
}

// Counting wraps a store and counts the events its ReadStream yields.
type Counting struct {
	eventstore.Store
	read atomic.Int64
}

// ReadStream counts yielded events.
func (c *Counting) ReadStream(ctx context.Context, streamID string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for e, err := range c.Store.ReadStream(ctx, streamID, opts) {
			if err == nil {
				c.read.Add(1)
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// Reset returns the count so far and resets it.
func (c *Counting) Reset() int64 { return c.read.Swap(0) }

// lostReply wraps a store: while armed, an append commits and then reports a timeout, as
// when the connection drops after the commit.
type lostReply struct {
	eventstore.Store
	armed atomic.Bool
}

var errTimeout = errors.New("i/o timeout after commit")

func (l *lostReply) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := l.Store.Append(ctx, streamID, expected, events...)
	if err == nil && l.armed.Swap(false) {
		return eventstore.AppendResult{}, errTimeout
	}
	return res, err
}

// failingSnapshots fails every Put.
type failingSnapshots struct{ aggregate.SnapshotStore }

func (failingSnapshots) Put(context.Context, aggregate.Snapshot) error {
	return errors.New("snapshot store unavailable")
}

func newRepo(t testing.TB, store eventstore.Store, opts ...aggregate.Option) *aggregate.Repository[*testdomain.Order] {
	t.Helper()
	r := aggregate.NewRepository(store, testdomain.Type(), opts...)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

func create(t testing.TB, r *aggregate.Repository[*testdomain.Order], id string) {
	t.Helper()
	if _, err := r.Create(t.Context(), id, func(o *testdomain.Order) error { return o.Create("ada") }); err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
}

func addItems(t testing.TB, r *aggregate.Repository[*testdomain.Order], id string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := r.Update(t.Context(), id, func(o *testdomain.Order) error { return o.AddItem(fmt.Sprintf("sku-%d", i), 1) }); err != nil {
			t.Fatalf("add item %d: %v", i, err)
		}
	}
}

func streamEvents(t testing.TB, store eventstore.Store, streamID string) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for e, err := range store.ReadStream(t.Context(), streamID, eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatalf("read %s: %v", streamID, err)
		}
		out = append(out, e)
	}
	return out
}

func countType(events []eventstore.Event, typ string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func testCreateThenLoad(t *testing.T, b Backend) {
	store := b.events(t)
	r := newRepo(t, store)
	created, err := r.Create(t.Context(), "1", func(o *testdomain.Order) error { return o.Create("ada") })
	if err != nil {
		t.Fatal(err)
	}
	if created.Version() != 1 || len(created.Pending()) != 0 || created.ID() != "1" {
		t.Fatalf("after create: version %d, %d pending, id %q; want 1, 0, \"1\"", created.Version(), len(created.Pending()), created.ID())
	}
	addItems(t, r, "1", 0, 2)
	o, err := r.Load(t.Context(), "1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Version() != 3 || o.Customer != "ada" || o.Lines != 2 || o.Items["sku-1"] != 1 {
		t.Fatalf("loaded %+v at version %d; want customer ada, 2 lines, version 3", o, o.Version())
	}
	// Save of a loaded aggregate with recorded events advances it; a second Save is a no-op.
	if err := o.Pay(5); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if o.Version() != 4 || len(o.Pending()) != 0 {
		t.Fatalf("after save: version %d, %d pending; want 4, 0", o.Version(), len(o.Pending()))
	}
	if n := len(streamEvents(t, store, "order-1")); n != 4 {
		t.Fatalf("stream has %d events, want 4", n)
	}
}

func testLoadMissing(t *testing.T, b Backend) {
	r := newRepo(t, b.events(t))
	_, err := r.Load(t.Context(), "nope")
	if !errors.Is(err, aggregate.ErrNotFound) {
		t.Fatalf("Load of an absent aggregate: %v; want ErrNotFound", err)
	}
	_, err = r.Update(t.Context(), "nope", func(o *testdomain.Order) error { return o.Pay(1) })
	if !errors.Is(err, aggregate.ErrNotFound) {
		t.Fatalf("Update of an absent aggregate: %v; want ErrNotFound", err)
	}
}

func testCreateExisting(t *testing.T, b Backend) {
	store := b.events(t)
	r := newRepo(t, store)
	create(t, r, "1")
	_, err := r.Create(t.Context(), "1", func(o *testdomain.Order) error { return o.Create("bob") })
	if !errors.Is(err, aggregate.ErrAlreadyExists) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("second Create: %v; want ErrAlreadyExists wrapping ErrWrongExpectedVersion", err)
	}
	if !strings.Contains(err.Error(), "order-1") {
		t.Errorf("error %q does not name the stream", err)
	}
	o, err := r.Load(t.Context(), "1")
	if err != nil || o.Customer != "ada" || o.Version() != 1 {
		t.Fatalf("after failed create: %+v, %v; want the first order unchanged", o, err)
	}
}

func testCreateWithoutEvents(t *testing.T, b Backend) {
	r := newRepo(t, b.events(t))
	_, err := r.Create(t.Context(), "1", func(*testdomain.Order) error { return nil })
	if !errors.Is(err, aggregate.ErrNoEvents) {
		t.Fatalf("Create recording nothing: %v; want ErrNoEvents", err)
	}
}

func testDecisionError(t *testing.T, b Backend) {
	store := b.events(t)
	r := newRepo(t, store)
	create(t, r, "1")
	_, err := r.Update(t.Context(), "1", func(o *testdomain.Order) error {
		if err := o.AddItem("a", 1); err != nil { // recorded, then the decision fails
			return err
		}
		return o.AddItem("b", 0)
	})
	if !errors.Is(err, testdomain.ErrBadQuantity) {
		t.Fatalf("Update: %v; want the decision's ErrBadQuantity", err)
	}
	if n := len(streamEvents(t, store, "order-1")); n != 1 {
		t.Fatalf("stream has %d events after a failed decision, want 1", n)
	}
	_, err = r.Create(t.Context(), "2", func(*testdomain.Order) error { return testdomain.ErrNotCreated })
	if !errors.Is(err, testdomain.ErrNotCreated) {
		t.Fatalf("Create: %v; want the decision's error", err)
	}
}

func testConcurrentUpdates(t *testing.T, b Backend) {
	store := b.events(t)
	r := newRepo(t, store, aggregate.WithRetry(aggregate.RetryPolicy{MaxAttempts: 1000, InitialBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}))
	create(t, r, "1")
	const workers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				sku := fmt.Sprintf("w%d-%d", w, i)
				if _, err := r.Update(t.Context(), "1", func(o *testdomain.Order) error { return o.AddItem(sku, 1) }); err != nil {
					errs <- fmt.Errorf("%s: %w", sku, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(streamEvents(t, store, "order-1")); n != 1+workers*each {
		t.Fatalf("stream has %d events, want %d (1 create + %d updates)", n, 1+workers*each, workers*each)
	}
	o, err := r.Load(t.Context(), "1")
	if err != nil {
		t.Fatal(err)
	}
	for w := range workers {
		for i := range each {
			if sku := fmt.Sprintf("w%d-%d", w, i); o.Items[sku] != 1 {
				t.Errorf("item %s has quantity %d, want 1: a decision was lost or doubled", sku, o.Items[sku])
			}
		}
	}
}

// racing is a store whose appends first let another writer append to the same stream, so
// every append conflicts.
type racing struct {
	eventstore.Store
	codec eventstore.Codec
}

func (s *racing) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if _, ok := expected.Exact(); ok {
		ed, err := eventstore.Encode(s.codec, &testdomain.ItemAdded{SKU: "other", Qty: 1}, eventstore.Metadata{})
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if _, err := s.Store.Append(ctx, streamID, eventstore.Any, ed); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	return s.Store.Append(ctx, streamID, expected, events...)
}

func testConflictGivesUp(t *testing.T, b Backend) {
	store := b.events(t)
	r := newRepo(t, &racing{Store: store, codec: testdomain.NewCodec()},
		aggregate.WithRetry(aggregate.RetryPolicy{MaxAttempts: 3, InitialBackoff: 0, MaxBackoff: 0}))
	create(t, r, "1")
	calls := 0
	_, err := r.Update(t.Context(), "1", func(o *testdomain.Order) error { calls++; return o.AddItem("mine", 1) })
	var vc *eventstore.VersionConflictError
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) || !errors.As(err, &vc) {
		t.Fatalf("Update against a writer that always wins: %v; want a version conflict", err)
	}
	if calls != 3 {
		t.Fatalf("decision ran %d times, want 3 (MaxAttempts)", calls)
	}
	o, err := r.Load(t.Context(), "1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Items["mine"] != 0 || o.Items["other"] != 3 {
		t.Fatalf("items %v; want only the 3 competing writes", o.Items)
	}
}

func testIdempotentLostReply(t *testing.T, b Backend) {
	inner := b.events(t)
	store := &lostReply{Store: inner}
	r := newRepo(t, store)
	create(t, r, "1")
	ctx := aggregate.WithCommandID(t.Context(), "pay-1")
	pay := func(o *testdomain.Order) error { return o.Pay(10) }

	store.armed.Store(true)
	if _, err := r.Update(ctx, "1", pay); !errors.Is(err, errTimeout) {
		t.Fatalf("first attempt: %v; want the lost reply's timeout", err)
	}
	// The retry's decision would now fail (already paid): the command is recognised first.
	o, err := r.Update(ctx, "1", pay)
	if err != nil {
		t.Fatalf("retry of an applied command: %v; want success", err)
	}
	if o.Paid != 10 || o.Version() != 2 {
		t.Fatalf("retry returned paid %d at version %d; want 10 at 2", o.Paid, o.Version())
	}
	// A decision that would succeed again is not recorded twice either.
	create(t, r, "2")
	add := aggregate.WithCommandID(t.Context(), "add-1")
	for range 2 {
		if _, err := r.Update(add, "2", func(o *testdomain.Order) error { return o.AddItem("x", 1) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := countType(streamEvents(t, inner, "order-2"), testdomain.ItemAddedType); n != 1 {
		t.Fatalf("the same add command run twice recorded %d items, want 1", n)
	}
	events := streamEvents(t, inner, "order-1")
	if n := countType(events, testdomain.PaymentProcessedType); n != 1 {
		t.Fatalf("%d payments recorded, want 1", n)
	}
	if got, want := events[1].ID, aggregate.CommandEventID("pay-1", "order-1", 0); got != want {
		t.Fatalf("payment event ID %s, want the command's deterministic ID %s", got, want)
	}
	if md := events[1].Metadata; md.CausationID != "pay-1" || md.CorrelationID != "pay-1" {
		t.Fatalf("payment metadata %+v; want causation and correlation pay-1", md)
	}
}

func testIdempotentHiddenBySnapshot(t *testing.T, b Backend) {
	store, snaps := b.Open(t)
	r := newRepo(t, store, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(1)))
	create(t, r, "1")
	cmd := aggregate.WithCommandID(t.Context(), "add-a")
	if _, err := r.Update(cmd, "1", func(o *testdomain.Order) error { return o.AddItem("a", 1) }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(t.Context(), "1", func(o *testdomain.Order) error { return o.Pay(3) }); err != nil {
		t.Fatal(err)
	}
	// The snapshot (version 3) now covers the command's event: the retry's decision fails
	// (already paid), and the repository finds the command in the older part of the stream.
	o, err := r.Update(cmd, "1", func(o *testdomain.Order) error { return o.AddItem("a", 1) })
	if err != nil {
		t.Fatalf("retry hidden by a snapshot: %v; want success", err)
	}
	if o.Items["a"] != 1 || o.Version() != 3 {
		t.Fatalf("retry returned items %v at version %d; want a:1 at 3", o.Items, o.Version())
	}
	// The retry of a decision that succeeds again meets its used event IDs in the store.
	r2 := newRepo(t, store, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(1)))
	create(t, r2, "2")
	cmd2 := aggregate.WithCommandID(t.Context(), "add-b")
	addB := func(o *testdomain.Order) error { return o.AddItem("b", 1) }
	if _, err := r2.Update(cmd2, "2", addB); err != nil {
		t.Fatal(err)
	}
	addItems(t, r2, "2", 0, 1)
	if _, err := r2.Update(cmd2, "2", addB); err != nil {
		t.Fatalf("retry whose decision succeeds again: %v; want success", err)
	}
	if n := countType(streamEvents(t, store, "order-2"), testdomain.ItemAddedType); n != 2 {
		t.Fatalf("%d items recorded, want 2 (b once, sku-0 once)", n)
	}
}

func testIdempotentCreate(t *testing.T, b Backend) {
	store := b.events(t)
	r := newRepo(t, store)
	ctx := aggregate.WithCommandID(t.Context(), "create-1")
	for i := range 2 {
		o, err := r.Create(ctx, "1", func(o *testdomain.Order) error { return o.Create("ada") })
		if err != nil {
			t.Fatalf("create attempt %d: %v", i+1, err)
		}
		if o.Version() != 1 {
			t.Fatalf("create attempt %d: version %d, want 1", i+1, o.Version())
		}
	}
	// The same command with other effects is still the same command.
	if _, err := r.Create(ctx, "1", func(o *testdomain.Order) error { return o.Create("bob") }); err != nil {
		t.Fatalf("create retry with a different decision: %v", err)
	}
	// Another command meets the existing aggregate.
	_, err := r.Create(aggregate.WithCommandID(t.Context(), "create-2"), "1", func(o *testdomain.Order) error { return o.Create("bob") })
	if !errors.Is(err, aggregate.ErrAlreadyExists) {
		t.Fatalf("another command creating the same aggregate: %v; want ErrAlreadyExists", err)
	}
	if n := len(streamEvents(t, store, "order-1")); n != 1 {
		t.Fatalf("stream has %d events, want 1", n)
	}
}

func testMetadata(t *testing.T, b Backend) {
	store := b.events(t)
	r := newRepo(t, store)
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(t.Context(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))
	ctx = aggregate.WithCorrelationID(ctx, "req-7")
	ctx = aggregate.WithCommandID(ctx, "cmd-9")
	ctx = aggregate.WithHeaders(ctx, map[string]string{"tenant": "acme"})
	if _, err := r.Create(ctx, "1", func(o *testdomain.Order) error { return o.Create("ada") }); err != nil {
		t.Fatal(err)
	}
	md := streamEvents(t, store, "order-1")[0].Metadata
	if md.CorrelationID != "req-7" || md.CausationID != "cmd-9" || md.Headers["tenant"] != "acme" {
		t.Fatalf("metadata %+v; want correlation req-7, causation cmd-9, header tenant=acme", md)
	}
	if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-"; !strings.HasPrefix(md.TraceParent, want) {
		t.Fatalf("traceparent %q; want the caller's trace %s...", md.TraceParent, want)
	}
}

func testSnapshotTail(t *testing.T, b Backend) {
	inner, snaps := b.Open(t)
	counting := &Counting{Store: inner}
	r := newRepo(t, counting, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(50)))
	create(t, r, "1")
	addItems(t, r, "1", 0, 52) // versions 2..53; a snapshot at 50
	s, ok, err := snaps.Get(t.Context(), "order-1", "Order")
	if err != nil || !ok {
		t.Fatalf("snapshot after 53 events with EveryNEvents(50): %v, %v", ok, err)
	}
	if s.StreamVersion != 50 || s.SchemaVersion != 1 || s.TakenAt.IsZero() {
		t.Fatalf("snapshot at stream version %d, schema %d, taken %v; want 50, 1, set", s.StreamVersion, s.SchemaVersion, s.TakenAt)
	}
	counting.Reset()
	o, err := r.Load(t.Context(), "1")
	if err != nil {
		t.Fatal(err)
	}
	if read := counting.Reset(); read != 4 {
		t.Fatalf("loading from the snapshot read %d events, want 4 (the snapshot's own event 50, then 51..53)", read)
	}
	if o.Version() != 53 || o.Lines != 52 || o.Items["sku-51"] != 1 || o.Items["sku-0"] != 1 {
		t.Fatalf("loaded version %d with %d lines; want 53 and 52", o.Version(), o.Lines)
	}
}

func testSnapshotStaleSchema(t *testing.T, b Backend) {
	inner, snaps := b.Open(t)
	counting := &Counting{Store: inner}
	r1 := newRepo(t, counting, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(1)))
	create(t, r1, "1")
	addItems(t, r1, "1", 0, 3)
	v2 := testdomain.OrderType(testdomain.NewCodec(), func() *testdomain.Order { return &testdomain.Order{SchemaVersion: 2} })
	r2 := aggregate.NewRepository(counting, v2, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(1)))
	counting.Reset()
	o, err := r2.Load(t.Context(), "1")
	if err != nil {
		t.Fatal(err)
	}
	if read := counting.Reset(); read != 4 || o.Lines != 3 || o.Version() != 4 {
		t.Fatalf("load with a stale snapshot read %d events, state %d lines at version %d; want a full replay of 4 events, 3 lines", read, o.Lines, o.Version())
	}
	if _, err := r2.Update(t.Context(), "1", func(o *testdomain.Order) error { return o.AddItem("z", 1) }); err != nil {
		t.Fatal(err)
	}
	s, ok, err := snaps.Get(t.Context(), "order-1", "Order")
	if err != nil || !ok || s.SchemaVersion != 2 || s.StreamVersion != 5 {
		t.Fatalf("snapshot after a save with schema 2: %+v, %v, %v; want schema 2 at version 5", s, ok, err)
	}
}

func testSnapshotCorrupt(t *testing.T, b Backend) {
	inner, snaps := b.Open(t)
	counting := &Counting{Store: inner}
	r := newRepo(t, counting, aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(1000)))
	create(t, r, "1")
	addItems(t, r, "1", 0, 3)
	last := streamEvents(t, counting, "order-1")[3]
	for _, data := range [][]byte{[]byte("{not json"), []byte(`{"items":"not a map"}`)} {
		if err := snaps.Put(t.Context(), aggregate.Snapshot{StreamID: "order-1", Type: "Order", SchemaVersion: 1, StreamVersion: 4, EventID: last.ID, Data: data}); err != nil {
			t.Fatal(err)
		}
		counting.Reset()
		o, err := r.Load(t.Context(), "1")
		if err != nil {
			t.Fatalf("load with a corrupt snapshot %q: %v", data, err)
		}
		if read := counting.Reset(); read != 4 || o.Lines != 3 || o.Customer != "ada" {
			t.Fatalf("load with corrupt snapshot %q read %d events, state %+v; want a full replay of 4", data, read, o)
		}
	}
}

func testSnapshotMismatch(t *testing.T, b Backend) {
	store, snaps := b.Open(t)
	r := newRepo(t, store, aggregate.WithSnapshots(snaps, nil))
	create(t, r, "1")
	addItems(t, r, "1", 0, 2)
	// A snapshot whose event is not the stream's (e.g. taken before the stream was deleted
	// and re-created, or copied from another database) claims an impossible state.
	bogus := aggregate.Snapshot{StreamID: "order-1", Type: "Order", SchemaVersion: 1, StreamVersion: 3,
		EventID: aggregate.CommandEventID("x", "y", 0), Data: []byte(`{"customer":"mallory","items":{},"lines":99}`)}
	ahead := bogus
	ahead.StreamVersion, ahead.EventID = 9, [16]byte{}
	for _, s := range []aggregate.Snapshot{bogus, ahead} {
		if err := snaps.Put(t.Context(), s); err != nil {
			t.Fatal(err)
		}
		o, err := r.Load(t.Context(), "1")
		if err != nil {
			t.Fatal(err)
		}
		if o.Customer != "ada" || o.Lines != 2 || o.Version() != 3 {
			t.Fatalf("load with a snapshot at %d not matching the stream: %+v at version %d; want the replayed state", s.StreamVersion, o, o.Version())
		}
	}
}

func testSnapshotWriteFailure(t *testing.T, b Backend) {
	store, snaps := b.Open(t)
	r := newRepo(t, store, aggregate.WithSnapshots(failingSnapshots{snaps}, aggregate.EveryNEvents(1)))
	create(t, r, "1")
	o, err := r.Update(t.Context(), "1", func(o *testdomain.Order) error { return o.Pay(1) })
	if err != nil || o.Version() != 2 {
		t.Fatalf("update with a failing snapshot store: %v (version %d); want success at 2", err, o.Version())
	}
}
