package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

func (s *suite) testConcurrency(t *testing.T) {
	s.run(t, "Exactly on one stream from many goroutines", s.testConcurrentExactly)
	s.run(t, "out-of-order commits with a live subscriber", s.testOutOfOrderCommits)
	s.run(t, "concurrent retries after lost acks", s.testConcurrentRetries)
	s.run(t, "deletes racing appends", func(t *testing.T) { s.testDeleteRace(t, false) })
	s.run(t, "tombstone racing appends", func(t *testing.T) { s.testDeleteRace(t, true) })
}

// testDeleteRace appends to one stream from several goroutines while another soft-deletes
// it repeatedly (or tombstones it once). Every append either commits, with versions that
// never collide, or fails cleanly; the stream ends in a state consistent with them.
func (s *suite) testDeleteRace(t *testing.T, tombstone bool) {
	ctx := s.ctx(t)
	st := s.store(t)
	const stream = "race-del"
	writers, appends := 4, s.size(24)
	mustAppend(t, ctx, st, stream, eventstore.NoStream, ev("First", "0"))
	var (
		mu        sync.Mutex
		committed = []eventstore.AppendResult{}
		deletes   int
		fails     errList
		wg        sync.WaitGroup
	)
	start := make(chan struct{})
	var half sync.WaitGroup // writers that made half their appends
	tombstoned := make(chan struct{})
	half.Add(writers)
	del := func(what string) {
		var err error
		if tombstone {
			err = st.Tombstone(ctx, stream, eventstore.Any)
		} else {
			err = st.Delete(ctx, stream, eventstore.Any)
		}
		switch {
		case err == nil:
			mu.Lock()
			deletes++
			mu.Unlock()
		case !tombstone && errors.Is(err, eventstore.ErrStreamNotFound):
			// Already deleted and not yet re-created.
		default:
			fails.add("%s: %v", what, err)
		}
	}
	for w := range writers {
		wg.Go(func() {
			<-start
			late := false
			for i := range appends {
				if i == appends/2 {
					half.Done()
					if tombstone && w%2 == 0 {
						// Half the writers wait for the tombstone, so it surely lands before
						// some appends; the others race it.
						<-tombstoned
						late = true
					}
				}
				if !tombstone && i%5 == 4 {
					del(fmt.Sprintf("writer %d: delete %d", w, i))
					continue
				}
				res, err := st.Append(ctx, stream, eventstore.Any, ev("Raced", fmt.Sprintf("w%d-%d", w, i)))
				switch {
				case err == nil && late:
					fails.add("writer %d: append %d after the tombstone committed: %+v", w, i, res)
				case err == nil:
					mu.Lock()
					committed = append(committed, res)
					mu.Unlock()
				case tombstone && errors.Is(err, eventstore.ErrStreamDeleted):
				default:
					fails.add("writer %d: append %d: %v", w, i, err)
				}
			}
		})
	}
	if tombstone {
		// The tombstone lands while the writers are half-way.
		wg.Go(func() {
			half.Wait()
			del("tombstone")
			close(tombstoned)
		})
	}
	close(start)
	if !s.await(doneChan(&wg)) {
		t.Fatalf("appends racing deletes did not finish within %v", s.cfg.timeout)
	}
	fails.report(t)
	if tombstone && deletes != 1 {
		t.Fatalf("the tombstone did not succeed")
	}
	// Versions of committed appends never collide and, with the first event, cover 1..n.
	versionsSeen := map[uint64]bool{1: true}
	for _, r := range committed {
		if r.FirstVersion != r.LastVersion || versionsSeen[r.FirstVersion] {
			t.Fatalf("append result %+v collides with another committed version", r)
		}
		versionsSeen[r.FirstVersion] = true
	}
	n := uint64(len(committed) + 1)
	for v := uint64(1); v <= n; v++ {
		if !versionsSeen[v] {
			t.Fatalf("versions of committed appends have a gap at %d (n = %d)", v, n)
		}
	}
	i := info(t, ctx, st, stream)
	if i.Version != n {
		t.Errorf("StreamInfo %+v: want version %d, the number of committed events", i, n)
	}
	var inLog []eventstore.Event
	for _, e := range s.readAll(t, ctx, st, eventstore.ReadAllOptions{StreamPrefix: stream}) {
		if e.StreamID == stream {
			inLog = append(inLog, e)
		}
	}
	if !slices.Equal(versions(inLog), seq(1, n)) {
		t.Fatalf("the global log holds versions %v of the stream, want 1..%d", versions(inLog), n)
	}
	got, err := collect(st.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}))
	switch {
	case tombstone:
		if i.State != eventstore.StreamTombstoned || !errors.Is(err, eventstore.ErrStreamDeleted) {
			t.Errorf("after the tombstone: state %v, ReadStream error %v; want tombstoned and ErrStreamDeleted", i.State, err)
		}
	case i.State == eventstore.StreamSoftDeleted:
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Errorf("deleted at the end: ReadStream error %v, want ErrStreamNotFound", err)
		}
	case err != nil:
		t.Fatalf("ReadStream: %v", err)
	default:
		// The live events are the tail of the stream after the last delete.
		if len(got) == 0 || !slices.Equal(ids(got), ids(inLog[len(inLog)-len(got):])) {
			t.Errorf("ReadStream returned %d events, want a non-empty tail of the %d in the log", len(got), len(inLog))
		}
	}
	t.Logf("%d appends committed, %d deletes", len(committed), deletes)
}

// await waits until done is closed, for at most the suite's timeout.
func (s *suite) await(done <-chan struct{}) bool {
	timer := time.NewTimer(s.cfg.timeout)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// doneChan returns a channel closed when wg is done.
func doneChan(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// errList collects failures from goroutines, which must not call t.Fatal.
type errList struct {
	mu   sync.Mutex
	errs []error
}

func (l *errList) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, fmt.Errorf(format, args...))
}

func (l *errList) report(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, err := range l.errs {
		if i == 10 {
			t.Errorf("... and %d more failures", len(l.errs)-10)
			break
		}
		t.Error(err)
	}
	if len(l.errs) > 0 {
		t.FailNow()
	}
}

// checkStream reads a stream and checks that it holds exactly the given appends, in order,
// with versions 1..n.
func checkStream(t *testing.T, ctx context.Context, st eventstore.Store, stream string, results []eventstore.AppendResult) {
	t.Helper()
	sort.Slice(results, func(i, j int) bool { return results[i].FirstVersion < results[j].FirstVersion })
	var want []uuid.UUID
	next := uint64(1)
	for _, r := range results {
		if r.FirstVersion != next || r.LastVersion != next+uint64(len(r.EventIDs))-1 {
			t.Fatalf("stream %q: committed append %+v does not continue at version %d (gap or overlap between appends)", stream, r, next)
		}
		next = r.LastVersion + 1
		want = append(want, r.EventIDs...)
	}
	got := readStream(t, ctx, st, stream, eventstore.ReadStreamOptions{})
	if !slices.Equal(versions(got), seq(1, uint64(len(want)))) {
		t.Fatalf("stream %q holds versions %v, want 1..%d without gaps or duplicates", stream, versions(got), len(want))
	}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("stream %q holds other events than the %d committed ones", stream, len(want))
	}
}

func (s *suite) testConcurrentExactly(t *testing.T) {
	ctx := s.ctx(t)
	st := s.store(t)
	const stream = "race-1"
	goroutines, rounds := 8, s.size(16)
	var (
		mu        sync.Mutex
		committed []eventstore.AppendResult
		noStream  int // successful appends that expected no stream
		conflicts int
		fails     errList
		wg        sync.WaitGroup
	)
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for r := range rounds {
				expected := eventstore.NoStream
				if r > 0 {
					i, err := st.StreamInfo(ctx, stream)
					if err != nil {
						fails.add("goroutine %d: StreamInfo: %v", g, err)
						return
					}
					expected = eventstore.Exactly(i.Version)
				}
				res, err := st.Append(ctx, stream, expected, evs(1+(g+r)%3, "Raced", fmt.Sprintf("g%d-r%d", g, r))...)
				var vc *eventstore.VersionConflictError
				switch {
				case err == nil:
					mu.Lock()
					committed = append(committed, res)
					if expected.IsNoStream() {
						noStream++
					}
					mu.Unlock()
				case errors.As(err, &vc) && errors.Is(err, eventstore.ErrWrongExpectedVersion):
					v, _ := expected.Exact()
					if vc.StreamID != stream || vc.Expected != expected || !vc.Exists || vc.Actual <= v {
						fails.add("goroutine %d: conflict %+v does not describe a stream that moved past %s", g, *vc, expected)
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				default:
					fails.add("goroutine %d: Append(%s) failed with neither success nor a version conflict: %v", g, expected, err)
				}
			}
		})
	}
	close(start)
	if !s.await(doneChan(&wg)) {
		t.Fatalf("%d goroutines appending to one stream did not finish within %v", goroutines, s.cfg.timeout)
	}
	fails.report(t)
	if len(committed)+conflicts != goroutines*rounds {
		t.Fatalf("%d commits + %d conflicts, want %d appends in all", len(committed), conflicts, goroutines*rounds)
	}
	if noStream != 1 {
		t.Errorf("%d appends expecting no stream committed, want exactly 1", noStream)
	}
	checkStream(t, ctx, st, stream, committed)
	t.Logf("%d commits, %d conflicts", len(committed), conflicts)
	s.checkRaw(t, ctx, st, int64(len(s.readAll(t, ctx, st, eventstore.ReadAllOptions{}))))
}

// checkRaw compares the raw storage count with want, when the backend gave a way to count.
func (s *suite) checkRaw(t *testing.T, ctx context.Context, st eventstore.Store, want int64) {
	t.Helper()
	if s.cfg.rawCount == nil {
		return
	}
	n, err := s.cfg.rawCount(ctx, unwrap(st))
	if err != nil {
		t.Fatalf("RawEventCount: %v", err)
	}
	if n != want {
		t.Errorf("raw storage holds %d events, want %d (each committed event exactly once)", n, want)
	}
}

// testOutOfOrderCommits holds some appends open in their before-commit hook while other
// writers commit, then lets them commit late. Subscribers following the global log must see
// every committed event exactly once, each stream in version order.
//
// It never waits for something a backend may be unable to do: with concurrent writers the
// held appends are released once the free writers have all finished (they write other
// streams, so nothing they need is held); with SerializedWriters they are released once
// the free writers have started, since those may be queued behind a held append.
func (s *suite) testOutOfOrderCommits(t *testing.T) {
	ctx := s.ctx(t)
	st := s.store(t)
	serial := s.cfg.serializedWriters != ""
	if serial {
		t.Logf("backend difference (SerializedWriters): held appends are released once the other writers started: %s", s.cfg.serializedWriters)
	}
	const held, free, perWriter = 2, 4, 2
	rounds := s.size(8)

	var (
		mu        sync.Mutex
		committed = map[string][]eventstore.AppendResult{}
		fails     errList
	)
	subs := []*subscriber{s.subscribe(t, ctx, st, eventstore.ReadAllOptions{PageSize: 5})}
	// resumed reads the log to its end from its checkpoint in the test's goroutine, while
	// held appends are still open: deterministic where the subscribers' timing is not.
	resumed := &resumer{pageSize: 3}
	resume := func(when string) {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
		defer cancel()
		h, err := unwrap(st).Head(rctx)
		if err != nil {
			t.Fatalf("Head %s: %v", when, err)
		}
		if err := resumed.readToEnd(rctx, st); err != nil {
			hint := ""
			if !serial {
				hint = "; if reads wait for the held appends because the backend runs one append at a time, pass storetest.SerializedWriters"
			}
			t.Fatalf("ReadAll %s: %v%s", when, err, hint)
		}
		// Head promises only what readers can see; a reader that trusts it (to skip
		// unmatched events, say) would otherwise lose events.
		if n := len(resumed.events); !h.IsZero() && (n == 0 || resumed.events[n-1].Position.Less(h)) {
			last := eventstore.Start
			if n > 0 {
				last = resumed.events[n-1].Position
			}
			t.Fatalf("Head %s was %v, but a ReadAll that followed ended at %v: Head is ahead of what readers can see", when, h, last)
		}
	}
	// scanner does the same in its own goroutine after every commit, concurrently with the
	// writers, to catch a reader seeing part of an append.
	scanner := &resumer{pageSize: 4}
	poke, stopScan, scanDone := make(chan struct{}, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-poke:
				if err := scanner.readToEnd(ctx, st); err != nil {
					scanDone <- fmt.Errorf("concurrent ReadAll: %w", err)
					return
				}
			case <-stopScan:
				scanDone <- scanner.readToEnd(ctx, st)
				return
			}
		}
	}()
	defer func() {
		select {
		case <-stopScan:
		default:
			close(stopScan)
		}
	}()
	record := func(stream string, res eventstore.AppendResult) {
		mu.Lock()
		committed[stream] = append(committed[stream], res)
		mu.Unlock()
		select {
		case poke <- struct{}{}:
		default:
		}
	}
	record("ooo-seed", mustAppend(t, ctx, st, "ooo-seed", eventstore.NoStream, evs(3, "Seed", "seed")...))

	freeVersion := make([]uint64, free)

	for round := range rounds {
		if round == 1 {
			// A second subscriber catches up while writers are busy, one event per page.
			subs = append(subs, s.subscribe(t, ctx, st, eventstore.ReadAllOptions{PageSize: 1}))
		}
		release := make(chan struct{})
		var heldWG, entered, freeStarted, freeWG sync.WaitGroup
		for h := range held {
			stream := fmt.Sprintf("ooo-held-%d-%d", round, h)
			entered.Add(1)
			var once sync.Once
			hctx := eventstore.WithBeforeCommit(ctx, func(hc context.Context) error {
				once.Do(entered.Done)
				select {
				case <-release:
					return nil
				case <-hc.Done():
					return hc.Err()
				}
			})
			heldWG.Go(func() {
				res, err := st.Append(hctx, stream, eventstore.NoStream, evs(1+h, "Held", stream)...)
				if err != nil {
					fails.add("held append to %s: %v", stream, err)
					return
				}
				record(stream, res)
			})
		}
		if !serial && !s.await(doneChan(&entered)) {
			close(release)
			t.Fatalf("round %d: the held appends did not all reach their before-commit hook within %v; if the backend runs one append at a time and calls the hook under its write lock, pass storetest.SerializedWriters", round, s.cfg.timeout)
		}
		for w := range free {
			stream := fmt.Sprintf("ooo-free-%d", w)
			freeStarted.Add(1)
			freeWG.Go(func() {
				freeStarted.Done()
				for i := range perWriter {
					exp := eventstore.Exactly(freeVersion[w])
					res, err := st.Append(ctx, stream, exp, evs(1+(i+w)%3, "Free", stream)...)
					if err != nil {
						fails.add("free append to %s with %s: %v", stream, exp, err)
						return
					}
					freeVersion[w] = res.LastVersion
					record(stream, res)
				}
			})
		}
		if serial {
			if !s.await(doneChan(&freeStarted)) {
				close(release)
				t.Fatalf("round %d: free writers did not start within %v", round, s.cfg.timeout)
			}
		} else if !s.await(doneChan(&freeWG)) {
			close(release)
			t.Fatalf("round %d: writers to other streams did not finish within %v while two appends were held before commit; if the backend runs one append at a time, pass storetest.SerializedWriters", round, s.cfg.timeout)
		}
		if !serial {
			resume("while appends are held before commit")
		}
		close(release)
		if !s.await(doneChan(&heldWG)) || !s.await(doneChan(&freeWG)) {
			t.Fatalf("round %d: appends did not finish within %v after the held ones were released", round, s.cfg.timeout)
		}
		fails.report(t)
		if serial {
			resume("after a round")
		}
	}

	sentinel := mustAppend(t, ctx, st, "ooo-sentinel", eventstore.NoStream, ev("Sentinel", "end"))
	record("ooo-sentinel", sentinel)
	total := 0
	for stream, results := range committed {
		checkStream(t, ctx, st, stream, results)
		for _, r := range results {
			total += len(r.EventIDs)
		}
	}
	log := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
	if len(log) != total {
		t.Fatalf("ReadAll returned %d events, want the %d committed", len(log), total)
	}
	checkLog(t, "ReadAll", log)
	resume("at the end")
	close(stopScan)
	if !s.await(chanDone(scanDone, &fails)) {
		t.Fatalf("the concurrent reader did not finish within %v", s.cfg.timeout)
	}
	fails.report(t)
	for _, r := range []struct {
		who string
		r   *resumer
	}{{"a reader resuming from its checkpoint", resumed}, {"a reader resuming concurrently with the writers", scanner}} {
		checkLog(t, r.who, r.r.events)
		if !slices.Equal(ids(r.r.events), ids(log)) {
			t.Fatalf("%s got %d events, a full ReadAll %d: events committed late behind the checkpoint were skipped", r.who, len(r.r.events), len(log))
		}
		r.r.checkAtomic(t, r.who, committed)
	}
	for i, sub := range subs {
		var got []eventstore.Event
		for {
			it, ok := sub.next(t)
			if !ok || it.err != nil {
				t.Fatalf("subscriber %d ended after %d events: %v", i, len(got), it.err)
			}
			got = append(got, it.e)
			if it.e.ID == sentinel.EventIDs[0] {
				break
			}
			if len(got) > total {
				t.Fatalf("subscriber %d delivered more than the %d committed events before the last one", i, total)
			}
		}
		checkLog(t, fmt.Sprintf("subscriber %d", i), got)
		if !slices.Equal(ids(got), ids(log)) {
			t.Fatalf("subscriber %d delivered %d events, ReadAll %d: they differ in content or order", i, len(got), len(log))
		}
		if extra := sub.stop(t); len(extra) != 0 {
			t.Errorf("subscriber %d delivered %d events after the last one", i, len(extra))
		}
	}
	s.checkRaw(t, ctx, st, int64(total))
}

// resumer reads the global log to its end from its checkpoint, again and again, remembering
// where each read ended.
type resumer struct {
	pageSize int
	events   []eventstore.Event
	cuts     []int // len(events) after each read to the end
}

func (r *resumer) readToEnd(ctx context.Context, st eventstore.Store) error {
	after := eventstore.Start
	if len(r.events) > 0 {
		after = r.events[len(r.events)-1].Position
	}
	got, err := collect(st.ReadAll(ctx, eventstore.ReadAllOptions{After: after, PageSize: r.pageSize}))
	r.events = append(r.events, got...)
	r.cuts = append(r.cuts, len(r.events))
	if err != nil {
		return fmt.Errorf("after checkpoint %v: %w", after, err)
	}
	return nil
}

// checkAtomic checks that every read to the end saw all of each append or none of it.
func (r *resumer) checkAtomic(t *testing.T, who string, committed map[string][]eventstore.AppendResult) {
	t.Helper()
	index := make(map[uuid.UUID]int, len(r.events))
	for i, e := range r.events {
		index[e.ID] = i
	}
	for stream, results := range committed {
		for _, res := range results {
			for _, cut := range r.cuts {
				seen := 0
				for _, id := range res.EventIDs {
					if index[id] < cut {
						seen++
					}
				}
				if seen != 0 && seen != len(res.EventIDs) {
					t.Fatalf("%s: one read to the end of the log saw %d of the %d events of one append to %s", who, seen, len(res.EventIDs), stream)
				}
			}
		}
	}
}

// chanDone turns a one-shot error channel into a done channel, adding the error to fails.
func chanDone(errc <-chan error, fails *errList) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		if err := <-errc; err != nil {
			fails.add("%v", err)
		}
		close(done)
	}()
	return done
}

// checkLog checks a read of the global log: strictly increasing positions, no event twice,
// each stream's versions consecutive from 1.
func checkLog(t *testing.T, who string, got []eventstore.Event) {
	t.Helper()
	seen := make(map[uuid.UUID]bool, len(got))
	last := map[string]uint64{}
	for i, e := range got {
		if seen[e.ID] {
			t.Fatalf("%s: event %v delivered twice", who, e.ID)
		}
		seen[e.ID] = true
		if i > 0 && !got[i-1].Position.Less(e.Position) {
			t.Fatalf("%s: positions not strictly increasing: %v then %v", who, got[i-1].Position, e.Position)
		}
		if e.Version != last[e.StreamID]+1 {
			t.Fatalf("%s: stream %q version %d follows version %d", who, e.StreamID, e.Version, last[e.StreamID])
		}
		last[e.StreamID] = e.Version
	}
}

// testConcurrentRetries sends every append several times at once, as clients retrying after
// a lost acknowledgement do: exactly one commits, every other gets the same result marked
// Duplicate, and nothing is stored twice.
func (s *suite) testConcurrentRetries(t *testing.T) {
	ctx := s.ctx(t)
	st := s.store(t)
	streams, copies, batches := s.size(8), 3, 3
	var (
		fails errList
		wg    sync.WaitGroup
		mu    sync.Mutex
		all   = map[string][]eventstore.AppendResult{}
	)
	for n := range streams {
		stream := fmt.Sprintf("retry-%d", n)
		wg.Go(func() {
			var version uint64
			for b := range batches {
				batch := evs(2, "Retried", fmt.Sprintf("%s-%d", stream, b))
				exp := eventstore.Exactly(version)
				results := make([]eventstore.AppendResult, copies)
				errs := make([]error, copies)
				var cwg sync.WaitGroup
				start := make(chan struct{})
				for c := range copies {
					cwg.Go(func() {
						<-start
						results[c], errs[c] = st.Append(ctx, stream, exp, batch...)
					})
				}
				close(start)
				cwg.Wait()
				fresh := 0
				var orig eventstore.AppendResult
				for c, err := range errs {
					if err != nil {
						fails.add("%s batch %d copy %d: %v", stream, b, c, err)
						return
					}
					if !results[c].Duplicate {
						fresh++
						orig = results[c]
					}
				}
				if fresh != 1 {
					fails.add("%s batch %d: %d of %d identical appends committed, want exactly 1 (the others Duplicate)", stream, b, fresh, copies)
					return
				}
				// One more retry, after all of them returned.
				late, err := st.Append(ctx, stream, exp, batch...)
				if err != nil || !late.Duplicate {
					fails.add("%s batch %d: late retry gave %+v, %v; want Duplicate", stream, b, late, err)
					return
				}
				for _, r := range append(results, late) {
					if r.FirstVersion != orig.FirstVersion || r.LastVersion != orig.LastVersion || r.Position != orig.Position || !slices.Equal(r.EventIDs, orig.EventIDs) {
						fails.add("%s batch %d: retry result %+v differs from the original %+v", stream, b, r, orig)
						return
					}
				}
				version = orig.LastVersion
				mu.Lock()
				all[stream] = append(all[stream], orig)
				mu.Unlock()
			}
		})
	}
	if !s.await(doneChan(&wg)) {
		t.Fatalf("concurrent retries did not finish within %v", s.cfg.timeout)
	}
	fails.report(t)
	total := 0
	for stream, results := range all {
		checkStream(t, ctx, st, stream, results)
		total += 2 * len(results)
	}
	log := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
	if len(log) != total || total != streams*batches*2 {
		t.Fatalf("the global log holds %d events, want %d (each committed once)", len(log), streams*batches*2)
	}
	checkLog(t, "ReadAll", log)
	s.checkRaw(t, ctx, st, int64(total))
}
