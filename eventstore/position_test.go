package eventstore

import (
	"encoding/json"
	"testing"
)

func TestPositionCompare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p, q Position
		want int
	}{
		{Position{}, Position{}, 0},
		{Position{0, 1}, Position{0, 2}, -1},
		{Position{0, 2}, Position{0, 1}, 1},
		{Position{1, 0}, Position{0, 99}, 1},
		{Position{1, 5}, Position{2, 1}, -1},
		{Position{3, 3}, Position{3, 3}, 0},
		{Position{^uint64(0), 0}, Position{^uint64(0) - 1, ^uint64(0)}, 1},
	}
	for _, tc := range cases {
		if got := tc.p.Compare(tc.q); got != tc.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tc.p, tc.q, got, tc.want)
		}
		if got := tc.q.Compare(tc.p); got != -tc.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tc.q, tc.p, got, -tc.want)
		}
		if got := tc.p.Less(tc.q); got != (tc.want < 0) {
			t.Errorf("%v.Less(%v) = %v", tc.p, tc.q, got)
		}
	}
	if !Start.IsZero() || (Position{0, 1}).IsZero() || (Position{1, 0}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestPositionText(t *testing.T) {
	t.Parallel()
	for _, p := range []Position{{}, {0, 42}, {7, 0}, {^uint64(0), ^uint64(0)}} {
		s := p.String()
		q, err := ParsePosition(s)
		if err != nil || q != p {
			t.Errorf("ParsePosition(%q) = %v, %v; want %v", s, q, err, p)
		}
		b, err := json.Marshal(map[string]Position{"cp": p})
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]Position
		if err := json.Unmarshal(b, &back); err != nil || back["cp"] != p {
			t.Errorf("JSON round trip of %v via %s = %v, %v", p, b, back["cp"], err)
		}
	}
	if s := (Position{3, 9}).String(); s != "3/9" {
		t.Errorf("String() = %q, want 3/9", s)
	}
	for _, bad := range []string{"", "42", "a/1", "1/b", "1/2/3", "-1/2", "1/-2", "/", "18446744073709551616/0"} {
		if p, err := ParsePosition(bad); err == nil {
			t.Errorf("ParsePosition(%q) = %v, want an error", bad, p)
		}
		var p Position
		if err := p.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", bad)
		}
	}
}

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"0/0", "1/2", "18446744073709551615/1", "x", "1/", "/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePosition(s)
		if err != nil {
			return
		}
		q, err := ParsePosition(p.String())
		if err != nil || q != p {
			t.Fatalf("%q parsed as %v, whose text %q parses as %v, %v", s, p, p.String(), q, err)
		}
	})
}
