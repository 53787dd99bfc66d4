package pgsnapshot_test

import (
	"testing"

	"github.com/esgen/esgen/aggregate/internal/repotest"
)

// BenchmarkLoadPostgres: go test -run XXX -bench LoadPostgres ./aggregate/pgsnapshot
func BenchmarkLoadPostgres(b *testing.B) { repotest.BenchmarkLoad(b, openBackend) }
