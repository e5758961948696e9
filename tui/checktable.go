package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"relaywiz/checks"
	"relaywiz/termtext"
)

// The live table of the connectivity and credentials steps: one row per
// stage, one column per port, cells filling in as progress events arrive.

type cellState int

const (
	cellPending cellState = iota
	cellRunning
	cellOK
	cellWarn
	cellFail
	cellSkipped
)

type stageCell struct {
	state  cellState
	ms     float64
	detail string
}

// progressTable accumulates checks.Events per port.
type progressTable struct {
	ports  []int
	stages []checks.Stage
	cells  map[int]map[checks.Stage]*stageCell
	done   map[int]bool
}

func newProgressTable(ports []int, withAuth bool) *progressTable {
	t := &progressTable{ports: ports, cells: map[int]map[checks.Stage]*stageCell{}, done: map[int]bool{}}
	for _, st := range checks.Stages() {
		if st == checks.StageAuth && !withAuth {
			continue
		}
		t.stages = append(t.stages, st)
	}
	for _, p := range ports {
		t.cells[p] = map[checks.Stage]*stageCell{}
		for _, st := range t.stages {
			t.cells[p][st] = &stageCell{}
		}
	}
	return t
}

// apply records one progress event.
func (t *progressTable) apply(ev checks.Event) {
	row, ok := t.cells[ev.Port]
	if !ok {
		return
	}
	switch ev.Kind {
	case checks.StageStarted:
		if c := row[ev.Stage]; c != nil {
			c.state = cellRunning
		}
	case checks.StageFinished:
		if c := row[ev.Stage]; c != nil {
			*c = cellFrom(ev.Result)
		}
	case checks.PortFinished:
		t.done[ev.Port] = true
		if ev.PortResult != nil {
			t.fill(*ev.PortResult)
		}
	}
}

// fill sets every cell of a port from its final result; stages that never
// ran are marked skipped.
func (t *progressTable) fill(p checks.PortResult) {
	row, ok := t.cells[p.Port]
	if !ok {
		return
	}
	t.done[p.Port] = true
	seen := map[checks.Stage]bool{}
	for _, r := range p.Stages {
		if c := row[r.Name]; c != nil {
			*c = cellFrom(r)
			seen[r.Name] = true
		}
	}
	for st, c := range row {
		if !seen[st] && (c.state == cellPending || c.state == cellRunning) {
			c.state = cellSkipped
		}
	}
}

// fillReport sets the whole table from a finished report.
func (t *progressTable) fillReport(r checks.Report) {
	for _, p := range r.Ports {
		t.fill(p)
	}
}

func cellFrom(r checks.StageResult) stageCell {
	// The detail quotes the server (banner, replies): escaped.
	c := stageCell{ms: r.Ms, detail: termtext.Escape(r.Detail)}
	switch {
	case !r.OK:
		c.state = cellFail
	case r.Warning:
		c.state = cellWarn
	default:
		c.state = cellOK
	}
	if r.Name == checks.StageAuth && r.OK && r.Detail == "" {
		c.detail = "accepted"
	}
	return c
}

// stageLabel names a stage for an admin.
func stageLabel(s checks.Stage) string {
	switch s {
	case checks.StageDNS:
		return "DNS lookup"
	case checks.StageConnect:
		return "TCP connect"
	case checks.StageBanner:
		return "Greeting"
	case checks.StageEHLO:
		return "EHLO"
	case checks.StageStartTLS:
		return "STARTTLS"
	case checks.StageTLS:
		return "TLS certificate"
	case checks.StageEHLOTLS:
		return "EHLO after TLS"
	case checks.StageAuth:
		return "Login (AUTH)"
	}
	return string(s)
}

// render draws the table in w cells. spin is the current spinner frame
// for running cells.
func (t *progressTable) render(st *Styles, w int, spin string) string {
	const labelW = 17
	colW := 30
	if n := len(t.ports); n > 0 {
		colW = min(max((w-labelW-1)/n, 12), 60)
	}
	var b strings.Builder
	b.WriteString(st.TableHeading.Render(padRight("Stage", labelW)))
	for _, p := range t.ports {
		head := fmt.Sprintf("Port %d", p)
		switch {
		case !t.done[p]:
			head += " " + spin
		case t.portOK(p):
			head += " " + markOK
		default:
			head += " " + markFail
		}
		b.WriteString(st.TableHeading.Render(padRight(head, colW)))
	}
	b.WriteString("\n")
	for _, s := range t.stages {
		b.WriteString(padRight(stageLabel(s), labelW))
		for _, p := range t.ports {
			b.WriteString(t.cellView(st, t.cells[p][s], colW-1, spin) + " ")
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (t *progressTable) portOK(p int) bool {
	for _, c := range t.cells[p] {
		if c.state == cellFail {
			return false
		}
	}
	return t.done[p]
}

func (t *progressTable) cellView(st *Styles, c *stageCell, w int, spin string) string {
	var mark, text string
	var style = st.Text
	switch c.state {
	case cellPending:
		mark, style = markPending, st.Subtle
	case cellRunning:
		mark, text, style = spin, "…", st.Running
	case cellOK:
		mark, style = markOK, st.OK
	case cellWarn:
		mark, style = markWarn, st.Warn
	case cellFail:
		mark, style = markFail, st.Fail
	case cellSkipped:
		mark, text, style = markSkipped, "not run", st.Subtle
	}
	if c.state == cellOK || c.state == cellWarn || c.state == cellFail {
		// Right-aligned times keep the details in one column.
		text = fmt.Sprintf("%4.0f ms", c.ms)
		if c.detail != "" {
			text = c.detail
			if c.state != cellFail {
				text = fmt.Sprintf("%4.0f ms %s", c.ms, c.detail)
			}
		}
	}
	cell := ansi.Truncate(mark+" "+text, w, "…")
	return style.Render(padRight(cell, w))
}
