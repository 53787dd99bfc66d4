package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

// The model test drives a store through a long random (but seeded, so repeatable) sequence
// of appends, retries, ID reuses, deletes, tombstones and reads on a few streams, and
// compares every answer with a reference model of the contract built on the eventstore
// package's own helpers. It finds state-machine bugs no hand-written case thought of.

type modelStream struct {
	version, liveFrom uint64
	state             eventstore.StreamState
}

type modelAppend struct {
	stream   string
	expected eventstore.ExpectedVersion
	batch    []eventstore.EventData
	liveFrom uint64 // the stream's first live version when the append committed
}

type model struct {
	streams map[string]*modelStream
	log     []eventstore.Event // Position left zero: the model cannot predict positions
	byID    map[uuid.UUID]int  // index into log
	past    []modelAppend      // committed appends, for retries and ID reuse
}

// outcome classifies an operation's result the way the contract distinguishes them.
type outcome string

const (
	outOK        outcome = "ok"
	outDuplicate outcome = "duplicate"
	outConflict  outcome = "version conflict"
	outDupID     outcome = "duplicate event ID"
	outNotFound  outcome = "stream not found"
	outDeleted   outcome = "stream tombstoned"
)

func classify(res eventstore.AppendResult, err error) outcome {
	switch {
	case err == nil && res.Duplicate:
		return outDuplicate
	case err == nil:
		return outOK
	case errors.Is(err, eventstore.ErrWrongExpectedVersion):
		return outConflict
	case errors.Is(err, eventstore.ErrDuplicateEventID):
		return outDupID
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return outNotFound
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return outDeleted
	}
	return outcome("unexpected error: " + err.Error())
}

func (m *model) stream(id string) *modelStream {
	st := m.streams[id]
	if st == nil {
		st = &modelStream{liveFrom: 1}
		m.streams[id] = st
	}
	return st
}

// append applies an append to the model and returns what the store must answer.
func (m *model) append(a modelAppend) (eventstore.AppendResult, outcome, *eventstore.VersionConflictError) {
	st := m.stream(a.stream)
	if st.state == eventstore.StreamTombstoned {
		return eventstore.AppendResult{}, outDeleted, nil
	}
	committed := map[uuid.UUID]eventstore.Event{}
	for _, e := range a.batch {
		if i, ok := m.byID[e.ID]; ok {
			committed[e.ID] = m.log[i]
		}
	}
	if res, ok, err := eventstore.MatchCommitted(a.stream, a.batch, committed); err != nil {
		return eventstore.AppendResult{}, outDupID, nil
	} else if ok {
		return res, outDuplicate, nil
	}
	exists := st.state == eventstore.StreamActive
	if err := a.expected.Check(a.stream, st.version, exists); err != nil {
		var vc *eventstore.VersionConflictError
		errors.As(err, &vc)
		return eventstore.AppendResult{}, outConflict, vc
	}
	res := eventstore.AppendResult{StreamID: a.stream, FirstVersion: st.version + 1}
	for _, e := range a.batch {
		st.version++
		m.byID[e.ID] = len(m.log)
		m.log = append(m.log, eventstore.Event{ID: e.ID, StreamID: a.stream, Version: st.version, Type: e.Type, Data: e.Data})
		res.EventIDs = append(res.EventIDs, e.ID)
	}
	st.state = eventstore.StreamActive
	res.LastVersion = st.version
	a.liveFrom = st.liveFrom
	m.past = append(m.past, a)
	return res, outOK, nil
}

func (m *model) remove(id string, expected eventstore.ExpectedVersion, tombstone bool) outcome {
	st := m.stream(id)
	exists := st.state == eventstore.StreamActive
	switch {
	case st.state == eventstore.StreamTombstoned:
		return outDeleted
	case !tombstone && !exists:
		return outNotFound
	case expected.Check(id, st.version, exists) != nil:
		return outConflict
	}
	st.liveFrom = st.version + 1
	st.state = eventstore.StreamSoftDeleted
	if tombstone {
		st.state = eventstore.StreamTombstoned
	}
	return outOK
}

// readStream returns the IDs the store must return, or the failure.
func (m *model) readStream(id string, opts eventstore.ReadStreamOptions) ([]uuid.UUID, outcome) {
	st := m.stream(id)
	switch st.state {
	case eventstore.StreamTombstoned:
		return nil, outDeleted
	case eventstore.StreamAbsent, eventstore.StreamSoftDeleted:
		return nil, outNotFound
	}
	var live []eventstore.Event
	for _, e := range m.log {
		if e.StreamID == id && e.Version >= st.liveFrom {
			live = append(live, e)
		}
	}
	var out []uuid.UUID
	if opts.Direction == eventstore.Backward {
		slices.Reverse(live)
	}
	for _, e := range live {
		if opts.Direction == eventstore.Backward && opts.From != 0 && e.Version > opts.From ||
			opts.Direction == eventstore.Forward && e.Version < opts.From {
			continue
		}
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
		out = append(out, e.ID)
	}
	return out, outOK
}

func (s *suite) testModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		s.run(t, fmt.Sprintf("seed %d", seed), func(t *testing.T) { s.runModel(t, seed) })
	}
}

func (s *suite) runModel(t *testing.T, seed uint64) {
	ctx := s.ctx(t)
	st := s.store(t)
	if s.cfg.softDeleteForgets != "" {
		t.Logf("backend difference (SoftDeleteForgetsEventIDs): retries and ID reuses across a soft delete are not generated: %s", s.cfg.softDeleteForgets)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	m := &model{streams: map[string]*modelStream{}, byID: map[uuid.UUID]int{}}
	streams := []string{"m-0", "m-1", "m-2", "m-3", "n-0"}
	var retired []string
	types := []string{"Created", "Updated", "Closed"}
	ops := s.size(400)
	newEvent := func(i int) eventstore.EventData {
		return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: types[rng.IntN(len(types))], Data: fmt.Appendf(nil, "d%d-%d", seed, i)}
	}
	expectation := func(id string) eventstore.ExpectedVersion {
		v := m.stream(id).version
		switch rng.IntN(6) {
		case 0:
			return eventstore.Any
		case 1:
			return eventstore.NoStream
		case 2:
			return eventstore.StreamExists
		case 3:
			if v > 0 {
				return eventstore.Exactly(v - 1)
			}
			return eventstore.Exactly(v + 1)
		default:
			return eventstore.Exactly(v)
		}
	}
	describe := func(i int, what string) string { return fmt.Sprintf("seed %d op %d: %s", seed, i, what) }
	tally := map[string]int{}
	defer func() {
		keys := slices.Sorted(maps.Keys(tally))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, tally[k])
		}
		t.Logf("seed %d: %s", seed, strings.Join(parts, ", "))
	}()

	for i := range ops {
		which := rng.IntN(len(streams))
		id := streams[which]
		readID := id // reads sometimes go to a tombstoned stream
		if len(retired) > 0 && rng.IntN(4) == 0 {
			readID = retired[rng.IntN(len(retired))]
		}
		switch r := rng.IntN(100); {
		case r < 45: // a new append
			a := modelAppend{stream: id, expected: expectation(id)}
			for j := range 1 + rng.IntN(3) {
				a.batch = append(a.batch, newEvent(i*10+j))
			}
			tally["append: "+string(s.modelAppend(t, ctx, st, m, a, describe(i, "append")))]++
		case r < 58 && len(m.past) > 0: // a retry of a committed append
			a := m.past[rng.IntN(len(m.past))]
			if a.expected.IsAny() && s.cfg.anyBestEffort != "" || s.forgotten(m, a) {
				continue
			}
			tally["retry: "+string(s.modelAppend(t, ctx, st, m, a, describe(i, "retry")))]++
		case r < 63 && len(m.past) > 0: // reuse of committed IDs in another request
			p := m.past[rng.IntN(len(m.past))]
			if s.forgotten(m, p) {
				continue
			}
			a := modelAppend{stream: p.stream, expected: eventstore.Any, batch: slices.Clone(p.batch)}
			switch rng.IntN(3) {
			case 0:
				if s.cfg.idsPerStream != "" {
					continue
				}
				a.stream = streams[rng.IntN(len(streams))]
				if a.stream == p.stream && s.cfg.anyBestEffort != "" {
					continue
				}
			case 1:
				a.batch = append(a.batch, newEvent(i*10+9))
			default:
				if s.cfg.retryByIDOnly != "" {
					continue
				}
				a.batch[0].Data = []byte("changed")
			}
			tally["ID reuse: "+string(s.modelAppend(t, ctx, st, m, a, describe(i, "ID reuse")))]++
		case r < 73:
			exp := expectation(id)
			want := m.remove(id, exp, false)
			if got := classifyErr(st.Delete(ctx, id, exp)); got != want {
				t.Fatalf("%s: Delete(%q, %s) gave %s, want %s", describe(i, "delete"), id, exp, got, want)
			}
			tally["delete: "+string(want)]++
		case r < 75:
			exp := expectation(id)
			want := m.remove(id, exp, true)
			if got := classifyErr(st.Tombstone(ctx, id, exp)); got != want {
				t.Fatalf("%s: Tombstone(%q, %s) gave %s, want %s", describe(i, "tombstone"), id, exp, got, want)
			}
			tally["tombstone: "+string(want)]++
			if want == outOK {
				// Retries and ID reuses still reach the tombstoned stream; new work goes to
				// a fresh one.
				streams[which] = fmt.Sprintf("%s-%d", id[:1], i)
				retired = append(retired, id)
			}
		case r < 88:
			opts := eventstore.ReadStreamOptions{From: uint64(rng.IntN(int(m.stream(readID).version) + 3)), Limit: rng.IntN(4)}
			if rng.IntN(2) == 0 {
				opts.Direction = eventstore.Backward
			}
			want, wantOut := m.readStream(readID, opts)
			got, err := collect(st.ReadStream(ctx, readID, opts))
			if out := classifyErr(err); out != wantOut || !slices.Equal(ids(got), want) {
				t.Fatalf("%s: ReadStream(%q, %+v) gave %d events %s, want %d events %s", describe(i, "read stream"), readID, opts, len(got), out, len(want), wantOut)
			}
		case r < 93:
			want := eventstore.StreamInfo{StreamID: readID, Version: m.stream(readID).version, State: m.stream(readID).state}
			if got := info(t, ctx, st, readID); got != want {
				t.Fatalf("%s: StreamInfo = %+v, want %+v", describe(i, "stream info"), got, want)
			}
		default:
			all := s.readAll(t, ctx, st, eventstore.ReadAllOptions{})
			if !slices.Equal(ids(all), ids(m.log)) {
				t.Fatalf("%s: ReadAll returned %d events, the model holds %d (or the order differs)", describe(i, "read all"), len(all), len(m.log))
			}
			if len(all) == 0 {
				continue
			}
			k := rng.IntN(len(all))
			opts := eventstore.ReadAllOptions{After: all[k].Position, PageSize: 1 + rng.IntN(5), Limit: rng.IntN(6)}
			if rng.IntN(2) == 0 {
				opts.Types = []string{types[rng.IntN(len(types))]}
			}
			if rng.IntN(2) == 0 {
				opts.StreamPrefix = []string{"m-", "n-", "m-1"}[rng.IntN(3)]
			}
			var want []uuid.UUID
			for _, e := range m.log[k+1:] {
				if opts.Matches(&e) && (opts.Limit == 0 || len(want) < opts.Limit) {
					want = append(want, e.ID)
				}
			}
			if got := s.readAll(t, ctx, st, opts); !slices.Equal(ids(got), want) {
				t.Fatalf("%s: ReadAll(%+v) returned %d events, want %d", describe(i, "read all"), opts, len(got), len(want))
			}
		}
	}
	if all := s.readAll(t, ctx, st, eventstore.ReadAllOptions{}); !slices.Equal(ids(all), ids(m.log)) {
		t.Fatalf("seed %d: at the end ReadAll returned %d events, the model holds %d", seed, len(all), len(m.log))
	}
	s.checkRaw(t, ctx, st, int64(len(m.log)))
}

// forgotten reports whether a committed append's stream was soft-deleted since, for a
// backend that declared SoftDeleteForgetsEventIDs.
func (s *suite) forgotten(m *model, a modelAppend) bool {
	if s.cfg.softDeleteForgets == "" {
		return false
	}
	st := m.stream(a.stream)
	return st.state != eventstore.StreamTombstoned && st.liveFrom != a.liveFrom
}

func classifyErr(err error) outcome { return classify(eventstore.AppendResult{}, err) }

func (s *suite) modelAppend(t *testing.T, ctx context.Context, st eventstore.Store, m *model, a modelAppend, what string) outcome {
	t.Helper()
	want, wantOut, wantConflict := m.append(a)
	res, err := st.Append(ctx, a.stream, a.expected, a.batch...)
	got := classify(res, err)
	if got != wantOut {
		t.Fatalf("%s: Append(%q, %s, %d events) gave %s (%v), want %s", what, a.stream, a.expected, len(a.batch), got, err, wantOut)
	}
	switch got {
	case outOK, outDuplicate:
		if res.StreamID != a.stream || res.FirstVersion != want.FirstVersion || res.LastVersion != want.LastVersion || !slices.Equal(res.EventIDs, want.EventIDs) {
			t.Fatalf("%s: Append(%q, %s) = %+v, want versions %d..%d with IDs %v", what, a.stream, a.expected, res, want.FirstVersion, want.LastVersion, want.EventIDs)
		}
	case outConflict:
		var vc *eventstore.VersionConflictError
		if !errors.As(err, &vc) || *vc != *wantConflict {
			t.Fatalf("%s: conflict %v, want %+v", what, err, *wantConflict)
		}
	}
	return got
}
