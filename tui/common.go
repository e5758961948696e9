package tui

import (
	"context"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
)

// Component is what every screen implements (soft-serve's contract): a
// model, its own key help, and a size it is told by its parent.
type Component interface {
	tea.Model
	help.KeyMap
	SetSize(width, height int)
}

// Step is one screen of the wizard. The root owns the order; a step reads
// and writes the shared Session in Update and asks the root to move on
// with nextStep or gotoStep (esc, handled by the root, goes back).
type Step interface {
	Component
	// Title names the step in the header ("Smart host").
	Title() string
	// Enter is called each time the step becomes the current one, after
	// the earlier steps have filled the Session: it rebuilds forms from the
	// answers so far and may start work (as a Cmd).
	Enter() tea.Cmd
	// Leave stops any background work the step started.
	Leave()
	// Typing reports whether a text field has the focus, so the root passes
	// printable keys such as "?" through instead of treating them as
	// commands.
	Typing() bool
	// Busy is non-empty while work runs that quitting would cut short
	// (a test send); the root then asks before quitting.
	Busy() string
}

// Common is shared by the root and every step: styles, the screen area a
// step may use, the wizard's answers and the injected dependencies.
type Common struct {
	Styles  *Styles
	Width   int // content area, not the whole terminal
	Height  int
	Session *Session
	Deps    *Options
	// Ctx ends when the wizard ends; every Cmd derives its context from it.
	Ctx context.Context
}

// ErrorMsg carries a failure to the root, which shows it in one place
// (the soft-serve way). Steps use it for what they cannot explain inline.
type ErrorMsg error

// ErrorCmd returns a Cmd that reports err to the root.
func ErrorCmd(err error) tea.Cmd {
	return func() tea.Msg { return ErrorMsg(err) }
}

// Navigation requests a step sends to the root.
type (
	nextStepMsg struct{}
	gotoStepMsg struct{ id StepID }
	// statusMsg puts a one-line note in the footer (e.g. "profile saved").
	statusMsg struct {
		text  string
		isErr bool
	}
)

func nextStep() tea.Msg { return nextStepMsg{} }

func gotoStep(id StepID) tea.Cmd { return func() tea.Msg { return gotoStepMsg{id} } }

// StepID names the wizard's steps in order.
type StepID int

const (
	StepScenario StepID = iota
	StepSmartHost
	StepConnectivity
	StepCredentials
	StepDetails
	StepExchange
	StepLiveTest
	StepSummary
	stepCount
)
