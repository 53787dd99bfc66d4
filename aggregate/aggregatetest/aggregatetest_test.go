package aggregatetest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/esgen/esgen/aggregate/aggregatetest"
	"github.com/esgen/esgen/aggregate/internal/testdomain"
)

// fakeTB records failures instead of failing the test, to test the helper's own failures.
type fakeTB struct {
	testing.TB
	failed bool
	msgs   []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *fakeTB) log() string                       { return strings.Join(f.msgs, "\n") }

var created = &testdomain.OrderCreated{Customer: "ada"}

func order() aggregatetest.Scenario[*testdomain.Order] {
	return aggregatetest.For(testdomain.Type())
}

func addApple(qty int) func(*testdomain.Order) error {
	return func(o *testdomain.Order) error { return o.AddItem("apple", qty) }
}

// foreign is an event the Order aggregate does not accept.
type foreign struct{}

func (*foreign) EventType() string { return "other.Foreign" }

func TestScenarios(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		run      func(tb testing.TB)
		wantFail bool
		wantMsg  []string // substrings of the failure message
	}{
		{
			name: "expected events",
			run: func(tb testing.TB) {
				order().Given(created).When(addApple(2)).Then(tb, &testdomain.ItemAdded{SKU: "apple", Qty: 2})
			},
		},
		{
			name: "different field",
			run: func(tb testing.TB) {
				order().Given(created).When(addApple(1)).Then(tb, &testdomain.ItemAdded{SKU: "apple", Qty: 2})
			},
			wantFail: true,
			wantMsg: []string{`Order "test": the recorded events differ`, `#1 differs   want orders.ItemAdded {"sku":"apple","qty":2}`,
				`got  orders.ItemAdded {"sku":"apple","qty":1}`, "fields: qty: want 2, got 1"},
		},
		{
			name: "missing event",
			run: func(tb testing.TB) {
				order().Given(created).When(addApple(1)).Then(tb, &testdomain.ItemAdded{SKU: "apple", Qty: 1}, &testdomain.PaymentProcessed{Amount: 3})
			},
			wantFail: true,
			wantMsg:  []string{"expected 2, recorded 1", "#1 ok", `#2 missing   want orders.PaymentProcessed {"amount":3}`},
		},
		{
			name:     "extra event",
			run:      func(tb testing.TB) { order().Given(created).When(addApple(1)).ThenNothing(tb) },
			wantFail: true,
			wantMsg:  []string{`#1 extra     got  orders.ItemAdded {"sku":"apple","qty":1}`},
		},
		{
			name: "different type",
			run: func(tb testing.TB) {
				order().Given(created).When(addApple(1)).Then(tb, &testdomain.PaymentProcessed{Amount: 1})
			},
			wantFail: true,
			wantMsg:  []string{"different event types: want orders.PaymentProcessed, got orders.ItemAdded"},
		},
		{
			name:     "decision fails but events expected",
			run:      func(tb testing.TB) { order().When(addApple(1)).Then(tb, &testdomain.ItemAdded{SKU: "apple", Qty: 1}) },
			wantFail: true,
			wantMsg:  []string{"the decision failed: order not created", "expected it to record 1 event"},
		},
		{
			name: "expected error",
			run: func(tb testing.TB) {
				order().Given(created, &testdomain.PaymentProcessed{Amount: 1}).When(addApple(1)).ThenError(tb, testdomain.ErrAlreadyPaid)
			},
		},
		{
			name: "expected wrapped error",
			run:  func(tb testing.TB) { order().Given(created).When(addApple(0)).ThenError(tb, testdomain.ErrBadQuantity) },
		},
		{
			name:     "expected error but success",
			run:      func(tb testing.TB) { order().Given(created).When(addApple(1)).ThenError(tb, testdomain.ErrAlreadyPaid) },
			wantFail: true,
			wantMsg:  []string{`expected the decision to fail with "order already paid", but it succeeded and recorded 1 event:`, `#1 orders.ItemAdded {"sku":"apple","qty":1}`},
		},
		{
			name:     "other error",
			run:      func(tb testing.TB) { order().When(addApple(1)).ThenError(tb, testdomain.ErrAlreadyPaid) },
			wantFail: true,
			wantMsg:  []string{`failed with "order not created"`, `does not match the expected "order already paid"`},
		},
		{
			name: "error accepted by a check",
			run: func(tb testing.TB) {
				order().When(func(*testdomain.Order) error { return fmt.Errorf("wrapped: %w", errBoom) }).
					ThenErrorAs(tb, "a boom", func(err error) bool { return errors.Is(err, errBoom) })
			},
		},
		{
			name: "error rejected by a check",
			run: func(tb testing.TB) {
				order().When(addApple(1)).ThenErrorAs(tb, "a boom", func(err error) bool { return errors.Is(err, errBoom) })
			},
			wantFail: true,
			wantMsg:  []string{"which is not a boom"},
		},
		{
			name:     "no decision",
			run:      func(tb testing.TB) { order().Given(created).ThenNothing(tb) },
			wantFail: true,
			wantMsg:  []string{"call When before Then"},
		},
		{
			name:     "given event the aggregate does not accept",
			run:      func(tb testing.TB) { order().Given(created, &foreign{}).When(addApple(1)).ThenNothing(tb) },
			wantFail: true,
			wantMsg:  []string{"given event 2 (other.Foreign) does not survive its codec"},
		},
		{
			name:     "decision panics",
			run:      func(tb testing.TB) { order().When(func(*testdomain.Order) error { panic("oops") }).ThenNothing(tb) },
			wantFail: true,
			wantMsg:  []string{"the decision panicked: oops"},
		},
		{
			name: "custom ID",
			run: func(tb testing.TB) {
				order().WithID("o-7").Given(created).When(addApple(-1)).Then(tb)
			},
			wantFail: true,
			wantMsg:  []string{`Order "o-7"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := &fakeTB{}
			tc.run(tb)
			if tb.failed != tc.wantFail {
				t.Fatalf("scenario failed = %v, want %v; messages:\n%s", tb.failed, tc.wantFail, tb.log())
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(tb.log(), m) {
					t.Errorf("failure message lacks %q; got:\n%s", m, tb.log())
				}
			}
		})
	}
}

func TestScenarioReturnsStateAndSharesGiven(t *testing.T) {
	t.Parallel()
	base := order().Given(created, &testdomain.ItemAdded{SKU: "pear", Qty: 1})
	paid := base.Given(&testdomain.PaymentProcessed{Amount: 4})
	o := base.When(addApple(2)).Then(t, &testdomain.ItemAdded{SKU: "apple", Qty: 2})
	if o.Items["apple"] != 2 || o.Items["pear"] != 1 || o.Version() != 2 || len(o.Pending()) != 1 {
		t.Fatalf("state after the decision: items %v, version %d, %d pending", o.Items, o.Version(), len(o.Pending()))
	}
	// The branch with a payment does not leak into base, nor base's decision into it.
	paid.When(addApple(1)).ThenError(t, testdomain.ErrAlreadyPaid)
	base.When(func(o *testdomain.Order) error { return o.Pay(1) }).Then(t, &testdomain.PaymentProcessed{Amount: 1})
}
