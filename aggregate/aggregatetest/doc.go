// Package aggregatetest tests aggregate decisions as given/when/then scenarios: given the
// events already in an aggregate's stream, when a decision runs, then expect exactly these
// events, or an error.
//
// # Basics
//
//	func TestPayTwice(t *testing.T) {
//		orders := aggregatetest.For(orders.OrderType(orders.NewCodec(), NewOrder))
//		orders.
//			Given(&orders.OrderCreated{Customer: "ada"}, &orders.PaymentProcessed{Amount: 10}).
//			When(func(o *Order) error { return o.Pay(10) }).
//			ThenError(t, ErrAlreadyPaid)
//	}
//
// Scenarios run in memory, without a store: the given events are applied through the
// aggregate type's generated Apply, the decision runs, and the events it recorded are
// compared with the expected ones. Every given and recorded event goes through the type's
// codec and back first, so an event that could not be stored fails the test here rather
// than in production.
//
// A failing expectation reports the scenario, then each event position as ok, differs
// (with the fields that differ), missing or extra:
//
//	aggregatetest: Order "test": the recorded events differ from the expected ones (expected 1, recorded 1)
//	  #1 differs   want orders.ItemAdded {"sku":"apple","qty":2}
//	                got  orders.ItemAdded {"sku":"apple","qty":1}
//	                fields: qty: want 2, got 1
//
// Scenarios are values: each method returns a new one, so a shared "given" can start
// several tests, and t.Parallel() is safe.
package aggregatetest
