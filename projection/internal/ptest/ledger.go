// Package ptest holds what the projection tests of every target share: a tiny JSON codec, a
// handler shaped like the adapters esgen generate writes, an independent fold of the log, and
// a suite of runner scenarios each target runs.
package ptest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/projection"
)

// Event types of the test ledger.
const (
	DepositedType = "ledger.Deposited"
	NoteType      = "ledger.Noted" // not handled by the projection: skipped
)

// Deposited adds Amount to an account (the stream).
type Deposited struct {
	Amount int64 `json:"amount"`
}

// EventType implements eventstore.Message.
func (*Deposited) EventType() string { return DepositedType }

// Noted is an event the projection ignores.
type Noted struct {
	Text string `json:"text"`
}

// EventType implements eventstore.Message.
func (*Noted) EventType() string { return NoteType }

// Codec is a JSON codec for the ledger events.
type Codec struct{}

// Marshal implements eventstore.Codec.
func (Codec) Marshal(m eventstore.Message) ([]byte, uint64, error) {
	b, err := json.Marshal(m)
	return b, 0, err
}

// Unmarshal implements eventstore.Codec.
func (Codec) Unmarshal(t string, data []byte) (eventstore.Message, error) {
	var m eventstore.Message
	switch t {
	case DepositedType:
		m = new(Deposited)
	case NoteType:
		m = new(Noted)
	default:
		return nil, fmt.Errorf("ptest: unknown event type %q", t)
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, err
	}
	return m, nil
}

// LedgerHandler is the typed handler interface, as esgen generate would write it.
type LedgerHandler[Tx any] interface {
	OnDeposited(ctx context.Context, tx Tx, e *Deposited, ev *eventstore.Event) error
}

// NewLedgerProjection adapts h to projection.Handler, as a generated adapter does.
func NewLedgerProjection[Tx any](name string, h LedgerHandler[Tx]) projection.Handler[Tx] {
	return &ledgerAdapter[Tx]{name: name, h: h}
}

type ledgerAdapter[Tx any] struct {
	name string
	h    LedgerHandler[Tx]
}

func (a *ledgerAdapter[Tx]) Name() string         { return a.name }
func (a *ledgerAdapter[Tx]) EventTypes() []string { return []string{DepositedType} }
func (a *ledgerAdapter[Tx]) Handle(ctx context.Context, tx Tx, ev *eventstore.Event) error {
	m, err := eventstore.Decode(Codec{}, ev)
	if err != nil {
		return err
	}
	switch e := m.(type) {
	case *Deposited:
		return a.h.OnDeposited(ctx, tx, e, ev)
	default:
		return fmt.Errorf("ptest: ledger projection does not handle %s", ev.Type)
	}
}

// Row is one account of the read model.
type Row struct {
	Count int64 // events applied
	Sum   int64 // sum of amounts
}

// Deposit returns the event data of a deposit.
func Deposit(amount int64) eventstore.EventData {
	d, err := eventstore.Encode(Codec{}, &Deposited{Amount: amount}, eventstore.Metadata{})
	if err != nil {
		panic(err) // JSON of a struct of an int64 cannot fail
	}
	return d
}

// Note returns the event data of a note.
func Note(text string) eventstore.EventData {
	d, err := eventstore.Encode(Codec{}, &Noted{Text: text}, eventstore.Metadata{})
	if err != nil {
		panic(err)
	}
	return d
}

// Fold computes the read model from the whole log, independently of the runner: every
// Deposited event counted once, poison events (amount in skip) left out. It also returns the
// position of the last Deposited event, where a caught-up checkpoint stands.
func Fold(ctx context.Context, log eventstore.LogReader, skip func(amount int64) bool) (map[string]Row, eventstore.Position, error) {
	out := map[string]Row{}
	var last eventstore.Position
	for e, err := range log.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return nil, last, err
		}
		if e.Type != DepositedType {
			continue
		}
		last = e.Position
		var d Deposited
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return nil, last, err
		}
		if skip != nil && skip(d.Amount) {
			continue
		}
		r := out[e.StreamID]
		r.Count++
		r.Sum += d.Amount
		out[e.StreamID] = r
	}
	return out, last, nil
}

// Diff describes how got differs from want, or returns "".
func Diff(got, want map[string]Row) string {
	var keys []string
	seen := map[string]bool{}
	for k := range got {
		keys, seen[k] = append(keys, k), true
	}
	for k := range want {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out string
	n := 0
	for _, k := range keys {
		if got[k] != want[k] {
			n++
			if n <= 5 {
				out += fmt.Sprintf("  %s: got %+v, want %+v\n", k, got[k], want[k])
			}
		}
	}
	if n > 5 {
		out += fmt.Sprintf("  ... and %d more\n", n-5)
	}
	return out
}
