package aggregatetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/eventstore"
)

// DefaultID is the aggregate ID a scenario uses unless [Scenario.WithID] gives another.
const DefaultID = "test"

// Scenario is a given/when/then test of one decision of an aggregate of type T. Build it
// with [For]; every method returns a new Scenario, so a common "given" can be shared by
// several tests.
type Scenario[T aggregate.Root] struct {
	typ   aggregate.Type[T]
	id    string
	given []eventstore.Message
	when  func(T) error
}

// For starts a scenario for aggregates of type typ (as esgen generate writes it, e.g.
// orders.OrderType(orders.NewCodec(), newOrder)).
func For[T aggregate.Root](typ aggregate.Type[T]) Scenario[T] {
	return Scenario[T]{typ: typ, id: DefaultID}
}

// WithID sets the aggregate's ID (default [DefaultID]).
func (s Scenario[T]) WithID(id string) Scenario[T] {
	s.id = id
	return s
}

// Given adds events to the aggregate's history: the state the decision runs on.
func (s Scenario[T]) Given(events ...eventstore.Message) Scenario[T] {
	s.given = append(slices.Clip(s.given), events...)
	return s
}

// When sets the decision under test, e.g. func(o *Order) error { return o.Pay(10) }.
func (s Scenario[T]) When(decide func(T) error) Scenario[T] {
	s.when = decide
	return s
}

// Then runs the scenario and expects the decision to succeed and record exactly events, in
// order (none: expect no events). It reports a readable diff otherwise, and returns the
// aggregate after the decision for further checks of its state (the zero T if the scenario
// could not run).
func (s Scenario[T]) Then(t testing.TB, events ...eventstore.Message) T {
	t.Helper()
	out, ok := s.run(t)
	agg, recorded, err := out.agg, out.recorded, out.err
	if !ok {
		return agg
	}
	if err != nil {
		t.Errorf("%s: the decision failed: %v\n  expected it to record %s", s.title(), err, countEvents(len(events)))
		return agg
	}
	if diff, same := diffEvents(events, recorded); !same {
		t.Errorf("%s: the recorded events differ from the expected ones (expected %d, recorded %d)\n%s", s.title(), len(events), len(recorded), diff)
	}
	return agg
}

// ThenNothing expects the decision to succeed and record no event.
func (s Scenario[T]) ThenNothing(t testing.TB) T {
	t.Helper()
	return s.Then(t)
}

// ThenError runs the scenario and expects the decision to fail with an error matching target
// (errors.Is). Events recorded before the failure are ignored: a repository saves none of
// them.
func (s Scenario[T]) ThenError(t testing.TB, target error) T {
	t.Helper()
	out, ok := s.run(t)
	agg, recorded, err := out.agg, out.recorded, out.err
	if !ok {
		return agg
	}
	switch {
	case err == nil:
		t.Errorf("%s: expected the decision to fail with %q, but it succeeded%s", s.title(), target, listRecorded(recorded))
	case !errors.Is(err, target):
		t.Errorf("%s: the decision failed with %q (%T), which does not match the expected %q (errors.Is)", s.title(), err, err, target)
	}
	return agg
}

// ThenErrorAs runs the scenario and expects the decision to fail with an error that
// check accepts, e.g. one that errors.As finds to be a particular type. what describes the
// expected error in failure messages.
func (s Scenario[T]) ThenErrorAs(t testing.TB, what string, check func(error) bool) T {
	t.Helper()
	out, ok := s.run(t)
	agg, recorded, err := out.agg, out.recorded, out.err
	if !ok {
		return agg
	}
	switch {
	case err == nil:
		t.Errorf("%s: expected the decision to fail with %s, but it succeeded%s", s.title(), what, listRecorded(recorded))
	case !check(err):
		t.Errorf("%s: the decision failed with %q (%T), which is not %s", s.title(), err, err, what)
	}
	return agg
}

func (s Scenario[T]) title() string {
	name := s.typ.Name
	if name == "" {
		name = "aggregate"
	}
	return fmt.Sprintf("aggregatetest: %s %q", name, s.id)
}

// outcome is what running a scenario's decision gave.
type outcome[T any] struct {
	agg      T                    // the aggregate after the decision
	recorded []eventstore.Message // the events it recorded, through the codec and back
	err      error                // the decision's error
}

// run builds the aggregate from the given events and runs the decision. ok is false when
// the scenario itself is broken (reported already).
func (s Scenario[T]) run(t testing.TB) (out outcome[T], ok bool) {
	t.Helper()
	if s.typ.New == nil || s.typ.Apply == nil {
		t.Errorf("%s: the aggregate type is incomplete (New or Apply is nil); build it with the constructor esgen generated", s.title())
		return out, false
	}
	if s.when == nil {
		t.Errorf("%s: no decision to run; call When before Then", s.title())
		return out, false
	}
	given := make([]eventstore.Message, len(s.given))
	for i, m := range s.given {
		if m == nil {
			t.Errorf("%s: given event %d is nil", s.title(), i+1)
			return out, false
		}
		rt, cerr := roundTrip(s.typ.Codec, m)
		if cerr != nil {
			t.Errorf("%s: given event %d (%s) does not survive its codec: %v", s.title(), i+1, m.EventType(), cerr)
			return out, false
		}
		given[i] = rt
	}
	agg, rerr := s.typ.Rehydrate(s.id, given...)
	if rerr != nil {
		t.Errorf("%s: cannot apply the given events: %v", s.title(), rerr)
		return out, false
	}
	out.agg = agg
	out.err = decide(s.when, agg)
	for i, m := range agg.AggregateBase().Pending() {
		rt, cerr := roundTrip(s.typ.Codec, m)
		if cerr != nil {
			t.Errorf("%s: recorded event %d (%s) does not survive its codec, so it could not be saved: %v", s.title(), i+1, m.EventType(), cerr)
			return out, false
		}
		out.recorded = append(out.recorded, rt)
	}
	return out, true
}

// decide runs the decision, turning a panic into an error so the report says what happened.
func decide[T any](fn func(T) error, agg T) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the decision panicked: %v", p)
		}
	}()
	return fn(agg)
}

// roundTrip encodes and decodes m with c (when c is not nil), so scenarios see events as a
// repository would store and load them.
func roundTrip(c eventstore.Codec, m eventstore.Message) (eventstore.Message, error) {
	if c == nil {
		return m, nil
	}
	ed, err := eventstore.Encode(c, m, eventstore.Metadata{})
	if err != nil {
		return nil, err
	}
	out, err := c.Unmarshal(ed.Type, ed.Data)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return out, nil
}

func countEvents(n int) string {
	if n == 0 {
		return "no events"
	}
	if n == 1 {
		return "1 event"
	}
	return fmt.Sprintf("%d events", n)
}

func listRecorded(recorded []eventstore.Message) string {
	if len(recorded) == 0 {
		return " and recorded no events"
	}
	var b strings.Builder
	fmt.Fprintf(&b, " and recorded %s:", countEvents(len(recorded)))
	for i, m := range recorded {
		fmt.Fprintf(&b, "\n  #%d %s", i+1, render(m))
	}
	return b.String()
}

// diffEvents compares expected and recorded events position by position.
func diffEvents(want, got []eventstore.Message) (string, bool) {
	var b strings.Builder
	same := true
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			same = false
			fmt.Fprintf(&b, "  #%d missing   want %s\n", i+1, render(want[i]))
		case i >= len(want):
			same = false
			fmt.Fprintf(&b, "  #%d extra     got  %s\n", i+1, render(got[i]))
		case equal(want[i], got[i]):
			fmt.Fprintf(&b, "  #%d ok        %s\n", i+1, render(got[i]))
		default:
			same = false
			fmt.Fprintf(&b, "  #%d differs   want %s\n", i+1, render(want[i]))
			fmt.Fprintf(&b, "                got  %s\n", render(got[i]))
			if f := fieldDiff(want[i], got[i]); f != "" {
				fmt.Fprintf(&b, "                %s\n", f)
			}
		}
	}
	return strings.TrimSuffix(b.String(), "\n"), same
}

func equal(a, b eventstore.Message) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.EventType() == b.EventType() && reflect.DeepEqual(a, b)
}

// render shows an event as its type and JSON fields.
func render(m eventstore.Message) string {
	if m == nil {
		return "<nil>"
	}
	j, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf("%s %+v", m.EventType(), m)
	}
	return m.EventType() + " " + string(j)
}

// fieldDiff names the top-level fields that differ between two events of the same type.
func fieldDiff(want, got eventstore.Message) string {
	if want == nil || got == nil {
		return ""
	}
	if want.EventType() != got.EventType() {
		return fmt.Sprintf("different event types: want %s, got %s", want.EventType(), got.EventType())
	}
	wm, gm := fields(want), fields(got)
	if wm == nil || gm == nil {
		return ""
	}
	var keys []string
	for k := range wm {
		keys = append(keys, k)
	}
	for k := range gm {
		if _, ok := wm[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		w, g := string(wm[k]), string(gm[k])
		if w != g {
			parts = append(parts, fmt.Sprintf("%s: want %s, got %s", k, orNone(w), orNone(g)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "fields: " + strings.Join(parts, "; ")
}

func fields(m eventstore.Message) map[string]json.RawMessage {
	j, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	var out map[string]json.RawMessage
	if json.Unmarshal(j, &out) != nil {
		return nil
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}
