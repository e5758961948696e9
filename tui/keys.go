package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// globalKeys are handled by the root model on every screen. Steps add their
// own bindings; the footer shows both (see footerKeys).
type globalKeys struct {
	Help key.Binding
	Back key.Binding
	Quit key.Binding
	Yes  key.Binding
	No   key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Yes:  key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, quit")),
		No:   key.NewBinding(key.WithKeys("n", "N", "esc", "enter"), key.WithHelp("n", "no, stay")),
	}
}

// footerKeys joins a screen's bindings with the global ones so bubbles/help
// can lay them out: short help on one line, full help in columns.
type footerKeys struct {
	step   help.KeyMap
	global globalKeys
	canGo  bool // whether esc (back) means anything here
}

func (f footerKeys) ShortHelp() []key.Binding {
	var b []key.Binding
	if f.step != nil {
		b = append(b, f.step.ShortHelp()...)
	}
	if f.canGo {
		b = append(b, f.global.Back)
	}
	return append(b, f.global.Help, f.global.Quit)
}

func (f footerKeys) FullHelp() [][]key.Binding {
	var cols [][]key.Binding
	if f.step != nil {
		cols = append(cols, f.step.FullHelp()...)
	}
	g := []key.Binding{}
	if f.canGo {
		g = append(g, f.global.Back)
	}
	g = append(g, key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "fewer keys")), f.global.Quit)
	return append(cols, g)
}

// confirmKeys is the footer while "quit?" is asked.
type confirmKeys struct{ g globalKeys }

func (c confirmKeys) ShortHelp() []key.Binding  { return []key.Binding{c.g.Yes, c.g.No} }
func (c confirmKeys) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }

// resumeKeys is the footer while "continue where the last run stopped?"
// is asked.
type resumeKeys struct{ g globalKeys }

func (r resumeKeys) ShortHelp() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "continue there")),
		key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "start over")),
		r.g.Quit,
	}
}
func (r resumeKeys) FullHelp() [][]key.Binding { return [][]key.Binding{r.ShortHelp()} }

// errorKeys is the footer while the root shows an error.
type errorKeys struct{ g globalKeys }

func (e errorKeys) ShortHelp() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("any key", "back to the step")), e.g.Quit}
}
func (e errorKeys) FullHelp() [][]key.Binding { return [][]key.Binding{e.ShortHelp()} }

// scrollKey is the viewport binding of every step that shows a long result
// (connectivity, live test, troubleshoot, summary), so they all scroll and
// describe scrolling the same way.
func scrollKey() key.Binding {
	return key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓", "scroll"))
}
