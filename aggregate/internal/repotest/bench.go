package repotest

import (
	"fmt"
	"testing"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/aggregate/internal/testdomain"
	"github.com/esgen/esgen/eventstore"
)

// BenchmarkSizes are the stream lengths the load benchmarks measure.
var benchmarkSizes = []int{10, 1_000, 10_000}

// BenchmarkLoad measures Repository.Load of an order with 10, 1,000 and 10,000 events,
// without a snapshot (full replay) and with one taken 4 events before the end (the snapshot
// plus a 4-event tail), beside a raw baseline in the same run: reading the whole stream
// from the store without decoding anything. open is called once per stream length.
func BenchmarkLoad(b *testing.B, open func(b testing.TB) (eventstore.Store, aggregate.SnapshotStore)) {
	for _, n := range benchmarkSizes {
		store, snaps := open(b)
		id := fmt.Sprintf("bench-%d", n)
		populate(b, store, snaps, id, n)
		streamID := testdomain.OrderStreamID(id)
		plain := aggregate.NewRepository(store, testdomain.Type())
		withSnap := aggregate.NewRepository(store, testdomain.Type(), aggregate.WithSnapshots(snaps, nil))

		b.Run(fmt.Sprintf("events=%d/raw_read", n), func(b *testing.B) {
			for b.Loop() {
				got := 0
				for _, err := range store.ReadStream(b.Context(), streamID, eventstore.ReadStreamOptions{}) {
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("read %d events, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n), "events/op")
		})
		for _, bc := range []struct {
			name     string
			repo     *aggregate.Repository[*testdomain.Order]
			replayed int
		}{{"replay", plain, n}, {"snapshot", withSnap, 5}} {
			b.Run(fmt.Sprintf("events=%d/%s", n, bc.name), func(b *testing.B) {
				for b.Loop() {
					o, err := bc.repo.Load(b.Context(), id)
					if err != nil {
						b.Fatal(err)
					}
					if o.Version() != uint64(n) {
						b.Fatalf("loaded version %d, want %d", o.Version(), n)
					}
				}
				b.ReportMetric(float64(bc.replayed), "events/op")
			})
		}
	}
}

// populate writes an order with n events (n >= 6): n-4 of them, a snapshot at n-4, then 4
// more, so a snapshot load reads 5 events whatever n is. The state stays small (10 item
// kinds) so the snapshot's size does not depend on n.
func populate(tb testing.TB, store eventstore.Store, snaps aggregate.SnapshotStore, id string, n int) {
	tb.Helper()
	codec := testdomain.NewCodec()
	streamID := testdomain.OrderStreamID(id)
	appendN := func(count int) {
		for count > 0 {
			batch := min(count, 1000)
			events := make([]eventstore.EventData, 0, batch)
			info, err := store.StreamInfo(tb.Context(), streamID)
			if err != nil {
				tb.Fatal(err)
			}
			for i := range batch {
				var m eventstore.Message = &testdomain.ItemAdded{SKU: fmt.Sprintf("sku-%d", (int(info.Version)+i)%10), Qty: 1}
				if info.Version == 0 && i == 0 {
					m = &testdomain.OrderCreated{Customer: "ada"}
				}
				ed, err := eventstore.Encode(codec, m, eventstore.Metadata{})
				if err != nil {
					tb.Fatal(err)
				}
				events = append(events, ed)
			}
			if _, err := store.Append(tb.Context(), streamID, eventstore.Exactly(info.Version), events...); err != nil {
				tb.Fatal(err)
			}
			count -= batch
		}
	}
	appendN(n - 5)
	r := aggregate.NewRepository(store, testdomain.Type(), aggregate.WithSnapshots(snaps, aggregate.EveryNEvents(1)))
	if _, err := r.Update(tb.Context(), id, func(o *testdomain.Order) error { return o.AddItem("sku-0", 1) }); err != nil {
		tb.Fatal(err)
	}
	if s, ok, err := snaps.Get(tb.Context(), streamID, "Order"); err != nil || !ok || s.StreamVersion != uint64(n-4) {
		tb.Fatalf("snapshot: %+v, %v, %v; want one at version %d", s, ok, err, n-4)
	}
	appendN(4)
}
