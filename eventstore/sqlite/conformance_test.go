package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/sqlite"
	"github.com/esgen/esgen/eventstore/storetest"
)

// TestConformance runs the shared conformance suite, unchanged, against a fresh database
// file per subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) eventstore.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), sqlite.WithMigrate())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	},
		storetest.RawEventCount(func(ctx context.Context, s eventstore.Store) (int64, error) {
			var n int64
			err := s.(*sqlite.Store).DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n)
			return n, err
		}),
		storetest.Parallel(),
	)
}
