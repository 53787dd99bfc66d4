package projection_test

import (
	"strings"
	"testing"
	"time"

	"github.com/esgen/esgen/projection"
)

func TestFormatProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    projection.Progress
		want string
	}{
		{projection.Progress{Projection: "s", Version: 2, Phase: "catch-up", Done: 10000, Fraction: 0.5, Rate: 8000, ETA: 1234 * time.Millisecond},
			"s v2 [#####-----]  50%  10000 events  8000/s  ETA 1.2s"},
		{projection.Progress{Projection: "s", Version: 2, Phase: "done", Done: 20000, Fraction: 1, Rate: 8000, Elapsed: 2500 * time.Millisecond},
			"s v2 [##########] 100%  20000 events  8000/s  done in 2.5s"},
		{projection.Progress{Projection: "s", Version: 3, Phase: "swap", Fraction: 1.7},
			"s v3 [##########] 100%  0 events  0/s  (swapping)"},
	} {
		if got := projection.FormatProgress(tc.p, 10); got != tc.want {
			t.Errorf("FormatProgress(%+v)\n got %q\nwant %q", tc.p, got, tc.want)
		}
	}
}

func TestProgressBarEndsWithNewline(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	bar := projection.ProgressBar(&b, 0)
	bar(projection.Progress{Projection: "status", Version: 2, Phase: "catch-up", Done: 10, Fraction: 0.1})
	bar(projection.Progress{Projection: "status", Version: 2, Phase: "done", Done: 100, Fraction: 1})
	out := b.String()
	if !strings.Contains(out, "status v2: 100 events") || !strings.Contains(out, "100%") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("bar output %q: want the final description, 100%% and a final newline", out)
	}
}
