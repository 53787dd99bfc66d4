package codegen

import (
	"fmt"
	"strings"
)

// maxDiffCells bounds the work of Diff: the product of the lengths of the differing parts.
const maxDiffCells = 4 << 20

// Diff returns a line diff of old and new for people to read: lines only in old start
// with "-", lines only in new with "+", each with its line number, and two lines of
// context around every change. Identical inputs give "".
func Diff(old, new string) string {
	if old == new {
		return ""
	}
	x, y := strings.Split(old, "\n"), strings.Split(new, "\n")
	// Common prefix and suffix need no table.
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	type line struct {
		op     byte
		text   string
		number int
	}
	var lines []line
	for i := 0; i < pre; i++ {
		lines = append(lines, line{' ', x[i], i + 1})
	}
	if (len(mx)+1)*(len(my)+1) > maxDiffCells {
		for i, l := range mx {
			lines = append(lines, line{'-', l, pre + i + 1})
		}
		for j, l := range my {
			lines = append(lines, line{'+', l, pre + j + 1})
		}
	} else {
		// Longest common subsequence of the middle parts, from the end.
		lcs := make([][]int32, len(mx)+1)
		for i := range lcs {
			lcs[i] = make([]int32, len(my)+1)
		}
		for i := len(mx) - 1; i >= 0; i-- {
			for j := len(my) - 1; j >= 0; j-- {
				if mx[i] == my[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(mx) || j < len(my) {
			switch {
			case i < len(mx) && j < len(my) && mx[i] == my[j]:
				lines = append(lines, line{' ', mx[i], pre + i + 1})
				i++
				j++
			case j < len(my) && (i == len(mx) || lcs[i][j+1] >= lcs[i+1][j]):
				lines = append(lines, line{'+', my[j], pre + j + 1})
				j++
			default:
				lines = append(lines, line{'-', mx[i], pre + i + 1})
				i++
			}
		}
	}
	for k := 0; k < suf; k++ {
		lines = append(lines, line{' ', x[len(x)-suf+k], len(x) - suf + k + 1})
	}
	keep := make([]bool, len(lines))
	for k, l := range lines {
		if l.op != ' ' {
			for c := max(0, k-2); c <= min(len(lines)-1, k+2); c++ {
				keep[c] = true
			}
		}
	}
	var b strings.Builder
	prev := -1
	for k, l := range lines {
		if !keep[k] {
			continue
		}
		if prev >= 0 && k != prev+1 {
			b.WriteString("   ...\n")
		}
		fmt.Fprintf(&b, "%c %4d  %s\n", l.op, l.number, l.text)
		prev = k
	}
	return b.String()
}
