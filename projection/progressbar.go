package projection

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ProgressBar returns a progress callback (for [RebuildOptions.Progress] or [WithProgress])
// that draws a terminal progress bar on w (github.com/schollz/progressbar), redrawn in place
// at most every interval and finished with a newline when the phase is "done":
//
//	order_status v2: 10000 events, 8000/s  50% |██████████          | [1s:1s]
//
// Write errors are ignored: a progress bar must not fail the work it reports on.
func ProgressBar(w io.Writer, interval time.Duration) func(Progress) {
	var mu sync.Mutex
	var bar *progressbar.ProgressBar
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if bar == nil {
			bar = progressbar.NewOptions64(1000,
				progressbar.OptionSetWriter(w),
				progressbar.OptionThrottle(interval),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetWidth(20),
				progressbar.OptionUseANSICodes(false),
				progressbar.OptionOnCompletion(func() { _, _ = fmt.Fprintln(w) }),
			)
		}
		desc := fmt.Sprintf("%s v%d: %d events, %.0f/s", p.Projection, p.Version, p.Done, p.Rate)
		if p.Phase == "swap" {
			desc += " (swapping)"
		}
		bar.Describe(desc)
		if p.Phase == "done" {
			_ = bar.Finish()
			return
		}
		_ = bar.Set64(int64(min(max(p.Fraction, 0), 1) * 999))
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
