package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	ok := fstest.MapFS{
		"m/0002_more.sql":   {Data: []byte("B")},
		"m/0001_events.sql": {Data: []byte("A")},
		"m/README":          {Data: []byte("not a migration")},
	}
	got, err := Load(ok, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (Migration{1, "events", "A"}) || got[1] != (Migration{2, "more", "B"}) {
		t.Fatalf("Load = %+v", got)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"repeat":   {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
		"bad name": {"m/first.sql": {}},
		"no desc":  {"m/0001.sql": {}},
		"zero":     {"m/0000_a.sql": {}},
	} {
		if _, err := Load(fsys, "m"); err == nil || !strings.Contains(err.Error(), "m/") && !strings.Contains(err.Error(), "in m") {
			t.Errorf("%s: Load error = %v, want one naming the folder or file", name, err)
		}
	}
	if got, err := Load(fstest.MapFS{}, "m"); err != nil || len(got) != 0 {
		t.Errorf("empty folder: %v, %v", got, err)
	}
}
