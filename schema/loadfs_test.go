package schema

import (
	"os"
	"testing"
	"testing/fstest"
)

func TestLoadFSMatchesLoadDir(t *testing.T) {
	t.Parallel()
	onDisk, err := LoadDir("testdata/contracts/ok")
	if err != nil {
		t.Fatal(err)
	}
	fromFS, err := LoadFS(os.DirFS("testdata"), "contracts/ok")
	if err != nil {
		t.Fatal(err)
	}
	if len(fromFS.Events) != len(onDisk.Events) {
		t.Fatalf("%d events, want %d", len(fromFS.Events), len(onDisk.Events))
	}
	for i, ev := range onDisk.Events {
		got := fromFS.Events[i]
		if got.Name != ev.Name || got.Latest().Fingerprint != ev.Latest().Fingerprint || got.Latest().File != "contracts/ok/"+shortName(ev.Name)+"/v"+itoa(ev.Latest().Number)+".avsc" {
			t.Fatalf("event %d: %s %s", i, got.Name, got.Latest().File)
		}
	}
	bad := fstest.MapFS{"c/E/v2.avsc": {Data: []byte(`{"type":"record","name":"E","fields":[]}`)}}
	if _, err := LoadFS(bad, "c"); err == nil {
		t.Fatal("a gap from v0 to v2 loaded")
	}
}

func shortName(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '.' {
			return full[i+1:]
		}
	}
	return full
}
