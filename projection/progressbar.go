package projection

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ProgressBar returns a progress callback (for [RebuildOptions.Progress] or [WithProgress])
// that draws a one-line bar on w, redrawn in place with a carriage return at most every
// interval, and finished with a newline when the phase is "done":
//
//	order_status v2 [##########----------]  50%  10000 events  8000/s  ETA 1.2s
//
// Write errors are ignored: a progress bar must not fail the work it reports on.
func ProgressBar(w io.Writer, interval time.Duration) func(Progress) {
	var mu sync.Mutex
	var last time.Time
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		done := p.Phase == "done"
		if !done && time.Since(last) < interval {
			return
		}
		last = time.Now()
		line := FormatProgress(p, 20)
		if done {
			_, _ = fmt.Fprintf(w, "\r%s\n", line)
			return
		}
		_, _ = fmt.Fprintf(w, "\r%s", line)
	}
}

// FormatProgress renders p as one line with a bar of width cells.
func FormatProgress(p Progress, width int) string {
	if width < 1 {
		width = 1
	}
	frac := min(max(p.Fraction, 0), 1)
	full := int(frac * float64(width))
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%d [%s%s] %3.0f%%  %d events  %.0f/s", p.Projection, p.Version,
		strings.Repeat("#", full), strings.Repeat("-", width-full), frac*100, p.Done, p.Rate)
	switch {
	case p.Phase == "done":
		fmt.Fprintf(&b, "  done in %s", p.Elapsed.Round(time.Millisecond))
	case p.ETA > 0:
		fmt.Fprintf(&b, "  ETA %s", p.ETA.Round(100*time.Millisecond))
	}
	if p.Phase == "swap" {
		b.WriteString("  (swapping)")
	}
	return b.String()
}
