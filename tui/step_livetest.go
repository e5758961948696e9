package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"relaywiz/creds"
	"relaywiz/relay"
	"relaywiz/termtext"
)

// liveTestStep is step 7: a real message through the embedded relay to
// the smart host, submitted the way the Exchange connector will (TLS,
// then login), with the transcript streaming in (AUTH redacted) and the
// smart host's reply at the end. Without an account it offers the lab.
type liveTestStep struct {
	c    *Common
	w, h int
	keys liveTestKeys

	form    *huh.Form
	via     string
	from    string
	to      string
	subject string

	phase   livePhase
	gen     int
	cancel  context.CancelFunc
	ch      <-chan tea.Msg
	lines   []string
	vp      viewport.Model
	spin    spinner.Model
	outcome *SendOutcome
	problem string
	// handedOver: the transcript shows the message's end (".") or its last
	// BDAT chunk was sent, so a send cut short now may have been delivered.
	handedOver bool

	// The Exchange Online proof (step_onlineproof.go).
	online     onlinePhase
	proof      *OnlineProof
	msgPath    string
	headersErr error
}

type livePhase int

const (
	liveForm livePhase = iota
	liveStartingLab
	liveSending
	liveDone
	liveOnline // the Exchange Online proof: SPF, then a real message's headers
)

const (
	viaSmartHost = "smarthost"
	viaLab       = "lab"
	viaSkip      = "skip"
	viaOnline    = "online"
)

type liveTestKeys struct {
	Next, Again, Scroll key.Binding
}

func newLiveTestStep(c *Common) *liveTestStep {
	return &liveTestStep{
		c:    c,
		vp:   viewport.New(80, 10),
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		keys: liveTestKeys{
			Next:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
			Again:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "send another")),
			Scroll: scrollKey(),
		},
	}
}

type (
	liveLabMsg struct {
		gen int
		lab *relay.Lab
		err error
	}
	sendStartedMsg struct {
		gen int
		ch  <-chan tea.Msg
	}
	sendLineMsg struct {
		gen  int
		line string
	}
	sendDoneMsg struct {
		gen    int
		result SendResult
		err    error
		via    string
	}
)

func (liveLabMsg) owner() StepID     { return StepLiveTest }
func (sendStartedMsg) owner() StepID { return StepLiveTest }
func (sendLineMsg) owner() StepID    { return StepLiveTest }
func (sendDoneMsg) owner() StepID    { return StepLiveTest }

func (s *liveTestStep) Title() string { return "Live test" }
func (s *liveTestStep) Typing() bool {
	return (s.phase == liveForm || s.phase == liveOnline && s.online == onlineAsk) && formTyping(s.form)
}
func (s *liveTestStep) Init() tea.Cmd { return nil }

func (s *liveTestStep) Busy() string {
	if s.phase == liveSending || s.phase == liveStartingLab {
		return "test send"
	}
	return ""
}

// AbortNote says, when quitting cuts a send short, whether the message can
// have reached the smart host: before the end of the message was sent it
// cannot; after that, only the smart host's reply (not seen) would tell.
func (s *liveTestStep) AbortNote() string {
	switch {
	case s.phase == liveStartingLab:
		return "the test send was interrupted while the lab smart host was starting: nothing was sent."
	case s.phase != liveSending:
		return ""
	case s.handedOver:
		return "the test send was interrupted after the whole message had been handed to the smart host, before its reply: it may have been delivered. Check the recipient's mailbox (" + s.c.Session.TestTo + ") before sending again."
	default:
		return "the test send was interrupted before the message was complete: nothing was delivered."
	}
}

func (s *liveTestStep) Leave() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.ch = nil
	if s.phase != liveDone {
		s.phase = liveForm
	}
}

func (s *liveTestStep) SetSize(w, h int) {
	s.w, s.h = w, h
	sizeForm(s.form, w, h-3)
	s.vp.Width, s.vp.Height = w, max(h-4, 1)
	s.refresh()
}

func (s *liveTestStep) ShortHelp() []key.Binding {
	switch s.phase {
	case liveForm:
		return formKeys(s.form)
	case liveDone:
		return []key.Binding{s.keys.Next, s.keys.Again, s.keys.Scroll}
	case liveOnline:
		if s.online == onlineAsk {
			return formKeys(s.form)
		}
		return []key.Binding{s.keys.Next}
	}
	return []key.Binding{s.keys.Scroll}
}

func (s *liveTestStep) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// Enter shows the last result when coming back, otherwise the form.
func (s *liveTestStep) Enter() tea.Cmd {
	if s.phase == liveDone && s.c.Session.Test != nil {
		return nil
	}
	return s.showForm()
}

// trigger is what makes the provider's Exchange rule pick the message.
func (s *liveTestStep) trigger() (trigger, word, note string) { return s.c.Session.testTrigger() }

func (s *liveTestStep) defaults() {
	ses := s.c.Session
	s.to = ses.testRecipient()
	s.from = ses.testSender()
	_, word, _ := s.trigger()
	if s.subject == "" || s.outcome != nil {
		s.subject = "relaywiz test of the secure route"
		if word != "" {
			s.subject = word + " " + s.subject
		}
	}
	switch {
	case ses.UseLab:
		s.via = viaLab
	case ses.onlineRoute():
		s.via = viaOnline
	case ses.Creds == CredsNone && s.c.Deps.StartLab != nil:
		s.via = viaLab // no account: the lab is the test that can pass
	default:
		s.via = viaSmartHost
	}
}

func (s *liveTestStep) showForm() tea.Cmd {
	ses := s.c.Session
	s.phase = liveForm
	s.gen++
	s.defaults()
	var opts []huh.Option[string]
	if ses.onlineRoute() {
		opts = append(opts, huh.NewOption("Prove the Exchange Online route: the SPF check, then a real message's headers", viaOnline))
	} else if !ses.UseLab {
		label := fmt.Sprintf("Through the smart host %s:%d", ses.Host, ses.testPort())
		if ses.Creds == CredsNone {
			label += " (without login)"
		}
		opts = append(opts, huh.NewOption(label, viaSmartHost))
	}
	if ses.UseLab || s.c.Deps.StartLab != nil {
		opts = append(opts, huh.NewOption("Through the lab smart host on this machine (no account needed)", viaLab))
	}
	opts = append(opts, huh.NewOption("Skip the live test for now", viaSkip))
	_, _, note := s.trigger()
	desc := "The message goes through relaywiz's embedded relay, which submits it like Exchange will: TLS first, then the login."
	if note != "" {
		desc += " " + note
	}
	s.form = newForm(s.c.Styles,
		huh.NewGroup(huh.NewSelect[string]().Title("Send a test message").Description(desc).
			Options(opts...).Value(&s.via)),
		huh.NewGroup(
			huh.NewInput().Title("To").Description("Someone outside your organisation whose mailbox you can read.").
				Value(&s.to).Validate(validateAddress),
			huh.NewInput().Title("From").Description("A sender address the smart host accepts for your account.").
				Value(&s.from).Validate(validateAddress),
			huh.NewInput().Title("Subject").Value(&s.subject).Validate(func(v string) error {
				if strings.TrimSpace(v) == "" {
					return fmt.Errorf("the subject is required")
				}
				return nil
			}),
		).WithHideFunc(func() bool { return s.via == viaSkip || s.via == viaOnline }),
		huh.NewGroup(
			huh.NewInput().Title("From").Description("An address of your mail domain: its SPF record is checked.").
				Value(&s.from).Validate(validateAddress),
		).WithHideFunc(func() bool { return s.via != viaOnline }),
	)
	s.SetSize(s.w, s.h)
	return s.form.Init()
}

func (s *liveTestStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s.phase == liveOnline {
		return s.updateOnline(msg)
	}
	switch msg := msg.(type) {
	case liveLabMsg:
		if msg.gen != s.gen || s.phase != liveStartingLab {
			return s, nil
		}
		if msg.err != nil {
			s.problem = "Could not start the lab smart host: " + msg.err.Error()
			return s, s.showForm()
		}
		s.c.Session.Lab = msg.lab
		return s, s.send()
	case sendStartedMsg:
		if msg.gen == s.gen && s.phase == liveSending {
			s.ch = msg.ch
			return s, pump(s.ch)
		}
		return s, nil
	case sendLineMsg:
		if msg.gen == s.gen && s.phase == liveSending {
			if l := strings.TrimSpace(msg.line); strings.HasSuffix(l, "> .") || strings.Contains(strings.ToUpper(l), " LAST") && strings.Contains(strings.ToUpper(l), "BDAT") {
				s.handedOver = true
			}
			s.lines = append(s.lines, msg.line)
			s.refresh()
			s.vp.GotoBottom()
			return s, pump(s.ch)
		}
		return s, nil
	case sendDoneMsg:
		if msg.gen != s.gen || s.phase != liveSending {
			return s, nil
		}
		s.done(msg)
		return s, nil
	case spinner.TickMsg:
		if s.phase == liveSending || s.phase == liveStartingLab {
			var cmd tea.Cmd
			s.spin, cmd = s.spin.Update(msg)
			return s, cmd
		}
		return s, nil
	case tea.KeyMsg:
		switch s.phase {
		case liveDone:
			switch {
			case key.Matches(msg, s.keys.Next):
				return s, nextStep
			case key.Matches(msg, s.keys.Again):
				return s, s.showForm()
			}
			var cmd tea.Cmd
			s.vp, cmd = s.vp.Update(msg)
			return s, cmd
		case liveSending, liveStartingLab:
			var cmd tea.Cmd
			s.vp, cmd = s.vp.Update(msg)
			return s, cmd
		}
	}
	if s.phase != liveForm {
		return s, nil
	}
	cmd, done := updateForm(s.form, msg)
	if !done {
		return s, cmd
	}
	return s, s.submit()
}

func (s *liveTestStep) submit() tea.Cmd {
	ses := s.c.Session
	s.problem = ""
	if s.via == viaSkip {
		return nextStep
	}
	if s.via == viaOnline {
		return s.startOnline()
	}
	ses.TestTo, ses.TestFrom, ses.TestSubject = strings.TrimSpace(s.to), strings.TrimSpace(s.from), s.subject
	if s.c.Deps.Send == nil {
		s.problem = "Sending is not available in this build."
		return s.showForm()
	}
	if s.via == viaLab && ses.Lab == nil {
		if s.c.Deps.StartLab == nil {
			s.problem = "The lab smart host is not available here."
			return s.showForm()
		}
		s.phase = liveStartingLab
		start, dir, ctx, gen := s.c.Deps.StartLab, s.c.Deps.LabDir, s.c.Ctx, s.gen
		return tea.Batch(s.spin.Tick, func() tea.Msg {
			lab, err := start(ctx, dir)
			return liveLabMsg{gen, lab, err}
		})
	}
	return s.send()
}

// send starts the worker; the request carries copies of everything,
// including its own copy of the password, which the worker zeroes.
func (s *liveTestStep) send() tea.Cmd {
	ses := s.c.Session
	s.phase = liveSending
	s.lines = nil
	s.outcome = nil
	s.handedOver = false
	trigger, _, _ := s.trigger()
	req := SendRequest{
		From: ses.TestFrom, To: ses.TestTo, Subject: ses.TestSubject, Trigger: trigger,
		Now: s.c.Deps.now(),
	}
	via := "smart host"
	if s.via == viaLab {
		via = "lab smart host"
		lab := ses.Lab
		host, port := labHostPort(lab.Addr)
		req.Host, req.Port, req.CAFile = host, port, lab.CAFile
		req.User, req.Password = lab.User, []byte(lab.Password)
	} else {
		req.Host, req.Port, req.CAFile, req.TLSServerName = ses.Host, ses.testPort(), ses.CAFile, ses.TLSServerName
		if ses.Creds != CredsNone {
			req.User, req.Password = ses.User, ses.Password()
		}
	}
	s.lines = []string{fmt.Sprintf("== sending to <%s> through the %s %s:%d", req.To, via, req.Host, req.Port)}
	s.refresh()
	ctx, cancel := context.WithCancel(s.c.Ctx)
	s.cancel = cancel
	gen, sender := s.gen, s.c.Deps.Send
	run := func() tea.Msg {
		ch := startWorker(ctx, 64, func(emit func(tea.Msg)) {
			defer creds.Zero(req.Password)
			res, err := sender(ctx, req, func(line string) { emit(sendLineMsg{gen, line}) })
			emit(sendDoneMsg{gen, res, err, via})
		})
		return sendStartedMsg{gen, ch}
	}
	return tea.Batch(run, s.spin.Tick)
}

func (s *liveTestStep) done(msg sendDoneMsg) {
	ses := s.c.Session
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.ch = nil
	s.phase = liveDone
	out := &SendOutcome{Via: msg.via, Result: msg.result, Err: msg.err}
	if msg.err == nil && msg.via == "lab smart host" && ses.Lab != nil {
		out.LabFile = ses.Lab.Dir
	}
	s.outcome = out
	ses.Test = out
	s.refresh()
	s.vp.GotoBottom()
}

// refresh renders the transcript into the viewport (from Update only).
func (s *liveTestStep) refresh() {
	w := max(s.w-1, 20)
	var b strings.Builder
	for _, l := range s.lines {
		b.WriteString(wrap(l, w) + "\n")
	}
	s.vp.SetContent(strings.TrimRight(b.String(), "\n"))
}

func (s *liveTestStep) View() string {
	st := s.c.Styles
	w := max(s.w-2, 20)
	var b strings.Builder
	switch s.phase {
	case liveOnline:
		return s.viewOnline()
	case liveForm:
		if s.problem != "" {
			b.WriteString(st.Fail.Render(wrap(markFail+" "+s.problem, w)) + "\n")
		}
		b.WriteString(s.form.View())
		return b.String()
	case liveStartingLab:
		return st.Running.Render(s.spin.View() + " Starting the lab smart host…")
	case liveSending:
		b.WriteString(st.Running.Render(s.spin.View()+" Sending the test message…") + "\n")
	case liveDone:
		b.WriteString(s.resultLine(w) + "\n")
	}
	b.WriteString(rule(st, s.w) + "\n")
	b.WriteString(s.vp.View())
	return b.String()
}

func (s *liveTestStep) resultLine(w int) string {
	st := s.c.Styles
	o := s.outcome
	if o == nil {
		return ""
	}
	r := o.Result
	if o.Err == nil {
		reply := r.UpstreamReply
		if reply == "" {
			reply = r.Reply
		}
		line := fmt.Sprintf("%s Accepted by the %s: %s (%s)", markOK, o.Via, termtext.Escape(reply), r.Elapsed.Round(1e6))
		if o.LabFile != "" {
			line += " — the lab stored it as an .eml in " + o.LabFile
		}
		return st.OK.Render(wrap(line, w))
	}
	line := fmt.Sprintf("%s Not accepted (%s): %s", markFail, r.Step, termtext.Escape(o.Err.Error()))
	if r.UpstreamReply != "" {
		line += " — the smart host said: " + termtext.Escape(r.UpstreamReply)
	}
	if r.Hint != "" {
		line += "\n" + wizardHint(termtext.Escape(r.Hint))
	}
	return st.Fail.Render(wrap(line, w))
}

// shownForm is the form on screen, for the footer's error line.
func (s *liveTestStep) shownForm() *huh.Form {
	if s.phase != liveForm {
		return nil
	}
	return s.form
}
