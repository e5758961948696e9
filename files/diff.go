package files

import (
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines Diff shows around a change.
const diffContext = 2

// maxDiffCells bounds the line-by-line comparison (old lines × new lines);
// artifacts are a few hundred lines, so this is only a guard against a
// huge unrelated file in the output directory.
const maxDiffCells = 4_000_000

// Diff describes how the text old became new, as hunks of "-old" and
// "+new" lines with a little context, for a person deciding whether to
// replace a file. It is not meant for patch(1).
func Diff(old, new string) string {
	if old == new {
		return ""
	}
	a, b := splitLines(old), splitLines(new)
	if len(a)*len(b) > maxDiffCells {
		return fmt.Sprintf("(the files differ; %d lines before, %d after: too large to compare line by line)\n", len(a), len(b))
	}
	ops := lineOps(a, b)

	// Mark which ops to print: changes plus context around them.
	show := make([]bool, len(ops))
	for i, op := range ops {
		if op.kind != ' ' {
			for j := max(0, i-diffContext); j <= min(len(ops)-1, i+diffContext); j++ {
				show[j] = true
			}
		}
	}
	var out strings.Builder
	inHunk := false
	for i, op := range ops {
		if !show[i] {
			inHunk = false
			continue
		}
		if !inHunk {
			fmt.Fprintf(&out, "@@ line %d @@\n", op.newLine)
			inHunk = true
		}
		out.WriteByte(op.kind)
		out.WriteString(op.text)
		out.WriteByte('\n')
	}
	return out.String()
}

type lineOp struct {
	kind    byte // ' ', '-' or '+'
	text    string
	newLine int // 1-based line in new where this op sits
}

// lineOps computes an edit script from the longest common subsequence of
// lines (O(n·m), fine for files of this size).
func lineOps(a, b []string) []lineOp {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, lineOp{' ', a[i], j + 1})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			// removals first, then additions, as diff(1) prints them
			ops = append(ops, lineOp{'-', a[i], j + 1})
			i++
		default:
			ops = append(ops, lineOp{'+', b[j], j + 1})
			j++
		}
	}
	return ops
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
