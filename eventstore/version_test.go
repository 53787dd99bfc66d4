package eventstore

import (
	"errors"
	"testing"
)

func TestExpectedVersionCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expected ExpectedVersion
		actual   uint64
		exists   bool
		ok       bool
	}{
		{Any, 0, false, true},
		{Any, 5, true, true},
		{Any, 5, false, true}, // soft-deleted
		{NoStream, 0, false, true},
		{NoStream, 5, false, true}, // soft-deleted streams accept NoStream
		{NoStream, 5, true, false},
		{StreamExists, 5, true, true},
		{StreamExists, 0, false, false},
		{StreamExists, 5, false, false},
		{Exactly(5), 5, true, true},
		{Exactly(5), 4, true, false},
		{Exactly(5), 6, true, false},
		{Exactly(5), 5, false, false}, // deleted at version 5: the stream does not exist
		{Exactly(0), 0, false, true},
		{Exactly(0), 3, true, false},
	}
	for _, tc := range cases {
		err := tc.expected.Check("s-1", tc.actual, tc.exists)
		if tc.ok {
			if err != nil {
				t.Errorf("%s.Check(%d, exists=%v) = %v, want nil", tc.expected, tc.actual, tc.exists, err)
			}
			continue
		}
		if !errors.Is(err, ErrWrongExpectedVersion) {
			t.Errorf("%s.Check(%d, exists=%v) = %v, want ErrWrongExpectedVersion", tc.expected, tc.actual, tc.exists, err)
			continue
		}
		var vc *VersionConflictError
		if !errors.As(err, &vc) {
			t.Fatalf("error %T is not a *VersionConflictError", err)
		}
		want := VersionConflictError{StreamID: "s-1", Expected: tc.expected, Actual: tc.actual, Exists: tc.exists}
		if *vc != want {
			t.Errorf("conflict = %+v, want %+v", *vc, want)
		}
	}
}

func TestExpectedVersionKinds(t *testing.T) {
	t.Parallel()
	if Exactly(0) != NoStream {
		t.Error("Exactly(0) differs from NoStream")
	}
	if (ExpectedVersion{}) != Any {
		t.Error("the zero ExpectedVersion is not Any")
	}
	cases := []struct {
		e                 ExpectedVersion
		any, none, exists bool
		exact             uint64
		isExact           bool
		text              string
	}{
		{Any, true, false, false, 0, false, "any"},
		{NoStream, false, true, false, 0, false, "no stream"},
		{StreamExists, false, false, true, 0, false, "stream exists"},
		{Exactly(7), false, false, false, 7, true, "version 7"},
	}
	for _, tc := range cases {
		v, ok := tc.e.Exact()
		if tc.e.IsAny() != tc.any || tc.e.IsNoStream() != tc.none || tc.e.IsStreamExists() != tc.exists || v != tc.exact || ok != tc.isExact {
			t.Errorf("%s: kind accessors disagree", tc.text)
		}
		if tc.e.String() != tc.text {
			t.Errorf("String() = %q, want %q", tc.e.String(), tc.text)
		}
	}
}
