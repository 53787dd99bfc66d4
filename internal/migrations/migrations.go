// Package migrations reads the versioned SQL migrations that esgen's database packages embed:
// one file per version, named NNNN_description.sql and numbered 1, 2, 3... without gaps.
// Applying them is each package's own business (PostgreSQL and SQLite record versions
// differently); reading and checking the files is the same everywhere.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one embedded migration.
type Migration struct {
	// Version is the migration's number, from 1.
	Version int
	// Name is the file name's description part, e.g. "events" for 0001_events.sql.
	Name string
	// SQL is the file's contents.
	SQL string
}

// Load reads every *.sql file of dir in fsys and returns them in version order. It fails,
// naming the file, when a name is not of the form NNNN_description.sql or when the versions
// are not 1..n without gaps or repeats.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("list migrations in %s: %w", dir, err)
	}
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		num, name, ok := strings.Cut(strings.TrimSuffix(path.Base(n), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || name == "" {
			return nil, fmt.Errorf("migration file %s: want the form NNNN_description.sql with NNNN from 0001", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", n, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations in %s must be numbered 1, 2, 3... without gaps or repeats: found version %d (%s) in position %d", dir, m.Version, m.Name, i+1)
		}
	}
	return out, nil
}
