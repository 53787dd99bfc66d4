package schema

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
)

func TestLoadDirValid(t *testing.T) {
	t.Parallel()
	set, err := LoadDir("testdata/contracts/ok")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range set.Events {
		names = append(names, e.Name)
	}
	if got, want := strings.Join(names, ","), "orders.OrderCreated,orders.OrderShipped"; got != want {
		t.Fatalf("events = %s, want %s", got, want)
	}
	ev := set.Event("orders.OrderCreated")
	if ev == nil || len(ev.Versions) != 2 || ev.Latest().Number != 2 {
		t.Fatalf("OrderCreated = %+v", ev)
	}
	if set.Event("orders.Nope") != nil {
		t.Fatal("Event(absent) != nil")
	}
	v1 := ev.Versions[0]
	if v1.Event != "orders.OrderCreated" || v1.File != filepath.Join("testdata/contracts/ok/OrderCreated/v1.avsc") {
		t.Fatalf("v1 = %s %s", v1.Event, v1.File)
	}
	wantCanon := `{"name":"orders.OrderCreated","type":"record","fields":[{"name":"order_id","type":"string"},{"name":"customer_id","type":"string"},{"name":"total","type":{"name":"orders.types.Money","type":"record","fields":[{"name":"currency","type":{"name":"orders.types.Currency","type":"fixed","size":3}},{"name":"units","type":"long"}]}}]}`
	if v1.Canonical != wantCanon {
		t.Fatalf("canonical:\n got %s\nwant %s", v1.Canonical, wantCanon)
	}
	if v1.Fingerprint != fingerprintString(wantCanon) {
		t.Fatalf("fingerprint %x, want %x", v1.Fingerprint, fingerprintString(wantCanon))
	}
	if ev.Versions[0].Fingerprint == ev.Versions[1].Fingerprint {
		t.Fatal("different versions share a fingerprint")
	}
	raw, _ := os.ReadFile(v1.File)
	if string(v1.Raw) != string(raw) {
		t.Fatal("Raw differs from file contents")
	}
}

// The Avro specification's reference values for CRC-64-AVRO.
func TestFingerprintMatchesSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		schema string
		want   uint64
	}{
		{`"null"`, 7195948357588979594},
		{`"int"`, 8247732601305521295},
	}
	for _, tt := range tests {
		s := avro.MustParse(tt.schema)
		if got := Fingerprint(s); got != tt.want {
			t.Errorf("Fingerprint(%s) = %d, want %d", tt.schema, got, tt.want)
		}
		if got := fingerprintString(s.String()); got != tt.want {
			t.Errorf("fingerprintString(%s) = %d, want %d", tt.schema, got, tt.want)
		}
	}
}

func TestLoadDirMissing(t *testing.T) {
	t.Parallel()
	_, err := LoadDir(filepath.Join(t.TempDir(), "absent"))
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, ErrInvalidContracts) {
		t.Fatalf("err = %v, want *LoadError", err)
	}
}
