package testpkg

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/esgen/esgen/codegen/avrocodec"
	"github.com/esgen/esgen/eventstore"
)

// Account is what a user writes on top of the generated AccountBase.
type Account struct {
	AccountBase
	owner   string
	balance int64
}

func (a *Account) ApplyAccountOpened(e *AccountOpened) { a.owner = e.Owner }
func (a *Account) ApplyDeposited(e *Deposited)         { a.balance += e.Amount.Units }

// Ledger shares the Deposited event with Account.
type Ledger struct {
	LedgerBase
	entries int
}

func (l *Ledger) ApplyDeposited(*Deposited) { l.entries++ }

func TestAggregateGlue(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	typ := AccountType(codec, func() *Account { return new(Account) })
	if typ.Name != "Account" || typ.StreamID("7") != "account-7" || !reflect.DeepEqual(typ.EventTypes, []string{AccountOpenedType, DepositedType}) {
		t.Fatalf("AccountType = %+v", typ)
	}
	acc := typ.Instance("7")
	if err := acc.RecordAccountOpened(&AccountOpened{Owner: "ada"}); err != nil {
		t.Fatal(err)
	}
	if err := acc.RecordDeposited(&Deposited{Amount: Money{Units: 5}}); err != nil {
		t.Fatal(err)
	}
	if acc.owner != "ada" || acc.balance != 5 || len(acc.Pending()) != 2 {
		t.Fatalf("account = %+v", acc)
	}
	if err := ApplyAccount(acc, &Evolving{}); err == nil || !strings.Contains(err.Error(), "does not accept event test.Evolving") {
		t.Fatalf("ApplyAccount(Evolving) = %v, want an error naming the event", err)
	}
	if err := ApplyAccount(acc, nil); err == nil {
		t.Fatal("ApplyAccount(nil) succeeded")
	}

	ledger := LedgerType(codec, func() *Ledger { return new(Ledger) })
	if ledger.StreamID("x") != "ledger-x-main" {
		t.Fatalf("LedgerStreamID = %q", ledger.StreamID("x"))
	}
	l := ledger.Instance("x")
	if err := l.RecordDeposited(&Deposited{}); err != nil || l.entries != 1 {
		t.Fatalf("ledger record = %v, entries %d", err, l.entries)
	}
	if err := ApplyLedger(l, &AccountOpened{}); err == nil {
		t.Fatal("Ledger accepted AccountOpened")
	}
}

// balances is a projection handler over an in-memory "transaction".
type balances struct {
	BalancesIgnore[map[string]int64]
}

func (balances) OnDeposited(_ context.Context, tx map[string]int64, e *Deposited, ev *eventstore.Event) error {
	tx[ev.StreamID] += e.Amount.Units
	return nil
}

func TestProjectionGlue(t *testing.T) {
	t.Parallel()
	codec := NewCodec()
	p := NewBalancesProjection[map[string]int64](codec, balances{})
	if p.Name() != "balances" || !reflect.DeepEqual(p.EventTypes(), []string{AccountOpenedType, DepositedType}) {
		t.Fatalf("projection %s %v", p.Name(), p.EventTypes())
	}
	event := func(m eventstore.Message) *eventstore.Event {
		d, err := eventstore.Encode(codec, m, eventstore.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		return &eventstore.Event{ID: uuid.New(), StreamID: "account-1", Version: 1, Type: d.Type, Data: d.Data}
	}
	tx := map[string]int64{}
	for _, m := range []eventstore.Message{&AccountOpened{Owner: "ada"}, &Deposited{Amount: Money{Units: 3}}, &Deposited{Amount: Money{Units: 4}}} {
		if err := p.Handle(context.Background(), tx, event(m)); err != nil {
			t.Fatal(err)
		}
	}
	if tx["account-1"] != 7 {
		t.Fatalf("balance = %d, want 7", tx["account-1"])
	}
	if err := p.Handle(context.Background(), tx, event(&Evolving{ID: "x", Status: StatusOpen})); err == nil || !strings.Contains(err.Error(), "does not handle event test.Evolving") {
		t.Fatalf("Handle(Evolving) = %v", err)
	}
	bad := event(&Deposited{})
	bad.Data = bad.Data[:3]
	if err := p.Handle(context.Background(), tx, bad); err == nil || !strings.Contains(err.Error(), "projection balances") {
		t.Fatalf("Handle(bad payload) = %v, want a wrapped decode error", err)
	} else if !errors.Is(err, avrocodec.ErrMalformed) {
		t.Fatalf("Handle(bad payload) = %v, want ErrMalformed", err)
	}
}
