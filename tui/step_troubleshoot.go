package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

// stepTroubleshoot routes the Troubleshoot screen's async results; it is
// not one of the numbered steps.
const stepTroubleshoot StepID = -1

// troubleshootStep is the first screen's "Troubleshoot" entry: the same
// diagnosis as `relaywiz doctor` (troubleshoot.RunDoctor) for the saved or
// typed smart host: the checks with the keyring's password, the DNS
// checks, on request a test message, and the headers of a received
// message, listed most likely cause first.
type troubleshootStep struct {
	c    *Common
	w, h int
	keys troubleKeys

	form    *huh.Form
	host    string
	ports   string
	user    string
	msgPath string
	// exportPath is export.ps1's JSON of the Exchange organisation: its
	// audit's findings join the list.
	exportPath string
	sendTo     string // the last test recipient, for the send form

	// The password for this run when the keyring has none (or cannot be
	// used): asked for as step 4 does, never a reason to go without AUTH.
	password   string // the masked form field
	typed      []byte // what was typed, for typedUser on typedHost
	typedUser  string
	typedHost  string
	pwNote     string // why it is asked for
	pendingTo  string // the run (test recipient) waiting for the password
	pwChecking bool

	phase  troublePhase
	gen    int
	cancel context.CancelFunc
	ch     <-chan tea.Msg
	table  *progressTable
	parts  []troublePart // the live list of what runs
	spin   spinner.Model
	vp     viewport.Model
	result *troubleDoneMsg
}

type troublePhase int

const (
	troubleForm troublePhase = iota
	troubleSendForm
	troublePasswordForm
	troubleRunning
	troubleDone
)

// troublePart is one line of the live list: a phase of the run and how
// far it got.
type troublePart struct {
	phase troubleshoot.DoctorPhase
	kind  troubleshoot.DoctorEventKind
	sev   troubleshoot.Severity
	text  string
}

type troubleKeys struct {
	Again, Send, Scroll key.Binding
}

func newTroubleshootStep(c *Common) *troubleshootStep {
	return &troubleshootStep{
		c:    c,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		vp:   viewport.New(80, 10),
		keys: troubleKeys{
			Again:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run again")),
			Send:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "send a test message")),
			Scroll: scrollKey(),
		},
	}
}

type (
	troubleStartedMsg struct {
		gen int
		ch  <-chan tea.Msg
	}
	troubleEventMsg struct {
		gen int
		ev  troubleshoot.DoctorEvent
	}
	troubleDoneMsg struct {
		gen int
		res troubleshoot.DoctorResult
		err error // the run could not finish (RunDoctor's error)
	}
	// troubleKeyringMsg: whether the keyring holds the password (the
	// secret itself is not carried; the run reads it again).
	troubleKeyringMsg struct {
		gen   int
		found bool
		note  string
	}
)

func (troubleKeyringMsg) owner() StepID { return stepTroubleshoot }

func (troubleStartedMsg) owner() StepID { return stepTroubleshoot }
func (troubleEventMsg) owner() StepID   { return stepTroubleshoot }
func (troubleDoneMsg) owner() StepID    { return stepTroubleshoot }

func (s *troubleshootStep) Title() string { return "Troubleshoot" }
func (s *troubleshootStep) Typing() bool  { return s.inForm() && formTyping(s.form) }
func (s *troubleshootStep) Busy() string  { return "" }
func (s *troubleshootStep) Init() tea.Cmd { return nil }

func (s *troubleshootStep) inForm() bool {
	return s.phase == troubleForm || s.phase == troubleSendForm || s.phase == troublePasswordForm
}

func (s *troubleshootStep) Leave() {
	creds.Zero(s.typed)
	s.typed, s.password = nil, ""
	if s.phase == troublePasswordForm {
		s.phase = troubleForm
	}
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.ch = nil
	if s.phase == troubleRunning {
		s.phase = troubleForm
	}
}

func (s *troubleshootStep) SetSize(w, h int) {
	s.w, s.h = w, h
	formH := h - 2
	if s.phase == troubleForm {
		// the intro above the form and its blank line take their height
		// (at 80 columns two lines, which cut off the last field's input)
		formH = h - lipgloss.Height(s.intro()) - 1
	}
	sizeForm(s.form, w, formH)
	s.vp.Width, s.vp.Height = w, max(h, 1)
	s.refresh()
}

// canSend: the test send needs the wizard's Sender.
func (s *troubleshootStep) canSend() bool { return s.c.Deps.Send != nil }

func (s *troubleshootStep) ShortHelp() []key.Binding {
	switch s.phase {
	case troubleForm, troubleSendForm:
		return formKeys(s.form)
	case troubleDone:
		if s.canSend() {
			return []key.Binding{s.keys.Again, s.keys.Send, s.keys.Scroll}
		}
		return []key.Binding{s.keys.Again, s.keys.Scroll}
	}
	return nil
}

func (s *troubleshootStep) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// Enter starts from the saved answers the first time, and from what was
// typed here on later visits.
func (s *troubleshootStep) Enter() tea.Cmd {
	if s.host == "" && s.ports == "" {
		ses := s.c.Session
		s.host = ses.Host
		ports := ses.Ports
		if len(ports) == 0 {
			ports = defaultPorts()
		}
		s.ports = formatPorts(ports)
		s.user = ses.User
	}
	return s.showForm()
}

func (s *troubleshootStep) showForm() tea.Cmd {
	s.phase = troubleForm
	s.form = newForm(s.c.Styles, huh.NewGroup(
		huh.NewInput().Title("Smart host").Value(&s.host).Validate(validateHost),
		huh.NewInput().Title("Ports").Value(&s.ports).Validate(validatePorts),
		huh.NewInput().Title("SMTP user name (optional)").
			Description("With a user, the login is checked with the password from the OS keyring.").
			Value(&s.user).Validate(validateUser),
		huh.NewInput().Title("A received message to analyse (optional)").
			Description("Path of a saved .eml or a text file with its headers (Outlook: File > Properties > Internet headers).").
			Value(&s.msgPath).Validate(validatePathSyntax),
		huh.NewInput().Title("Exchange export to audit (optional)").
			Description("Path of the JSON file export.ps1 wrote (relaywiz export-script prints the script; it only reads). Its rules and connectors are judged too.").
			Value(&s.exportPath).Validate(validatePathSyntax),
	))
	s.SetSize(s.w, s.h)
	return s.form.Init()
}

// showSendForm asks where the test message goes; the run that follows is
// the whole diagnosis again, with the send.
func (s *troubleshootStep) showSendForm() tea.Cmd {
	s.phase = troubleSendForm
	if s.sendTo == "" {
		s.sendTo = s.c.Session.testRecipient()
	}
	s.form = newForm(s.c.Styles, huh.NewGroup(
		huh.NewInput().Title("Send a test message to").
			Description("An outside address you can read. It goes through the embedded relay to the smart host, as Exchange's send connector will send; then give its headers here (r).").
			Value(&s.sendTo).Validate(validateAddress),
	))
	s.SetSize(s.w, s.h)
	return s.form.Init()
}

func (s *troubleshootStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case troubleKeyringMsg:
		if msg.gen != s.gen || !s.pwChecking {
			return s, nil
		}
		s.pwChecking = false
		if msg.found {
			return s, s.run(s.pendingTo)
		}
		return s, s.showPasswordForm(msg.note)
	case troubleStartedMsg:
		if msg.gen == s.gen && s.phase == troubleRunning {
			s.ch = msg.ch
			return s, pump(s.ch)
		}
		return s, nil
	case troubleEventMsg:
		if msg.gen == s.gen && s.phase == troubleRunning {
			s.apply(msg.ev)
			s.refresh()
			return s, pump(s.ch)
		}
		return s, nil
	case troubleDoneMsg:
		if msg.gen != s.gen || s.phase != troubleRunning {
			return s, nil
		}
		if s.cancel != nil {
			s.cancel()
			s.cancel = nil
		}
		s.ch = nil
		s.phase = troubleDone
		s.result = &msg
		if msg.err == nil {
			s.table.fillReport(msg.res.Report)
		}
		s.refresh()
		s.vp.GotoTop()
		return s, nil
	case spinner.TickMsg:
		if s.phase == troubleRunning {
			var cmd tea.Cmd
			s.spin, cmd = s.spin.Update(msg)
			s.refresh()
			return s, cmd
		}
		return s, nil
	case tea.KeyMsg:
		switch s.phase {
		case troubleDone:
			switch {
			case key.Matches(msg, s.keys.Again):
				return s, s.showForm()
			case key.Matches(msg, s.keys.Send) && s.canSend():
				return s, s.showSendForm()
			}
			var cmd tea.Cmd
			s.vp, cmd = s.vp.Update(msg)
			return s, cmd
		case troubleRunning:
			return s, nil
		}
	}
	if !s.inForm() {
		return s, nil
	}
	cmd, done := updateForm(s.form, msg)
	if !done {
		return s, cmd
	}
	switch s.phase {
	case troublePasswordForm:
		if s.password != "" {
			creds.Zero(s.typed)
			s.typed = []byte(s.password)
			s.typedUser, s.typedHost = strings.TrimSpace(s.user), strings.TrimSpace(s.host)
		}
		s.password = ""
		return s, s.run(s.pendingTo)
	case troubleSendForm:
		return s, s.needPassword(strings.TrimSpace(s.sendTo))
	}
	return s, s.needPassword("")
}

// needPassword starts the run, first making sure there is a password when
// a user is given: held for this run, or in the keyring (looked up in a
// worker), or else asked for. An empty answer runs the diagnosis without
// one, which then says so; nothing is ever sent unauthenticated for a
// configured user (checks fails the login as not run).
func (s *troubleshootStep) needPassword(sendTo string) tea.Cmd {
	user, host := strings.TrimSpace(s.user), strings.TrimSpace(s.host)
	ses := s.c.Session
	switch {
	case user == "":
		return s.run(sendTo)
	case user == ses.User && host == ses.Host && ses.HasPassword():
		return s.run(sendTo)
	case s.typed != nil && user == s.typedUser && host == s.typedHost:
		return s.run(sendTo)
	}
	s.pendingTo, s.pwChecking = sendTo, true
	s.gen++
	store, ctx, gen := s.c.Deps.Creds, s.c.Ctx, s.gen
	return func() tea.Msg {
		pw, err := store.Get(ctx, host, user)
		creds.Zero(pw)
		switch {
		case err == nil:
			return troubleKeyringMsg{gen: gen, found: true}
		case errors.Is(err, creds.ErrNotFound):
			return troubleKeyringMsg{gen: gen, note: "No password is stored in the OS keyring for " + user + " on " + host + "."}
		}
		return troubleKeyringMsg{gen: gen, note: "The OS keyring cannot be used: " + explain(err)}
	}
}

// showPasswordForm asks for the password for this run, as step 4 does.
func (s *troubleshootStep) showPasswordForm(note string) tea.Cmd {
	s.phase = troublePasswordForm
	s.pwNote = note
	s.password = ""
	s.form = newForm(s.c.Styles, huh.NewGroup(
		huh.NewInput().Title("Password for "+strings.TrimSpace(s.user)).
			Description(note+" Type it to check the login (kept for this run only, never stored); "+
				"leave it empty to run the diagnosis without the login. Nothing is sent without AUTH.").
			EchoMode(huh.EchoModePassword).
			Value(&s.password),
	))
	s.SetSize(s.w, s.h)
	return s.form.Init()
}

// apply records one progress event: probe stages fill the table, the
// phases the live list.
func (s *troubleshootStep) apply(ev troubleshoot.DoctorEvent) {
	if ev.Kind == troubleshoot.ProbeProgress {
		s.table.apply(ev.Check)
		return
	}
	part := troublePart{phase: ev.Phase, kind: ev.Kind, sev: ev.Severity, text: termtext.Escape(ev.Text)}
	for i := range s.parts {
		if s.parts[i].phase == ev.Phase {
			s.parts[i] = part
			return
		}
	}
	s.parts = append(s.parts, part)
}

// plan is the diagnosis the form asks for, from the answers so far: the
// saved CA file and TLS name belong to the saved host only.
func (s *troubleshootStep) plan(sendTo string) troubleshoot.DoctorPlan {
	ses := s.c.Session
	ports, _ := checks.ParsePorts(s.ports)
	p := troubleshoot.DoctorPlan{
		Host: strings.TrimSpace(s.host), Port: ports[0], AltPorts: ports[1:], User: strings.TrimSpace(s.user),
		Timeout:           s.c.Deps.CheckTimeout,
		PlaceholderDomain: ses.Inputs.PlaceholderDomain,
	}
	if p.Host == ses.Host {
		p.CAFile, p.TLSServerName = ses.CAFile, ses.TLSServerName
		if tp := ses.testPort(); slices.Contains(ports, tp) {
			p.Port, p.AltPorts = tp, slices.DeleteFunc(slices.Clone(ports), func(x int) bool { return x == tp })
		}
	}
	from := ses.testSender()
	if _, domain, ok := strings.Cut(from, "@"); ok && ses.Scenario.Online {
		// Exchange Online sends for this domain: its SPF must say so.
		p.SenderDomain, p.SPFIncludes = domain, []string{troubleshoot.ExchangeOnlineSPF}
	}
	if sendTo != "" {
		p.SendTo, p.From = []string{sendTo}, from
		p.Trigger, _, _ = ses.testTrigger()
	}
	p.TriggerSubjects, p.TriggerLabels = files.RouteTriggers(ses.Inputs.Triggers)
	return p
}

// run starts troubleshoot.RunDoctor in one worker. Everything it needs is
// captured here, by value; the password is looked up in the worker (the
// keyring may block) and zeroed when the run ends.
func (s *troubleshootStep) run(sendTo string) tea.Cmd {
	s.gen++
	s.phase = troubleRunning
	s.result, s.parts = nil, nil
	if sendTo != "" {
		s.sendTo = sendTo
	}
	plan := s.plan(sendTo)
	s.table = newProgressTable(plan.ProbePorts(), plan.User != "")
	ses := s.c.Session
	var held []byte
	switch {
	case plan.User == "":
	case s.typed != nil && plan.User == s.typedUser && plan.Host == s.typedHost:
		held = append([]byte(nil), s.typed...)
	case plan.User == ses.User && plan.Host == ses.Host && ses.HasPassword():
		held = ses.Password()
	}
	deps := troubleshoot.DoctorDeps{
		Check:    s.c.Deps.Check,
		Resolver: s.c.Deps.Resolver,
		Headers:  messageFile(strings.TrimSpace(s.msgPath)),
	}
	if s.canSend() {
		deps.Send = doctorSender(s.c.Deps.Send, s.c.Deps.now)
	}
	ctx, cancel := context.WithCancel(s.c.Ctx)
	s.cancel = cancel
	gen, store := s.gen, s.c.Deps.Creds
	exportPath := strings.TrimSpace(s.exportPath)
	work := func() tea.Msg {
		ch := startWorker(ctx, 32, func(emit func(tea.Msg)) {
			pw := troublePassword(ctx, store, plan.Host, plan.User, held)
			defer creds.Zero(pw.Secret)
			var exportErr error
			if exportPath != "" {
				plan.Export, exportErr = troubleshoot.ReadExport(exportPath)
			}
			res, err := troubleshoot.RunDoctor(ctx, plan, pw, deps, func(ev troubleshoot.DoctorEvent) {
				emit(troubleEventMsg{gen, ev})
			})
			if exportErr != nil && err == nil {
				// The diagnosis stands without the export; say why it is missing.
				res.Findings = append(res.Findings, troubleshoot.Finding{Severity: troubleshoot.SevWarn, Setting: troubleshoot.SettingExchange,
					Title: "the Exchange export could not be read", Detail: exportErr.Error(),
					Fix: "give the path of the JSON file export.ps1 wrote (it prints it at the end), copied whole"})
			}
			emit(troubleDoneMsg{gen: gen, res: res, err: err})
		})
		return troubleStartedMsg{gen, ch}
	}
	s.refresh()
	return tea.Batch(work, s.spin.Tick)
}

// troublePassword finds the password for the AUTH check: the one held for
// this run, else the keyring's. Not finding one is part of the diagnosis.
func troublePassword(ctx context.Context, store creds.Store, host, user string, held []byte) troubleshoot.DoctorPassword {
	switch {
	case user == "":
		return troubleshoot.DoctorPassword{}
	case held != nil:
		return troubleshoot.DoctorPassword{State: troubleshoot.PasswordFound, Secret: held}
	}
	pw, err := store.Get(ctx, host, user)
	switch {
	case errors.Is(err, creds.ErrNotFound):
		return troubleshoot.DoctorPassword{State: troubleshoot.PasswordMissing}
	case err != nil:
		return troubleshoot.DoctorPassword{State: troubleshoot.PasswordUnavailable, Note: explain(err)}
	}
	return troubleshoot.DoctorPassword{State: troubleshoot.PasswordFound, Secret: pw}
}

// messageFile is the received message to analyse, read by RunDoctor in the
// worker (never in Update); nil without a path.
func messageFile(path string) troubleshoot.HeadersSource {
	if path == "" {
		return nil
	}
	return func(bool) (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("could not read the message: %w", err)
		}
		return f, nil
	}
}

func (s *troubleshootStep) refresh() {
	if s.table == nil {
		return
	}
	st := s.c.Styles
	w := max(s.w-2, 20)
	var b strings.Builder
	if s.phase == troubleRunning {
		b.WriteString(st.Title.Render("Checking "+strings.TrimSpace(s.host)+"…") + "\n\n")
	} else {
		b.WriteString(st.Title.Render("Findings for "+strings.TrimSpace(s.host)+", most likely cause first") + "\n\n")
	}
	b.WriteString(s.table.render(st, s.w, s.spin.View()) + "\n")
	if s.phase == troubleRunning {
		// the live list; once done, the findings say it all
		b.WriteString(s.renderParts(false))
	}
	if r := s.result; r != nil {
		b.WriteString("\n")
		if r.err != nil {
			b.WriteString(st.Fail.Render(hang(markFail+" ", "The diagnosis stopped: "+termtext.Escape(r.err.Error()), w)) + "\n")
		}
		for _, f := range r.res.Findings {
			mark, style := severityMark(st, f.Severity)
			// Findings quote the smart host, DNS, the message and the
			// export: other people's text.
			text := termtext.Escape(f.Title)
			if f.Setting != "" && f.Severity != troubleshoot.SevOK {
				text += " [" + f.Setting + "]"
			}
			b.WriteString(style.Render(hang(mark+" ", text, w)) + "\n")
			if f.Detail != "" {
				b.WriteString(hang("  ", wizardHint(termtext.Escape(f.Detail)), w) + "\n")
			}
			if f.Fix != "" {
				b.WriteString(hang("  Fix: ", wizardHint(termtext.Escape(f.Fix)), w) + "\n")
			}
		}
		b.WriteString(s.renderParts(true)) // what did not run, and why
		if r.err == nil && s.canSend() && r.res.Send == nil {
			b.WriteString("\n" + st.Subtle.Render(wrap("Press s to send a test message through the smart host too.", w)) + "\n")
		}
	}
	s.vp.SetContent(b.String())
}

// renderParts renders the live list, or only its skipped phases.
func (s *troubleshootStep) renderParts(skippedOnly bool) string {
	st := s.c.Styles
	w := max(s.w-2, 20)
	var b strings.Builder
	for _, p := range s.parts {
		var mark string
		var style lipgloss.Style
		switch {
		case p.kind == troubleshoot.PhaseSkipped:
			mark, style = "–", st.Subtle
		case skippedOnly:
			continue
		case p.kind == troubleshoot.PhaseStarted:
			mark, style = s.spin.View(), st.Running
		default:
			mark, style = severityMark(st, p.sev)
		}
		b.WriteString(style.Render(hang(mark+" ", p.text, w)) + "\n")
	}
	if b.Len() == 0 {
		return ""
	}
	return "\n" + b.String()
}

// severityMark is how a finding or a finished phase is marked.
func severityMark(st *Styles, sev troubleshoot.Severity) (string, lipgloss.Style) {
	switch sev {
	case troubleshoot.SevFail:
		return markFail, st.Fail
	case troubleshoot.SevWarn:
		return markWarn, st.Warn
	case troubleshoot.SevOK:
		return markOK, st.OK
	}
	return markPending, st.Text
}

func (s *troubleshootStep) View() string {
	st := s.c.Styles
	switch s.phase {
	case troubleForm:
		return st.Subtle.Render(s.intro()) + "\n\n" + s.form.View()
	case troubleSendForm, troublePasswordForm:
		return s.form.View()
	}
	return s.vp.View()
}

// shownForm is the form on screen, for the footer's error line.
func (s *troubleshootStep) shownForm() *huh.Form {
	if !s.inForm() {
		return nil
	}
	return s.form
}

// intro is the text above the troubleshooting form, wrapped to the width.
func (s *troubleshootStep) intro() string {
	return wrap("Re-runs the checks and the DNS checks, reads a received message's headers and audits an Exchange export to name the broken link.", max(s.w-2, 20))
}
