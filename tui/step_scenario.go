package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/steps"
)

// scenarioStep is step 1: which of the manuals' setups this is. Picking
// one fills the later steps with the provider's defaults. The last entry
// opens the Troubleshoot screen for a setup that already exists.
type scenarioStep struct {
	c      *Common
	items  []steps.Scenario
	cursor int // len(items) is the Troubleshoot entry
	keys   scenarioKeys
	w, h   int
}

type scenarioKeys struct {
	Up, Down, Choose key.Binding
}

func newScenarioStep(c *Common) *scenarioStep {
	return &scenarioStep{
		c:     c,
		items: steps.Scenarios(),
		keys: scenarioKeys{
			Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
			Down:   key.NewBinding(key.WithKeys("down", "j", "tab"), key.WithHelp("↓/j", "down")),
			Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		},
	}
}

type openTroubleshootMsg struct{}

func (s *scenarioStep) Title() string    { return "Scenario" }
func (s *scenarioStep) Typing() bool     { return false }
func (s *scenarioStep) Busy() string     { return "" }
func (s *scenarioStep) Leave()           {}
func (s *scenarioStep) SetSize(w, h int) { s.w, s.h = w, h }
func (s *scenarioStep) Init() tea.Cmd    { return nil }
func (s *scenarioStep) ShortHelp() []key.Binding {
	return []key.Binding{s.keys.Up, s.keys.Down, s.keys.Choose}
}
func (s *scenarioStep) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// Enter puts the cursor on the scenario chosen before (or loaded from the
// profile).
func (s *scenarioStep) Enter() tea.Cmd {
	if s.c.Session.HasScenario {
		for i, sc := range s.items {
			if sc.ID == s.c.Session.Scenario.ID {
				s.cursor = i
			}
		}
	}
	return nil
}

func (s *scenarioStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return s, nil
	}
	n := len(s.items) + 1
	switch {
	case key.Matches(km, s.keys.Up):
		s.cursor = (s.cursor + n - 1) % n
	case key.Matches(km, s.keys.Down):
		s.cursor = (s.cursor + 1) % n
	case key.Matches(km, s.keys.Choose):
		if s.cursor == len(s.items) {
			return s, func() tea.Msg { return openTroubleshootMsg{} }
		}
		s.c.Session.chooseScenario(s.items[s.cursor])
		return s, nextStep
	}
	return s, nil
}

func (s *scenarioStep) View() string {
	st := s.c.Styles
	w := max(s.w-2, 20)
	var b strings.Builder
	b.WriteString(st.Title.Render("Where should sensitive mail leave Exchange?") + "\n")
	b.WriteString(wrap("Pick your setup; its defaults fill in the later steps.", w) + "\n\n")
	for i, sc := range s.items {
		b.WriteString(s.line(i, sc.Title) + "\n")
	}
	b.WriteString(s.line(len(s.items), "Troubleshoot an existing setup (messages go out unsecured, or not at all)") + "\n\n")

	var when string
	if s.cursor < len(s.items) {
		sc := s.items[s.cursor]
		when = st.Selected.Render("Pick this when: ") + sc.WhenToPick
		if sc.Summary != "" {
			when += "\n" + st.Subtle.Render("relaywiz writes: "+sc.Summary)
		}
	} else {
		when = "Re-runs the network and login checks for your saved answers and reads the headers of a " +
			"message that arrived, to name the broken link."
	}
	b.WriteString(st.Box.Width(min(s.w-2, 100)).Render(wrap(when, min(s.w-6, 96))))
	return b.String()
}

func (s *scenarioStep) line(i int, title string) string {
	st := s.c.Styles
	if i == s.cursor {
		return st.Cursor.Render("> ") + st.Selected.Render(title)
	}
	return "  " + title
}
