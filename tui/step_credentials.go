package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/termtext"
)

// credentialsStep is step 4: the SMTP login. It proves the login with the
// AUTH check (over TLS, like Exchange will), then keeps the password in
// the OS keyring, or, when the keyring cannot be used, for this run only
// (never in a file), saying why and how to fix it.
type credentialsStep struct {
	c    *Common
	w, h int
	keys credentialsKeys

	form     *huh.Form
	user     string
	password string // the form's field; emptied as soon as it is read

	phase    credPhase
	stored   creds.State // what the keyring holds for host/user
	problem  string      // why the last attempt failed, with the fix
	gen      int
	cancel   context.CancelFunc
	ch       <-chan tea.Msg
	table    *progressTable
	result   *checks.PortResult
	fromRing bool // the password came from the keyring
	spin     spinner.Model
	// showFix: the keyring's fix (a recipe of several commands) is shown
	// instead of the form; folded by default so the fields stay on screen.
	showFix    bool
	keyringFix string // the keyring's advice for the problem on screen
}

type credPhase int

const (
	credForm credPhase = iota
	credLookup
	credChecking
	credStoring
	credDone
)

type credentialsKeys struct {
	Next, Again, Fix key.Binding
}

func newCredentialsStep(c *Common) *credentialsStep {
	return &credentialsStep{
		c:    c,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		keys: credentialsKeys{
			Next:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
			Again: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "enter other credentials")),
			// ctrl+o, not a letter: the form's fields take letters as text.
			Fix: key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "how to fix the keyring")),
		},
	}
}

type (
	credStatusMsg struct {
		gen   int
		state creds.Status
	}
	credLookupMsg struct {
		gen    int
		secret []byte
		err    error
	}
	authStartedMsg struct {
		gen int
		ch  <-chan tea.Msg
	}
	authEventMsg struct {
		gen int
		ev  checks.Event
	}
	authDoneMsg struct {
		gen    int
		report checks.Report
		pw     []byte
	}
	credStoredMsg struct {
		gen int
		err error
	}
)

func (credStatusMsg) owner() StepID  { return StepCredentials }
func (credLookupMsg) owner() StepID  { return StepCredentials }
func (authStartedMsg) owner() StepID { return StepCredentials }
func (authEventMsg) owner() StepID   { return StepCredentials }
func (authDoneMsg) owner() StepID    { return StepCredentials }
func (credStoredMsg) owner() StepID  { return StepCredentials }

func (s *credentialsStep) Title() string { return "Credentials" }
func (s *credentialsStep) Typing() bool  { return s.phase == credForm && formTyping(s.form) }
func (s *credentialsStep) Busy() string  { return "" }
func (s *credentialsStep) Init() tea.Cmd { return nil }

func (s *credentialsStep) SetSize(w, h int) {
	s.w, s.h = w, h
	sizeForm(s.form, w, h-6)
}

func (s *credentialsStep) Leave() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.ch = nil
	s.password = ""
	if s.phase != credDone {
		s.phase = credForm
	}
}

func (s *credentialsStep) ShortHelp() []key.Binding {
	switch s.phase {
	case credForm:
		if s.fixText() != "" {
			return append(formKeys(s.form), s.keys.Fix)
		}
		return formKeys(s.form)
	case credDone:
		if s.fixText() != "" {
			return []key.Binding{s.keys.Next, s.keys.Again, s.keys.Fix}
		}
		return []key.Binding{s.keys.Next, s.keys.Again}
	}
	return nil
}

// fixText is the folded part of the advice: the lines after the first of
// a problem (the keyring's recipe), or how to use the keyring next time.
func (s *credentialsStep) fixText() string {
	switch s.phase {
	case credForm:
		return s.keyringFix
	case credDone:
		return s.c.Session.CredsFix
	}
	return ""
}

func (s *credentialsStep) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// Enter shows the login form, or the proven result when coming back.
func (s *credentialsStep) Enter() tea.Cmd {
	ses := s.c.Session
	if s.phase == credDone && ses.AuthProven && s.result != nil {
		return nil
	}
	return s.showForm("")
}

func (s *credentialsStep) showForm(problem string) tea.Cmd {
	ses := s.c.Session
	s.phase = credForm
	s.problem = problem
	s.showFix, s.keyringFix = false, ""
	s.user = ses.User
	s.password = ""
	s.stored = 0
	s.gen++
	s.form = newForm(s.c.Styles, huh.NewGroup(
		huh.NewInput().Title("SMTP user name").
			Description("From the provider (Zivver: Mail Submission SMTP credentials). Leave empty if you have no account yet.").
			Value(&s.user).Validate(validateUser),
		huh.NewInput().Title("Password").
			Description("Hidden as you type. Kept in the OS keyring, never in a file.").
			EchoMode(huh.EchoModePassword).
			Value(&s.password),
	))
	s.SetSize(s.w, s.h)
	cmds := []tea.Cmd{s.form.Init()}
	if ses.User != "" && !ses.HasPassword() {
		cmds = append(cmds, s.statusCmd(ses.Host, ses.User))
	}
	return tea.Batch(cmds...)
}

// statusCmd asks the keyring whether a password is stored, without
// fetching it.
func (s *credentialsStep) statusCmd(host, user string) tea.Cmd {
	store, ctx, gen := s.c.Deps.Creds, s.c.Ctx, s.gen
	return func() tea.Msg { return credStatusMsg{gen, store.Status(ctx, host, user)} }
}

func (s *credentialsStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case credStatusMsg:
		if msg.gen == s.gen {
			s.stored = msg.state.State
		}
		return s, nil
	case credLookupMsg:
		if msg.gen != s.gen || s.phase != credLookup {
			creds.Zero(msg.secret)
			return s, nil
		}
		switch {
		case msg.err == nil:
			s.fromRing = true
			return s, s.check(msg.secret)
		case errors.Is(msg.err, creds.ErrNotFound):
			return s, s.showForm("No password is stored for " + s.user + " yet: type it in.")
		default:
			// The first line says what happened; the recipe follows, folded.
			cmd := s.showForm("Could not read the keyring; type the password to go on for this run. " + explainFirst(msg.err))
			s.keyringFix = explainRest(msg.err)
			return s, cmd
		}
	case authStartedMsg:
		if msg.gen == s.gen && s.phase == credChecking {
			s.ch = msg.ch
			return s, pump(s.ch)
		}
		return s, nil
	case authEventMsg:
		if msg.gen == s.gen && s.phase == credChecking {
			s.table.apply(msg.ev)
			return s, pump(s.ch)
		}
		return s, nil
	case authDoneMsg:
		if msg.gen != s.gen || s.phase != credChecking {
			creds.Zero(msg.pw)
			return s, nil
		}
		return s, s.authDone(msg.report, msg.pw)
	case credStoredMsg:
		if msg.gen != s.gen || s.phase != credStoring {
			return s, nil
		}
		s.recordStored(msg.err)
		return s, nil
	case spinner.TickMsg:
		if s.phase == credChecking || s.phase == credLookup || s.phase == credStoring {
			var cmd tea.Cmd
			s.spin, cmd = s.spin.Update(msg)
			return s, cmd
		}
		return s, nil
	case tea.KeyMsg:
		if key.Matches(msg, s.keys.Fix) && s.fixText() != "" {
			s.showFix = !s.showFix
			return s, nil
		}
		if s.phase == credDone {
			switch {
			case key.Matches(msg, s.keys.Next):
				return s, nextStep
			case key.Matches(msg, s.keys.Again):
				return s, s.showForm("")
			}
			return s, nil
		}
	}
	if s.phase != credForm {
		return s, nil
	}
	cmd, done := updateForm(s.form, msg)
	if !done {
		return s, cmd
	}
	return s, s.submit()
}

// submit decides where the password comes from: typed, held for this run
// (e.g. the lab's), or the keyring.
func (s *credentialsStep) submit() tea.Cmd {
	ses := s.c.Session
	user := strings.TrimSpace(s.user)
	typed := []byte(s.password)
	s.password = ""
	if user == "" {
		creds.Zero(typed)
		ses.User, ses.Creds, ses.CredsNote, ses.AuthProven = "", CredsNone, "", false
		ses.clearPassword()
		return nextStep
	}
	if user != ses.User {
		ses.clearPassword()
		ses.AuthProven = false
	}
	ses.User = user
	s.user = user
	s.fromRing = false
	switch {
	case len(typed) > 0:
		return s.check(typed)
	case ses.HasPassword():
		return s.check(ses.Password())
	}
	s.phase = credLookup
	store, ctx, gen, host := s.c.Deps.Creds, s.c.Ctx, s.gen, ses.Host
	return tea.Batch(s.spin.Tick, func() tea.Msg {
		secret, err := store.Get(ctx, host, user)
		return credLookupMsg{gen, secret, err}
	})
}

// check runs the AUTH check on the chosen port. pw is handed to the
// worker, which gives it back with the result so it can be stored.
func (s *credentialsStep) check(pw []byte) tea.Cmd {
	ses := s.c.Session
	s.phase = credChecking
	s.result = nil
	port := ses.testPort()
	s.table = newProgressTable([]int{port}, true)
	ctx, cancel := context.WithCancel(s.c.Ctx)
	s.cancel = cancel
	o := checks.Options{
		Host: ses.Host, Ports: []int{port}, CAFile: ses.CAFile, TLSServerName: ses.TLSServerName,
		User: ses.User, Password: pw, Timeout: s.c.Deps.CheckTimeout,
	}
	gen, check := s.gen, s.c.Deps.Check
	run := func() tea.Msg {
		ch := startWorker(ctx, 32, func(emit func(tea.Msg)) {
			o.Progress = func(ev checks.Event) { emit(authEventMsg{gen, ev}) }
			emit(authDoneMsg{gen, check(ctx, o), pw})
		})
		return authStartedMsg{gen, ch}
	}
	return tea.Batch(run, s.spin.Tick)
}

func (s *credentialsStep) authDone(r checks.Report, pw []byte) tea.Cmd {
	ses := s.c.Session
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.ch = nil
	s.table.fillReport(r)
	var pr *checks.PortResult
	if len(r.Ports) > 0 {
		pr = &r.Ports[0]
	}
	s.result = pr
	if pr == nil || pr.Auth != checks.AuthOK {
		creds.Zero(pw)
		return s.showForm(authProblem(pr))
	}
	ses.AuthProven = true
	ses.SetPassword(pw)
	if s.fromRing {
		creds.Zero(pw)
		ses.Creds, ses.CredsNote = CredsKeyring, "Taken from the OS keyring, where it was stored before."
		s.phase = credDone
		return nil
	}
	s.phase = credStoring
	store, ctx, gen, host, user := s.c.Deps.Creds, s.c.Ctx, s.gen, ses.Host, ses.User
	return func() tea.Msg {
		err := store.Set(ctx, host, user, pw)
		creds.Zero(pw)
		return credStoredMsg{gen, err}
	}
}

// recordStored records where the password ended up.
func (s *credentialsStep) recordStored(err error) {
	ses := s.c.Session
	s.phase = credDone
	ses.CredsFix = ""
	if err == nil {
		ses.Creds = CredsKeyring
		ses.CredsNote = fmt.Sprintf("Stored in the OS keyring (service %s, user %s).", creds.ServiceName(ses.Host), ses.User)
		return
	}
	ses.Creds = CredsSessionOnly
	ses.CredsNote = "the password is kept in memory for this run only (never in a file). " + err.Error()
	ses.CredsFix = fixFor(err)
}

// authProblem explains a failed AUTH check in one paragraph.
func authProblem(pr *checks.PortResult) string {
	if pr == nil {
		return "The login check did not run. Retry, or go back to check the smart host."
	}
	if f, failed := pr.FailedStage(); failed {
		msg := fmt.Sprintf("%s failed on port %d", stageLabel(f.Name), pr.Port)
		if f.Detail != "" {
			msg += ": " + termtext.Escape(f.Detail)
		}
		if f.Hint != "" {
			msg += "\n" + wizardHint(termtext.EscapeLines(f.Hint))
		}
		if f.ExchangeError != "" {
			msg += "\nExchange will show: " + termtext.Escape(f.ExchangeError)
		}
		return msg
	}
	switch pr.Auth {
	case checks.AuthSkipped:
		return "The server was not asked to log in (no password). Type the password."
	case checks.AuthUnavailable:
		return "The smart host offers no login method relaywiz can use on this port, or said to try later."
	}
	return "The smart host refused the login. Check the user name and password with the provider."
}

// explain renders an error with the fix when it carries one.
func explain(err error) string {
	var ue *creds.UnavailableError
	if errors.As(err, &ue) {
		return ue.Explain()
	}
	return err.Error()
}

// explainFirst is what happened; explainRest what to do about it (the
// keyring's hint, often a recipe of commands).
func explainFirst(err error) string { return capitalize(err.Error()) + "." }

func explainRest(err error) string {
	var ue *creds.UnavailableError
	if errors.As(err, &ue) {
		return ue.Hint
	}
	return ""
}

func (s *credentialsStep) View() string {
	st := s.c.Styles
	ses := s.c.Session
	w := max(s.w-2, 20)
	var b strings.Builder
	target := fmt.Sprintf("%s port %d", ses.Host, ses.testPort())
	switch s.phase {
	case credForm:
		b.WriteString(st.Title.Render("Log in to "+target) + "\n")
		switch {
		case ses.UseLab && ses.HasPassword():
			b.WriteString(wrap("The lab's generated login is filled in: press enter twice (leave the password empty to use it).", w) + "\n")
		case ses.HasPassword():
			b.WriteString(wrap("A password is held for this run: leave the field empty to use it.", w) + "\n")
		case s.stored == creds.Stored:
			b.WriteString(st.OK.Render(wrap(markOK+" A password for "+ses.User+" is in the OS keyring: leave the field empty to use it.", w)) + "\n")
		default:
			b.WriteString(wrap("relaywiz logs in over TLS, as Exchange's send connector will.", w) + "\n")
		}
		if s.problem != "" {
			b.WriteString("\n" + st.Fail.Render(wrap(markFail+" "+s.problem, w)) + "\n")
		}
		if s.showFix {
			b.WriteString("\n" + st.Selected.Render("How to fix the keyring (ctrl+o hides this)") + "\n" + wrap(s.fixText(), w) + "\n")
			return b.String()
		}
		if s.fixText() != "" {
			b.WriteString(st.Subtle.Render("ctrl+o shows how to fix it.") + "\n")
		}
		b.WriteString("\n" + s.form.View())
	case credLookup:
		b.WriteString(st.Running.Render(s.spin.View() + " Reading the password from the OS keyring…"))
	case credChecking, credStoring:
		b.WriteString(st.Title.Render("Logging in to "+target) + "\n\n")
		b.WriteString(s.table.render(st, s.w, s.spin.View()))
		if s.phase == credStoring {
			b.WriteString("\n\n" + st.Running.Render(s.spin.View()+" Storing the password in the OS keyring…"))
		}
	case credDone:
		b.WriteString(st.Title.Render("Login accepted by "+target) + "\n\n")
		mech := ""
		if s.result != nil && s.result.AuthMechanism != "" {
			mech = " with AUTH " + s.result.AuthMechanism
		}
		tls := ""
		if s.result != nil && s.result.TLS != nil {
			tls = " (" + s.result.TLS.Version + ")"
		}
		b.WriteString(st.OK.Render(hang(markOK+" ", ses.User+" logged in"+mech+" after STARTTLS"+tls+".", w)) + "\n")
		if ses.Creds == CredsKeyring {
			b.WriteString(st.OK.Render(hang(markOK+" ", ses.CredsNote, w)) + "\n")
		} else {
			b.WriteString(st.Warn.Render(hang(markWarn+" ", capitalize(ses.CredsNote), w)) + "\n")
			switch {
			case ses.CredsFix != "" && s.showFix:
				b.WriteString("\n" + st.Selected.Render("To use the keyring next time (ctrl+o hides this)") + "\n" + wrap(ses.CredsFix, w) + "\n")
			case ses.CredsFix != "":
				b.WriteString("\n" + st.Subtle.Render("ctrl+o shows how to make the keyring work next time.") + "\n")
			}
		}
	}
	return b.String()
}

// shownForm is the form on screen, for the footer's error line.
func (s *credentialsStep) shownForm() *huh.Form {
	if s.phase != credForm {
		return nil
	}
	return s.form
}
