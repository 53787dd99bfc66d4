package postgres_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/esgen/esgen/eventstore/postgres"
	"github.com/esgen/esgen/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// schemaSeq numbers the schemas of one test binary.
var schemaSeq atomic.Int64

// newStore returns a migrated store in a fresh database of its own.
func newStore(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	return newStoreIn(t, pgtest.NewDatabase(t), opts...)
}

// newStoreIn returns a migrated store in the database at url, in a fresh schema unless opts
// name one.
func newStoreIn(t testing.TB, url string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	opts = append([]postgres.Option{postgres.WithSchema("es_" + itoa(schemaSeq.Add(1))), postgres.WithMigrate(),
		postgres.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	s, err := postgres.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newPool returns a pool on url, closed when t ends.
func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
