package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
)

// Helpers for the huh forms the steps embed (huh's bubbletea example):
// the step owns the *huh.Form, passes messages on, and watches State,
// because SubmitCmd is only set by Form.Run.

// newForm builds a form that fits the wizard: no help of its own (the
// root's footer shows the form's keys). huh prints a group's errors below
// its last field, which a tall group pushes off a 24-line screen (enter
// then seems to do nothing); so the field keeps only huh's error mark next
// to its title and the root shows the message in the footer (formError).
func newForm(st *Styles, groups ...*huh.Group) *huh.Form {
	return huh.NewForm(groups...).
		WithShowHelp(false).
		WithShowErrors(false).
		WithTheme(st.Form).
		WithKeyMap(formKeyMap())
}

// formKeyMap is huh's default with the select filter switched off: "/"
// and esc stay free, and esc always means "back" in the wizard.
func formKeyMap() *huh.KeyMap {
	k := huh.NewDefaultKeyMap()
	k.Select.Filter.SetEnabled(false)
	k.Select.SetFilter.SetEnabled(false)
	k.Select.ClearFilter.SetEnabled(false)
	k.MultiSelect.Filter.SetEnabled(false)
	k.MultiSelect.SetFilter.SetEnabled(false)
	k.MultiSelect.ClearFilter.SetEnabled(false)
	// ctrl+c is the root's: it quits the wizard, not just the form.
	k.Quit.SetEnabled(false)
	return k
}

// sizeForm tells the form how much room it has. Only the step knows that
// (the terminal size minus header, footer and the step's own text), so the
// terminal's WindowSizeMsg never reaches a form directly.
func sizeForm(f *huh.Form, w, h int) {
	if f == nil || w <= 0 || h <= 0 {
		return
	}
	f.Update(tea.WindowSizeMsg{Width: w, Height: h})
}

// formTyping reports whether the focused field takes text.
func formTyping(f *huh.Form) bool {
	if f == nil || f.State != huh.StateNormal {
		return false
	}
	switch f.GetFocusedField().(type) {
	case *huh.Input, *huh.Text:
		return true
	}
	return false
}

// formKeys is the focused field's bindings for the footer.
func formKeys(f *huh.Form) []key.Binding {
	if f == nil || f.State != huh.StateNormal {
		return nil
	}
	var out []key.Binding
	for _, b := range f.KeyBinds() {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}

// updateForm passes msg to the form and reports whether it just completed.
func updateForm(f *huh.Form, msg tea.Msg) (tea.Cmd, bool) {
	if f == nil {
		return nil, false
	}
	before := f.State
	_, cmd := f.Update(msg)
	return cmd, before == huh.StateNormal && f.State == huh.StateCompleted
}

// formShower is a step that may have a form on screen.
type formShower interface {
	shownForm() *huh.Form
}

// formError is the message of the focused group's first invalid field, for
// the footer ("" when every field is fine).
func formError(f *huh.Form) string {
	if f == nil || f.State != huh.StateNormal {
		return ""
	}
	if errs := f.Errors(); len(errs) > 0 {
		return errs[0].Error()
	}
	return ""
}
