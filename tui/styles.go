package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
)

// Styles is every look the wizard uses, built once and shared through
// Common. Colour only ever adds to what the text already says: with
// NO_COLOR (or a dumb terminal) lipgloss renders no escape codes at all, so
// every state also has a textual mark ("✓", "✗", "!", "[Tab]", "> ").
type Styles struct {
	App          lipgloss.Style
	HeaderApp    lipgloss.Style
	HeaderStep   lipgloss.Style
	HeaderRight  lipgloss.Style
	Rule         lipgloss.Style
	Title        lipgloss.Style
	Subtle       lipgloss.Style
	Text         lipgloss.Style
	OK           lipgloss.Style
	Fail         lipgloss.Style
	Warn         lipgloss.Style
	Running      lipgloss.Style
	Cursor       lipgloss.Style
	Selected     lipgloss.Style
	Box          lipgloss.Style
	ErrorBox     lipgloss.Style
	ErrorTitle   lipgloss.Style
	Tab          lipgloss.Style
	ActiveTab    lipgloss.Style
	Status       lipgloss.Style
	StatusError  lipgloss.Style
	Code         lipgloss.Style
	TableHeading lipgloss.Style
	Help         help.Styles
	// Form is the huh theme, derived from the same palette.
	Form *huh.Theme
}

// Marks used next to results. They carry the meaning on their own, so a
// screen is readable without colour.
const (
	markOK      = "✓"
	markFail    = "✗"
	markWarn    = "!"
	markPending = "·"
	markSkipped = "-"
)

// markLine is one result line: the mark in its colour (other marks in
// plain), then text hung under itself at width w.
func (st *Styles) markLine(mark, text string, plain lipgloss.Style, w int) string {
	style := plain
	switch mark {
	case markOK:
		style = st.OK
	case markFail:
		style = st.Fail
	case markWarn:
		style = st.Warn
	}
	return hang(style.Render(mark)+" ", text, w) + "\n"
}

// DefaultStyles returns the wizard's styles. Adaptive colours keep text
// readable on light and dark terminals.
func DefaultStyles() *Styles {
	var (
		accent = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A99CF5"}
		subtle = lipgloss.AdaptiveColor{Light: "243", Dark: "245"}
		ok     = lipgloss.AdaptiveColor{Light: "28", Dark: "42"}
		fail   = lipgloss.AdaptiveColor{Light: "160", Dark: "203"}
		warn   = lipgloss.AdaptiveColor{Light: "130", Dark: "214"}
	)
	s := &Styles{}
	s.App = lipgloss.NewStyle()
	s.HeaderApp = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.HeaderStep = lipgloss.NewStyle().Bold(true)
	s.HeaderRight = lipgloss.NewStyle().Foreground(subtle)
	s.Rule = lipgloss.NewStyle().Foreground(subtle)
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Subtle = lipgloss.NewStyle().Foreground(subtle)
	s.Text = lipgloss.NewStyle()
	s.OK = lipgloss.NewStyle().Foreground(ok)
	s.Fail = lipgloss.NewStyle().Foreground(fail).Bold(true)
	s.Warn = lipgloss.NewStyle().Foreground(warn)
	s.Running = lipgloss.NewStyle().Foreground(accent)
	s.Cursor = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Selected = lipgloss.NewStyle().Bold(true)
	s.Box = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(subtle).Padding(0, 1)
	s.ErrorBox = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(fail).Padding(0, 1)
	s.ErrorTitle = lipgloss.NewStyle().Bold(true).Foreground(fail)
	s.Tab = lipgloss.NewStyle().Foreground(subtle)
	s.ActiveTab = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Status = lipgloss.NewStyle().Foreground(subtle)
	s.StatusError = lipgloss.NewStyle().Foreground(fail)
	s.Code = lipgloss.NewStyle()
	s.TableHeading = lipgloss.NewStyle().Bold(true)

	h := help.New().Styles
	h.ShortKey = lipgloss.NewStyle().Foreground(accent)
	h.FullKey = lipgloss.NewStyle().Foreground(accent)
	s.Help = h

	s.Form = huh.ThemeBase16()
	// The base theme marks only the focused field with a border; keep the
	// field titles distinct without colour too.
	s.Form.Focused.Title = s.Form.Focused.Title.Bold(true)
	return s
}
