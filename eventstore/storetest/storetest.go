package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

// Factory returns a fresh, empty store, isolated from every other store the factory returned
// (its own database, schema or directory). The factory registers the store's cleanup itself
// with t.Cleanup; the suite may already have closed the store by then, so the cleanup must
// tolerate a store that is closed. It reports setup failures with t.Fatal.
type Factory func(t testing.TB) eventstore.Store

// Option adjusts the suite to a backend. Options that relax an assertion log their reason in
// every subtest they affect, so a backend's differences are visible in the test output.
type Option func(*config)

// RawCountFunc counts the events a store holds in its raw storage (rows in the events
// table, say), bypassing the store's read path. The suite calls it with the store the
// factory returned.
type RawCountFunc func(ctx context.Context, s eventstore.Store) (int64, error)

type config struct {
	anyBestEffort     string
	idsPerStream      string
	retryByIDOnly     string
	serializedWriters string
	softDeleteForgets string
	rawCount          RawCountFunc
	timeout           time.Duration
	pollInterval      time.Duration
	clockSkew         time.Duration
	parallel          bool
	scale             int
}

// IdempotencyAnyBestEffort declares that the backend recognises a retried append with
// expected version [eventstore.Any] only on a best-effort basis (EventStoreDB keeps recent
// event IDs in a server-side cache). The suite then accepts, for an Any retry, either the
// original result marked Duplicate or a fresh commit of the same events, and logs reason.
// Retries with every other expected version must still be recognised exactly.
func IdempotencyAnyBestEffort(reason string) Option {
	return func(c *config) { c.anyBestEffort = nonEmpty(reason) }
}

// EventIDsUniquePerStream declares that the backend detects a reused event ID only within
// one stream. Appending an event whose ID is already used in another stream is then
// expected to succeed as a new event, instead of failing with
// [eventstore.ErrDuplicateEventID]; the suite logs reason.
func EventIDsUniquePerStream(reason string) Option {
	return func(c *config) { c.idsPerStream = nonEmpty(reason) }
}

// RetryMatchedByIDOnly declares that the backend recognises a retry by its event IDs (and
// their versions) without comparing event types, data or order. Reusing committed IDs for
// different events may then return the original result marked Duplicate instead of
// failing with [eventstore.ErrDuplicateEventID]; either way nothing may be written. The
// suite logs reason.
func RetryMatchedByIDOnly(reason string) Option {
	return func(c *config) { c.retryByIDOnly = nonEmpty(reason) }
}

// SoftDeleteForgetsEventIDs declares that after a soft delete the backend no longer knows
// the deleted events' IDs (EventStoreDB truncates the stream). Retrying an append made
// before the delete, or reusing its IDs, is then not checked: the model test skips those
// operations and logs reason. Without this option such a retry must return the original
// result, as for any other retry.
func SoftDeleteForgetsEventIDs(reason string) Option {
	return func(c *config) { c.softDeleteForgets = nonEmpty(reason) }
}

// SerializedWriters declares that the backend runs one append at a time store-wide and may
// call the [eventstore.WithBeforeCommit] hook while holding that write lock (SQLite, say).
// The out-of-order commit test then releases its held appends as soon as the other writers
// have started, instead of waiting for them to finish, which could never happen. Without
// this option a backend that serialises writers fails that test with a message naming it.
func SerializedWriters(reason string) Option {
	return func(c *config) { c.serializedWriters = nonEmpty(reason) }
}

// RawEventCount gives the suite a way to count the events in the store's raw storage. The
// suite then also checks that failed, rejected and retried appends left no hidden rows
// behind, and that concurrency tests stored each event exactly once.
func RawEventCount(count RawCountFunc) Option {
	return func(c *config) { c.rawCount = count }
}

// Timeout sets how long the suite waits for a condition (a subscriber receiving an event,
// goroutines finishing) before failing. The default is 30 seconds.
func Timeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// PollInterval sets the [eventstore.ReadAllOptions.PollInterval] the suite's subscriptions
// use. The default is 25ms, so a backend that only polls still passes quickly; wake-ups
// make it irrelevant.
func PollInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.pollInterval = d
		}
	}
}

// ClockSkew sets how far an event's RecordedAt may lie outside the interval in which the
// test observed the append (the store's clock may differ from the test's, e.g. a server in
// a container). The default is 5 seconds.
func ClockSkew(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.clockSkew = d
		}
	}
}

// Parallel runs the suite's subtests in parallel (t.Parallel). Use it when the factory can
// create stores concurrently.
func Parallel() Option {
	return func(c *config) { c.parallel = true }
}

// Scale multiplies the sizes of the concurrency tests (goroutines stay the same, rounds and
// events grow). The default is 1; testing.Short() divides the sizes further.
func Scale(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.scale = n
		}
	}
}

func nonEmpty(reason string) string {
	if reason == "" {
		return "(no reason given)"
	}
	return reason
}

// suite carries the configuration through the subtests.
type suite struct {
	cfg      config
	newStore Factory
}

// Run runs the conformance suite against the stores newStore returns. Every subtest gets a
// fresh store. Subtests are named after the behaviour they check, e.g.
// "ExpectedVersion/NoStream/existing stream", so `go test -run` can select them.
func Run(t *testing.T, newStore Factory, opts ...Option) {
	t.Helper()
	s := &suite{newStore: newStore, cfg: config{
		timeout:      30 * time.Second,
		pollInterval: 25 * time.Millisecond,
		clockSkew:    5 * time.Second,
		scale:        1,
	}}
	for _, o := range opts {
		o(&s.cfg)
	}
	groups := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"ExpectedVersion", s.testExpectedVersion},
		{"Idempotency", s.testIdempotency},
		{"Atomicity", s.testAtomicity},
		{"EventIDs", s.testEventIDs},
		{"ReadStream", s.testReadStream},
		{"ReadAll", s.testReadAll},
		{"Metadata", s.testMetadata},
		{"SoftDelete", s.testSoftDelete},
		{"Tombstone", s.testTombstone},
		{"InvalidInput", s.testInvalidInput},
		{"StreamInfo", s.testStreamInfo},
		{"Head", s.testHead},
		{"BeforeCommit", s.testBeforeCommit},
		{"Subscribe", s.testSubscribe},
		{"Iterators", s.testIterators},
		{"Close", s.testClose},
		{"Concurrency", s.testConcurrency},
		{"Model", s.testModel},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			s.parallel(t)
			g.run(t)
		})
	}
}

func (s *suite) parallel(t *testing.T) {
	if s.cfg.parallel {
		t.Parallel()
	}
}

// run runs one subtest, in parallel when the suite is configured so.
func (s *suite) run(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		s.parallel(t)
		f(t)
	})
}

// store returns a fresh store for t, wrapped to remember the last committed position.
func (s *suite) store(t *testing.T) eventstore.Store {
	t.Helper()
	st := s.newStore(t)
	if st == nil {
		t.Fatal("storetest: the factory returned a nil store")
	}
	return &tracked{Store: st, t: t}
}

// tracked remembers the position of the last append it committed, so the suite can wait
// until the global log shows it: a store may legitimately hide committed events from
// global reads for a while (PostgreSQL hides everything behind the oldest open transaction
// of the whole server, including other tests' transactions).
//
// It also checks every result's Position against the position the appended event reads
// back with, so a wrong result fails at once instead of leaving the suite waiting for a
// position the log never reaches.
type tracked struct {
	eventstore.Store
	t    testing.TB
	mu   sync.Mutex
	last eventstore.Position
}

// Append implements [eventstore.Appender], remembering the committed position.
func (tr *tracked) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := tr.Store.Append(ctx, streamID, expected, events...)
	if err != nil {
		return res, err
	}
	pos := res.Position
	// Stream reads are not held back like global reads; the stream may have been deleted
	// meanwhile, and then there is nothing to compare.
	for e, err := range tr.Store.ReadStream(ctx, streamID, eventstore.ReadStreamOptions{Direction: eventstore.Backward, From: res.LastVersion, Limit: 1}) {
		if err == nil && e.Version == res.LastVersion && e.Position != res.Position {
			tr.t.Errorf("Append(%q) returned Position %v, but its last event (version %d) reads back at %v", streamID, res.Position, e.Version, e.Position)
			pos = e.Position
		}
		break
	}
	tr.mu.Lock()
	if tr.last.Less(pos) {
		tr.last = pos
	}
	tr.mu.Unlock()
	return res, err
}

// unwrap returns the store the factory made.
func unwrap(st eventstore.Store) eventstore.Store {
	if tr, ok := st.(*tracked); ok {
		return tr.Store
	}
	return st
}

// settle waits until Head reaches the last position committed through st, so that global
// reads see every append the test made. It fails t after the suite's timeout.
func (s *suite) settle(t *testing.T, ctx context.Context, st eventstore.Store) {
	t.Helper()
	tr, ok := st.(*tracked)
	if !ok {
		return
	}
	tr.mu.Lock()
	want := tr.last
	tr.mu.Unlock()
	deadline := time.NewTimer(s.cfg.timeout)
	defer deadline.Stop()
	for {
		h, err := tr.Store.Head(ctx)
		if err != nil || !h.Less(want) {
			return // the caller's own read reports the error
		}
		poll := time.NewTimer(s.cfg.pollInterval)
		select {
		case <-poll.C:
		case <-deadline.C:
			poll.Stop()
			t.Fatalf("Head stayed at %v, before the last committed append at %v, for %v: committed events never became visible to global reads", h, want, s.cfg.timeout)
		case <-ctx.Done():
			poll.Stop()
			return
		}
	}
}

// ctx returns a context that ends with the test, bounded by the suite's timeout.
func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 4*s.cfg.timeout)
	t.Cleanup(cancel)
	return ctx
}

// size scales n for the concurrency tests: divided by 4 (at least 1) under -short.
func (s *suite) size(n int) int {
	n *= s.cfg.scale
	if testing.Short() {
		n = max(1, n/4)
	}
	return n
}

// ev returns an event with a fresh ID.
func ev(typ, data string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: []byte(data)}
}

// evs returns n events with fresh IDs, of type typ, with data "<prefix>-<i>".
func evs(n int, typ, prefix string) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = ev(typ, fmt.Sprintf("%s-%d", prefix, i+1))
	}
	return out
}

func mustAppend(t *testing.T, ctx context.Context, st eventstore.Store, stream string, exp eventstore.ExpectedVersion, events ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := st.Append(ctx, stream, exp, events...)
	if err != nil {
		t.Fatalf("Append(%q, %s, %d events): %v", stream, exp, len(events), err)
	}
	if len(res.EventIDs) != len(events) {
		t.Fatalf("Append(%q, %s, %d events) returned %d event IDs: %+v", stream, exp, len(events), len(res.EventIDs), res)
	}
	return res
}

// collect ranges over seq, returning the events before the first error and that error.
func collect(seq func(yield func(eventstore.Event, error) bool)) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for e, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func readStream(t *testing.T, ctx context.Context, st eventstore.Store, stream string, opts eventstore.ReadStreamOptions) []eventstore.Event {
	t.Helper()
	got, err := collect(st.ReadStream(ctx, stream, opts))
	if err != nil {
		t.Fatalf("ReadStream(%q, %+v): %v", stream, opts, err)
	}
	return got
}

func (s *suite) readAll(t *testing.T, ctx context.Context, st eventstore.Store, opts eventstore.ReadAllOptions) []eventstore.Event {
	t.Helper()
	s.settle(t, ctx, st)
	got, err := collect(st.ReadAll(ctx, opts))
	if err != nil {
		t.Fatalf("ReadAll(%+v): %v", opts, err)
	}
	return got
}

func (s *suite) head(t *testing.T, ctx context.Context, st eventstore.Store) eventstore.Position {
	t.Helper()
	s.settle(t, ctx, st)
	p, err := st.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return p
}

func info(t *testing.T, ctx context.Context, st eventstore.Store, stream string) eventstore.StreamInfo {
	t.Helper()
	i, err := st.StreamInfo(ctx, stream)
	if err != nil {
		t.Fatalf("StreamInfo(%q): %v", stream, err)
	}
	return i
}

func versions(events []eventstore.Event) []uint64 {
	out := make([]uint64, len(events))
	for i, e := range events {
		out[i] = e.Version
	}
	return out
}

func ids(events []eventstore.Event) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func dataIDs(events []eventstore.EventData) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func seq(from, to uint64) []uint64 {
	if d := max(from, to) - min(from, to); d > 1<<24 {
		panic(fmt.Sprintf("storetest: internal error: version range %d..%d is too long", from, to))
	}
	var out []uint64
	if from <= to {
		for v := from; v <= to; v++ {
			out = append(out, v)
		}
	} else {
		for v := from; v >= to && v > 0; v-- {
			out = append(out, v)
		}
	}
	return out
}

// snapshot is what the suite compares to prove that an operation wrote nothing.
type snapshot struct {
	head eventstore.Position
	raw  int64
	info map[string]eventstore.StreamInfo
}

func (s *suite) snapshot(t *testing.T, ctx context.Context, st eventstore.Store, streams ...string) snapshot {
	t.Helper()
	sn := snapshot{head: s.head(t, ctx, st), raw: -1, info: map[string]eventstore.StreamInfo{}}
	for _, id := range streams {
		if eventstore.ValidateStreamID(id) == nil {
			sn.info[id] = info(t, ctx, st, id)
		}
	}
	if s.cfg.rawCount != nil {
		n, err := s.cfg.rawCount(ctx, unwrap(st))
		if err != nil {
			t.Fatalf("RawEventCount: %v", err)
		}
		sn.raw = n
	}
	return sn
}

// unchanged fails t if anything was written since before.
func (s *suite) unchanged(t *testing.T, ctx context.Context, st eventstore.Store, before snapshot, what string) {
	t.Helper()
	streams := make([]string, 0, len(before.info))
	for id := range before.info {
		streams = append(streams, id)
	}
	slices.Sort(streams)
	after := s.snapshot(t, ctx, st, streams...)
	if after.head != before.head {
		t.Errorf("%s: Head moved from %v to %v; nothing should have been written", what, before.head, after.head)
	}
	if after.raw != before.raw {
		t.Errorf("%s: raw storage holds %d events, before it held %d; nothing should have been written", what, after.raw, before.raw)
	}
	for _, id := range streams {
		if after.info[id] != before.info[id] {
			t.Errorf("%s: StreamInfo(%q) changed from %+v to %+v; nothing should have been written", what, id, before.info[id], after.info[id])
		}
	}
	if got := s.readAll(t, ctx, st, eventstore.ReadAllOptions{After: before.head}); len(got) != 0 {
		t.Errorf("%s: ReadAll after the old head returned %d events; nothing should have been written", what, len(got))
	}
}

// wantConflict checks that err is a version conflict with the given details.
func wantConflict(t *testing.T, err error, stream string, expected eventstore.ExpectedVersion, actual uint64, exists bool) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a version conflict (expected %s, actual %d, exists %v), got no error", expected, actual, exists)
	}
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("want errors.Is(err, ErrWrongExpectedVersion), got %v", err)
	}
	var vc *eventstore.VersionConflictError
	if !errors.As(err, &vc) {
		t.Fatalf("want a *eventstore.VersionConflictError in the chain, got %T: %v", err, err)
	}
	want := eventstore.VersionConflictError{StreamID: stream, Expected: expected, Actual: actual, Exists: exists}
	if *vc != want {
		t.Errorf("conflict details: got %+v, want %+v", *vc, want)
	}
	if vc.Error() == "" {
		t.Error("conflict error message is empty")
	}
}

// wantIs checks that err matches target.
func wantIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: want an error matching %v, got %v", what, target, err)
	}
}

// sameResult compares two append results, ignoring Duplicate.
func sameResult(t *testing.T, got, want eventstore.AppendResult, what string) {
	t.Helper()
	if got.StreamID != want.StreamID || got.FirstVersion != want.FirstVersion || got.LastVersion != want.LastVersion ||
		got.Position != want.Position || !slices.Equal(got.EventIDs, want.EventIDs) {
		t.Errorf("%s: got result %+v, want the original %+v", what, got, want)
	}
}
