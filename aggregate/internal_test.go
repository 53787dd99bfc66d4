package aggregate

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetryPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p  RetryPolicy
		ok bool
	}{
		{DefaultRetryPolicy(), true},
		{RetryPolicy{MaxAttempts: 1}, true},
		{RetryPolicy{MaxAttempts: 0}, false},
		{RetryPolicy{MaxAttempts: 3, InitialBackoff: -1}, false},
		{RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: time.Millisecond}, false},
	}
	for _, tc := range tests {
		if err := tc.p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tc.p, err, tc.ok)
		}
	}
}

func TestBackoffCapDoublesUpToMax(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 10, InitialBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	want := []time.Duration{2, 4, 8, 16, 20, 20, 20}
	for i, w := range want {
		if got := p.backoffCap(i + 1); got != w*time.Millisecond {
			t.Errorf("backoffCap(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := (RetryPolicy{MaxAttempts: 2}).backoffCap(5); got != 0 {
		t.Errorf("zero backoff gave %v", got)
	}
}

func TestWaitStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := wait(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a cancelled context: %v", err)
	}
	if err := wait(t.Context(), 0); err != nil {
		t.Fatalf("wait(0): %v", err)
	}
}
