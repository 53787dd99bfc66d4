package sqlitesnapshot_test

import (
	"testing"

	"github.com/esgen/esgen/aggregate/internal/repotest"
)

// BenchmarkLoadSQLite: go test -run XXX -bench LoadSQLite ./aggregate/sqlitesnapshot
func BenchmarkLoadSQLite(b *testing.B) { repotest.BenchmarkLoad(b, openBackend) }
