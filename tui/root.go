package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/termtext"
)

// Default terminal size until the first WindowSizeMsg arrives, so the
// first frame is drawn at once and fits the smallest supported terminal.
const (
	defaultWidth  = 80
	defaultHeight = 24
	headerLines   = 2 // title line + rule
)

// ownedMsg is an async result that belongs to one step. The root routes it
// there even when that step is no longer on screen, so a late answer is
// recorded (or ignored by the step) instead of reaching the wrong form.
type ownedMsg interface {
	owner() StepID
}

// escHandler is implemented by steps that use esc themselves in some
// state (e.g. to close a prompt) before it means "back".
type escHandler interface {
	HandlesEsc() bool
}

// Model is the wizard's root: header, current step, footer, the one place
// errors are shown, and navigation between steps.
type Model struct {
	c      *Common
	cancel context.CancelFunc

	steps   []Step
	cur     StepID
	trouble *troubleshootStep
	// inTrouble: the Troubleshoot screen (reached from the first step)
	// replaces the numbered steps until esc.
	inTrouble bool

	keys     globalKeys
	help     help.Model
	fullHelp bool

	err         error
	confirmQuit string // the busy reason while "quit anyway?" is asked
	status      statusMsg

	width, height int
	quitting      bool
	// interrupted: the wizard ended by ctrl+c rather than by finishing;
	// the command exits 130 then, as every other command does.
	interrupted bool
	// abortNote says what became of a test send that quitting cut short.
	abortNote string
	// resume is the step the saved answers stopped at, offered until the
	// admin answers (StepScenario: no offer).
	resume StepID
}

// New builds the wizard. ctx bounds everything it starts (checks, sends,
// the lab); Close must be called after the program ends.
func New(ctx context.Context, opts Options) (*Model, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	o := opts
	c := &Common{
		Styles:  DefaultStyles(),
		Session: &Session{ProfilePath: o.ProfilePath},
		Deps:    &o,
		Ctx:     ctx,
	}
	c.Session.applyProfile(o.Profile)
	m := &Model{
		c:      c,
		cancel: cancel,
		keys:   newGlobalKeys(),
		help:   help.New(),
		width:  defaultWidth,
		height: defaultHeight,
	}
	m.help.Styles = c.Styles.Help
	m.steps = []Step{
		newScenarioStep(c),
		newSmartHostStep(c),
		newConnectivityStep(c),
		newCredentialsStep(c),
		newDetailsStep(c),
		newExchangeStep(c),
		newLiveTestStep(c),
		newSummaryStep(c),
	}
	m.trouble = newTroubleshootStep(c)
	m.layout()
	if c.Session.HasScenario && o.ProfilePath != "" {
		m.status = statusMsg{text: "Answers loaded from " + o.ProfilePath + " — enter keeps each one."}
	}
	if r := c.Session.ResumeAt; r > StepScenario && r < stepCount {
		m.resume = r
	}
	m.layout()
	return m, nil
}

// Session exposes the answers (tests and the command read the outcome).
func (m *Model) Session() *Session { return m.c.Session }

// Close stops background work and scrubs the password. Safe to call twice.
func (m *Model) Close() {
	for _, s := range m.steps {
		s.Leave()
	}
	m.trouble.Leave()
	m.cancel()
	m.c.Session.Close()
}

func (m *Model) current() Step {
	if m.inTrouble {
		return m.trouble
	}
	return m.steps[m.cur]
}

// Init enters the first step.
func (m *Model) Init() tea.Cmd {
	return m.current().Enter()
}

// Update routes messages: global keys first, then navigation requests,
// then everything else to the step that owns it.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil

	case tea.KeyMsg:
		return m.handleKey(msg)

	case ErrorMsg:
		m.err = msg
		return m, nil

	case statusMsg:
		m.status = msg
		return m, nil

	case nextStepMsg:
		return m.move(m.cur + 1)
	case gotoStepMsg:
		return m.move(msg.id)
	case openTroubleshootMsg:
		m.current().Leave()
		m.inTrouble = true
		m.layout()
		return m, m.trouble.Enter()
	case finishMsg:
		// Finished: the next run starts at the beginning, answers filled in.
		m.c.Session.LastStep = StepScenario
		return m.quit()
	case resumeCredsMsg:
		return m.resumeWithPassword(msg)
	case profileSavedMsg:
		if msg.err != nil {
			m.status = statusMsg{text: "Could not save your answers: " + msg.err.Error(), isErr: true}
		}
		return m, nil
	}

	var cmd tea.Cmd
	if om, ok := msg.(ownedMsg); ok && (om.owner() == stepTroubleshoot || om.owner() >= 0 && om.owner() < stepCount) {
		if id := om.owner(); id == stepTroubleshoot {
			cmd = m.updateStep(m.trouble, msg)
		} else {
			cmd = m.updateStep(m.steps[id], msg)
		}
	} else {
		cmd = m.updateStep(m.current(), msg)
	}
	// "Quit anyway?" is about the work that was running; once it has
	// finished there is nothing to confirm any more.
	if m.confirmQuit != "" && m.current().Busy() == "" {
		m.confirmQuit = ""
	}
	return m, cmd
}

func (m *Model) updateStep(s Step, msg tea.Msg) tea.Cmd {
	_, cmd := s.Update(msg)
	return cmd
}

func (m *Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if key.Matches(msg, m.keys.Quit) {
		if m.confirmQuit != "" { // a second ctrl+c means it
			return m.interrupt()
		}
		if busy := m.current().Busy(); busy != "" {
			m.confirmQuit = busy
			return m, nil
		}
		return m.interrupt()
	}
	if m.confirmQuit != "" {
		switch {
		case key.Matches(msg, m.keys.Yes):
			return m.interrupt()
		case key.Matches(msg, m.keys.No):
			m.confirmQuit = ""
		}
		return m, nil
	}
	if m.resume != StepScenario {
		target := m.resume
		m.resume = StepScenario
		m.layout()
		switch {
		case key.Matches(msg, m.keys.Yes):
			return m.resumeTo(target)
		case key.Matches(msg, m.keys.No):
			m.status = statusMsg{text: "Starting over at step 1; your answers stay filled in."}
			return m, nil
		}
		// any other key: the offer is declined and the key does its job
	}
	if m.err != nil { // any key dismisses the error
		m.err = nil
		return m, nil
	}
	step := m.current()
	if !step.Typing() && key.Matches(msg, m.keys.Help) {
		m.fullHelp = !m.fullHelp
		m.layout()
		return m, nil
	}
	if key.Matches(msg, m.keys.Back) {
		if h, ok := step.(escHandler); !ok || !h.HandlesEsc() {
			return m.back()
		}
	}
	_, cmd := step.Update(msg)
	return m, cmd
}

// interrupt ends the wizard at the admin's ctrl+c, noting first what
// became of a test send it cuts short.
func (m *Model) interrupt() (tea.Model, tea.Cmd) {
	m.interrupted = true
	if a, ok := m.current().(interface{ AbortNote() string }); ok {
		m.abortNote = a.AbortNote()
	}
	return m.quit()
}

// resumeCredsMsg carries the keyring's answer when a resumed run skips
// past the credentials step.
type resumeCredsMsg struct {
	to  StepID
	pw  []byte
	err error
}

// resumeTo continues at the step the last run stopped at. The answers are
// loaded already; what a run proves (checks, the login) is not saved, so a
// step after Credentials first takes the password from the keyring, and
// says so, rather than sending without one.
func (m *Model) resumeTo(id StepID) (tea.Model, tea.Cmd) {
	ses := m.c.Session
	if ses.Port == 0 && ses.connectorPort != 0 {
		ses.Port = ses.connectorPort
	}
	if id > StepCredentials && ses.User != "" && !ses.UseLab && !ses.HasPassword() {
		store, ctx, host, user := m.c.Deps.Creds, m.c.Ctx, ses.Host, ses.User
		return m, func() tea.Msg {
			pw, err := store.Get(ctx, host, user)
			return resumeCredsMsg{to: id, pw: pw, err: err}
		}
	}
	return m.move(id)
}

func (m *Model) resumeWithPassword(msg resumeCredsMsg) (tea.Model, tea.Cmd) {
	ses := m.c.Session
	defer creds.Zero(msg.pw)
	if msg.err != nil {
		model, cmd := m.move(StepCredentials)
		m.status = statusMsg{text: "Continuing at Credentials: the password for " + ses.User + " could not be read from the keyring (" + msg.err.Error() + ").", isErr: true}
		return model, cmd
	}
	ses.SetPassword(msg.pw)
	ses.Creds = CredsKeyring
	ses.CredsNote = "Taken from the OS keyring, where an earlier run stored it; not tested again on this run."
	model, cmd := m.move(msg.to)
	m.status = statusMsg{text: "Continuing at step " + fmt.Sprint(int(msg.to)+1) + " with the saved answers; esc goes back to earlier steps."}
	return model, cmd
}

// Interrupted reports whether the wizard ended by ctrl+c (exit 130).
func (m *Model) Interrupted() bool { return m.interrupted }

// Width is the terminal's width as last reported, for what is printed
// after the wizard's screen is gone.
func (m *Model) Width() int { return m.width }

func (m *Model) quit() (tea.Model, tea.Cmd) {
	if m.c.Session.LastStep != StepScenario || m.cur != StepSummary {
		m.c.Session.LastStep = m.cur
	}
	m.quitting = true
	m.confirmQuit = ""
	return m, tea.Sequence(m.saveProfileCmd(), tea.Quit)
}

// back leaves the Troubleshoot screen or returns to the previous step.
// The first step has nowhere to go back to; esc does nothing there.
func (m *Model) back() (tea.Model, tea.Cmd) {
	if m.inTrouble {
		m.trouble.Leave()
		m.inTrouble = false
		m.layout()
		return m, m.current().Enter()
	}
	if m.cur == 0 {
		return m, nil
	}
	if busy := m.current().Busy(); busy != "" {
		m.status = statusMsg{text: "Wait for the " + busy + " to finish, or press ctrl+c to quit.", isErr: true}
		return m, nil
	}
	return m.move(m.cur - 1)
}

// move makes step id current. Moving forward saves the answers so far, so
// a second run starts where this one ended.
func (m *Model) move(id StepID) (tea.Model, tea.Cmd) {
	if id < 0 || id >= stepCount {
		return m, nil
	}
	forward := id > m.cur
	if id == StepCredentials && m.c.Session.onlineRoute() {
		// Exchange Online's connector has no credentials: nothing to log
		// in with, nothing to prove here (see onlineRoute).
		if forward {
			id++
		} else {
			id--
		}
	}
	m.c.Session.LastStep = id
	m.current().Leave()
	m.inTrouble = false
	m.cur = id
	m.status = statusMsg{}
	m.layout()
	cmds := []tea.Cmd{m.current().Enter()}
	if forward {
		cmds = append(cmds, m.saveProfileCmd())
	}
	return m, tea.Batch(cmds...)
}

type profileSavedMsg struct{ err error }

// saveProfileCmd writes the non-secret answers. The profile is built here,
// in Update, and handed to the Cmd by value.
func (m *Model) saveProfileCmd() tea.Cmd {
	save := m.c.Deps.SaveProfile
	if save == nil || !m.c.Session.HasScenario {
		return nil
	}
	p := m.c.Session.profile()
	return func() tea.Msg { return profileSavedMsg{err: save(p)} }
}

// layout hands every step the content area left between header and
// footer.
func (m *Model) layout() {
	h := m.height - headerLines - m.footerHeight()
	if h < 1 {
		h = 1
	}
	m.c.Width, m.c.Height = m.width, h
	m.help.Width = m.width
	for _, s := range m.steps {
		s.SetSize(m.width, h)
	}
	m.trouble.SetSize(m.width, h)
}

func (m *Model) footerHeight() int {
	// rule + status line + help (one line, or the full help's columns)
	return 2 + lipgloss.Height(m.helpView())
}

func (m *Model) footerKeys() help.KeyMap {
	switch {
	case m.confirmQuit != "":
		return confirmKeys{m.keys}
	case m.resume != StepScenario:
		return resumeKeys{m.keys}
	case m.err != nil:
		return errorKeys{m.keys}
	}
	canGo := m.inTrouble || m.cur > 0
	if h, ok := m.current().(escHandler); ok && h.HandlesEsc() {
		canGo = false // the step's own esc binding is in its help
	}
	return footerKeys{step: m.current(), global: m.keys, canGo: canGo}
}

func (m *Model) helpView() string {
	k := m.footerKeys()
	if m.fullHelp && m.confirmQuit == "" && m.err == nil {
		return m.help.FullHelpView(k.FullHelp())
	}
	return m.help.ShortHelpView(k.ShortHelp())
}

// View draws header, body and footer; the body is cut or padded to the
// space in between so the footer stays on the last lines.
func (m *Model) View() string {
	if m.quitting {
		return ""
	}
	st := m.c.Styles
	header := m.headerView()
	helpLine := m.helpView()
	// An error in the status line may take up to maxStatusLines, so its
	// reason is never cut off; the body gives way.
	status := m.statusLine()
	statusH := min(max(lipgloss.Height(status), 1), maxStatusLines)
	bodyH := m.height - headerLines - 1 - statusH - lipgloss.Height(helpLine)
	var body string
	switch {
	case m.err != nil:
		body = m.errorView(bodyH)
	default:
		body = m.current().View()
	}
	return lipgloss.JoinVertical(lipgloss.Left,
		header,
		fit(body, m.width, max(bodyH, 0)),
		rule(st, m.width),
		fit(status, m.width, statusH),
		fit(helpLine, m.width, lipgloss.Height(helpLine)),
	)
}

func (m *Model) headerView() string {
	st := m.c.Styles
	var left string
	if m.inTrouble {
		left = st.HeaderApp.Render("relaywiz") + "  " + st.HeaderStep.Render("Troubleshoot")
	} else {
		left = st.HeaderApp.Render("relaywiz") + "  " +
			st.HeaderStep.Render(fmt.Sprintf("Step %d of %d · %s", int(m.cur)+1, int(stepCount), m.current().Title()))
	}
	// The step is what the admin needs most; the scenario gives way first.
	right := m.c.Session.ScenarioTitle()
	if room := m.width - lipgloss.Width(left) - 2; lipgloss.Width(right) > room {
		right = ""
		if room >= 12 {
			right = ansi.Truncate(m.c.Session.ScenarioTitle(), room, "…")
		}
	}
	return spread(left, st.HeaderRight.Render(right), m.width) + "\n" + rule(st, m.width)
}

func (m *Model) statusLine() string {
	st := m.c.Styles
	if m.confirmQuit != "" {
		return st.StatusError.Render(markWarn + " A " + m.confirmQuit + " is running. Quit anyway? (y/n)")
	}
	if m.resume != StepScenario {
		return st.Status.Render(fmt.Sprintf("The last run stopped at step %d (%s). Continue there? (y/n: start over)", int(m.resume)+1, m.steps[m.resume].Title()))
	}
	if fs, ok := m.current().(formShower); ok && m.err == nil {
		if e := formError(fs.shownForm()); e != "" {
			return st.StatusError.Render(markFail + " " + e)
		}
	}
	if m.status.text == "" {
		return ""
	}
	// The text may quote a file name or a server: escaped.
	text := termtext.Escape(m.status.text)
	if m.status.isErr {
		return st.StatusError.Render(wrap(markWarn+" "+text, max(m.width, 20)))
	}
	return st.Status.Render(text)
}

// maxStatusLines bounds an error in the status line.
const maxStatusLines = 3

// errorView is the one place errors are shown: what happened and, when
// the error knows it, what to do.
func (m *Model) errorView(h int) string {
	st := m.c.Styles
	w := max(m.width-4, 20)
	var b strings.Builder
	b.WriteString(st.ErrorTitle.Render(markFail+" Something went wrong") + "\n\n")
	b.WriteString(wrap(m.err.Error(), w) + "\n")
	if fix := wizardHint(fixFor(m.err)); fix != "" {
		b.WriteString("\n" + st.Selected.Render("What to do") + "\n" + wrap(fix, w) + "\n")
	}
	b.WriteString("\n" + st.Subtle.Render("Press any key to return to the step."))
	return st.ErrorBox.Width(m.width - 2).MaxHeight(h).Render(b.String())
}

// fixFor digs out the advice other packages attach to their errors.
func fixFor(err error) string {
	var ue *creds.UnavailableError
	if errors.As(err, &ue) {
		return ue.Hint
	}
	var se *checks.StageError
	if errors.As(err, &se) && se.Hint != "" {
		return se.Hint
	}
	return checks.HintFor(err)
}

// Recap is what stays on the terminal after the wizard's screen is gone:
// the summary when the wizard got there, otherwise where to pick up. It is
// wrapped at spaces to width, and a path always gets a line of its own, so
// the terminal never breaks one mid-name.
func (m *Model) Recap(width int) string {
	if width <= 0 {
		width = defaultWidth
	}
	ses := m.c.Session
	var b strings.Builder
	if m.abortNote != "" {
		b.WriteString(wrap("relaywiz: "+m.abortNote, width) + "\n")
	}
	if !m.inTrouble && m.cur == StepSummary && ses.HasScenario {
		b.WriteString(m.steps[StepSummary].(*summaryStep).render(width))
		return b.String()
	}
	b.WriteString(wrap(fmt.Sprintf("relaywiz: stopped at step %d of %d (%s).", int(m.cur)+1, int(stepCount), m.steps[m.cur].Title()), width))
	if ses.ProfilePath != "" && ses.HasScenario {
		b.WriteString("\nYour answers are saved in\n  " + ses.ProfilePath + "\n")
		b.WriteString(wrap("Run relaywiz again to continue at this step (it offers to start over).", width))
	}
	return b.String()
}
