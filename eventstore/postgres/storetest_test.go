package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/eventstore/storetest"
)

// rawCount counts the rows of the store's events table, bypassing its read path.
func rawCount(ctx context.Context, st eventstore.Store) (int64, error) {
	s, ok := st.(*postgres.Store)
	if !ok {
		return 0, fmt.Errorf("want a *postgres.Store, got %T", st)
	}
	var n int64
	err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{s.Schema()}.Sanitize()+".events").Scan(&n)
	return n, err
}

// Each store gets a database of its own: the read horizon is per database, so a subtest
// holding a transaction open must not hold back the reads of another.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) eventstore.Store { return newStore(t) },
		storetest.Parallel(),
		storetest.RawEventCount(rawCount))
}
