package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/termtext"
)

// connectivityStep is step 3: the checks for every port, live, then the
// verdict and the port the later steps use. A failure offers retry,
// change host/port, or continue anyway.
type connectivityStep struct {
	c    *Common
	w, h int
	keys connectivityKeys

	gen     int // ignores messages of an earlier run
	running bool
	cancel  context.CancelFunc
	ch      <-chan tea.Msg
	table   *progressTable
	report  *checks.Report
	spin    spinner.Model
	vp      viewport.Model
	// detail: the per-port detail view (key d) instead of the table: the
	// certificate, AUTH, SIZE and the conversation, which table cells cut.
	detail     bool
	transcript []checks.TranscriptLine
}

type connectivityKeys struct {
	Next, Retry, Change, Anyway, Scroll, Detail key.Binding
}

func newConnectivityStep(c *Common) *connectivityStep {
	return &connectivityStep{
		c:    c,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		vp:   viewport.New(80, 10),
		keys: connectivityKeys{
			Next:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
			Retry:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
			Change: key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "change host/port")),
			Anyway: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "continue anyway (not recommended)")),
			Scroll: scrollKey(),
			Detail: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "details")),
		},
	}
}

type (
	checksStartedMsg struct {
		gen int
		ch  <-chan tea.Msg
	}
	checkEventMsg struct {
		gen int
		ev  checks.Event
	}
	checksDoneMsg struct {
		gen    int
		report checks.Report
	}
	checkLineMsg struct {
		gen  int
		line checks.TranscriptLine
	}
)

func (checkLineMsg) owner() StepID { return StepConnectivity }

func (checksStartedMsg) owner() StepID { return StepConnectivity }
func (checkEventMsg) owner() StepID    { return StepConnectivity }
func (checksDoneMsg) owner() StepID    { return StepConnectivity }

func (s *connectivityStep) Title() string { return "Connectivity" }
func (s *connectivityStep) Typing() bool  { return false }
func (s *connectivityStep) Busy() string  { return "" }
func (s *connectivityStep) Init() tea.Cmd { return nil }

func (s *connectivityStep) SetSize(w, h int) {
	s.w, s.h = w, h
	s.vp.Width, s.vp.Height = w, max(h, 1)
	s.refresh()
}

func (s *connectivityStep) Leave() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.running = false
	s.ch = nil
}

func (s *connectivityStep) ShortHelp() []key.Binding {
	if s.running || s.report == nil {
		return nil
	}
	var b []key.Binding
	if s.anyOK() {
		b = append(b, s.keys.Next)
	}
	b = append(b, s.keys.Retry, s.keys.Change)
	if !s.anyOK() {
		b = append(b, s.keys.Anyway)
	}
	return append(b, s.keys.Detail)
}

func (s *connectivityStep) FullHelp() [][]key.Binding {
	return [][]key.Binding{s.ShortHelp(), {s.keys.Scroll}}
}

func (s *connectivityStep) anyOK() bool {
	if s.report == nil {
		return false
	}
	for _, p := range s.report.Ports {
		if p.OK {
			return true
		}
	}
	return false
}

// Enter shows the earlier result for the same smart host, or starts the
// checks.
func (s *connectivityStep) Enter() tea.Cmd {
	ses := s.c.Session
	if ses.Report != nil && ses.Report.Host == ses.Host {
		s.report = ses.Report
		s.table = newProgressTable(ses.Ports, false)
		s.table.fillReport(*ses.Report)
		s.refresh()
		return nil
	}
	return s.start()
}

// start runs checks.Run in a worker; progress comes back through the pump.
func (s *connectivityStep) start() tea.Cmd {
	s.Leave()
	ses := s.c.Session
	s.gen++
	s.running = true
	s.report = nil
	ses.Report = nil
	s.detail, s.transcript = false, nil
	ports := append([]int(nil), ses.Ports...)
	dialect := checks.DefaultDialect
	if ses.onlineRoute() {
		// As Exchange Online will see it: port 25, STARTTLS, the
		// certificate; it never logs in.
		dialect, ports = checks.DialectExchangeOnline, []int{checks.OnlinePort}
	}
	s.table = newProgressTable(ports, false)
	ctx, cancel := context.WithCancel(s.c.Ctx)
	s.cancel = cancel
	o := checks.Options{
		Host:          ses.Host,
		Ports:         ports,
		Dialect:       dialect,
		CAFile:        ses.CAFile,
		TLSServerName: ses.TLSServerName,
		Timeout:       s.c.Deps.CheckTimeout,
	}
	gen, check := s.gen, s.c.Deps.Check
	run := func() tea.Msg {
		ch := startWorker(ctx, 32, func(emit func(tea.Msg)) {
			o.Progress = func(ev checks.Event) { emit(checkEventMsg{gen, ev}) }
			o.Transcript = func(l checks.TranscriptLine) { emit(checkLineMsg{gen, l}) }
			emit(checksDoneMsg{gen, check(ctx, o)})
		})
		return checksStartedMsg{gen, ch}
	}
	s.refresh()
	return tea.Batch(run, s.spin.Tick)
}

func (s *connectivityStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case checksStartedMsg:
		if msg.gen != s.gen || !s.running {
			return s, nil
		}
		s.ch = msg.ch
		return s, pump(s.ch)
	case checkEventMsg:
		if msg.gen != s.gen || !s.running {
			return s, nil
		}
		s.table.apply(msg.ev)
		s.refresh()
		return s, pump(s.ch)
	case checkLineMsg:
		if msg.gen != s.gen || !s.running {
			return s, nil
		}
		s.transcript = append(s.transcript, msg.line)
		return s, pump(s.ch)
	case checksDoneMsg:
		if msg.gen != s.gen || !s.running {
			return s, nil
		}
		s.finish(msg.report)
		return s, nil
	case spinner.TickMsg:
		if !s.running {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		s.refresh()
		return s, cmd
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *connectivityStep) finish(r checks.Report) {
	s.running = false
	s.cancel()
	s.cancel, s.ch = nil, nil
	s.report = &r
	s.table.fillReport(r)
	ses := s.c.Session
	ses.Report = &r
	ses.Port, ses.PortReason, _ = choosePort(r, ses.preferredPort())
	if ses.UseLab && s.anyOK() {
		ses.PortReason = fmt.Sprintf("The lab answers on port %d; the login check and the live test use it. The Exchange scripts keep the provider's port.", ses.Port)
	}
	ses.Forced = false
	s.refresh()
}

func (s *connectivityStep) handleKey(msg tea.KeyMsg) tea.Cmd {
	if s.running || s.report == nil {
		return nil
	}
	switch {
	case key.Matches(msg, s.keys.Next) && s.anyOK():
		return nextStep
	case key.Matches(msg, s.keys.Detail):
		s.detail = !s.detail
		s.refresh()
		s.vp.GotoTop()
		return nil
	case key.Matches(msg, s.keys.Retry):
		return s.start()
	case key.Matches(msg, s.keys.Change):
		return gotoStep(StepSmartHost)
	case key.Matches(msg, s.keys.Anyway) && !s.anyOK():
		ses := s.c.Session
		ses.Forced = true
		ses.PortReason = fmt.Sprintf("No port passed the checks; you chose to continue anyway with port %d.", ses.Port)
		return nextStep
	}
	var cmd tea.Cmd
	s.vp, cmd = s.vp.Update(msg)
	return cmd
}

// refresh re-renders the content into the viewport; called from Update
// and SetSize only, so View stays free of side effects.
func (s *connectivityStep) refresh() {
	if s.table == nil {
		return
	}
	if s.detail && s.report != nil {
		s.vp.SetContent(renderCheckDetail(s.c.Styles, *s.report, s.transcript, max(s.w-2, 20)))
		return
	}
	st := s.c.Styles
	ses := s.c.Session
	w := max(s.w-2, 20)
	var b strings.Builder
	target := ses.Host
	if ses.UseLab {
		target = "the lab smart host " + ses.Host
	}
	ports := ses.Ports
	if ses.onlineRoute() {
		ports = []int{checks.OnlinePort}
		target += " as Exchange Online sees it"
	}
	if s.running {
		b.WriteString(st.Title.Render(fmt.Sprintf("Testing %s on port %s…", target, joinPorts(ports))) + "\n\n")
	} else {
		b.WriteString(st.Title.Render(fmt.Sprintf("Checked %s on port %s", target, joinPorts(ports))) + "\n\n")
	}
	if ses.onlineRoute() {
		b.WriteString(wrap("Exchange Online's outbound connector always delivers on port 25 with STARTTLS and validates the certificate; it never logs in "+
			"(the provider recognises your tenant by SPF), so there is no login step. "+checks.OnlineVantageNote, w) + "\n\n")
	}
	b.WriteString(s.table.render(st, s.w, s.spin.View()) + "\n")
	if s.report != nil {
		b.WriteString("\n" + s.verdict(w))
	}
	s.vp.SetContent(b.String())
}

func (s *connectivityStep) verdict(w int) string {
	st := s.c.Styles
	ses := s.c.Session
	var b strings.Builder
	for _, p := range s.report.Ports {
		f, failed := p.FailedStage()
		if !failed {
			if p.TLS != nil && p.TLS.DaysLeft > 0 && p.TLS.DaysLeft < 30 {
				b.WriteString(st.Warn.Render(wrap(fmt.Sprintf("%s Port %d: the certificate expires in %d days.", markWarn, p.Port, p.TLS.DaysLeft), w)) + "\n")
			}
			continue
		}
		line := fmt.Sprintf("Port %d: %s failed", p.Port, stageLabel(f.Name))
		if f.Detail != "" {
			line += " — " + termtext.Escape(f.Detail)
		}
		b.WriteString(st.Fail.Render(hang(markFail+" ", line, w)) + "\n")
		if f.Hint != "" {
			b.WriteString(hang("  ", wizardHint(termtext.EscapeLines(f.Hint)), w) + "\n")
		}
		if f.ExchangeError != "" {
			b.WriteString(hang("  ", "Exchange will show: "+termtext.Escape(f.ExchangeError), w) + "\n")
		}
	}
	if s.anyOK() {
		b.WriteString(st.OK.Render(hang(markOK+" ", ses.PortReason, w)))
	} else {
		b.WriteString(st.Fail.Render(hang(markFail+" ", "No port works yet. Fix the first problem above and retry (r), or check the host and ports (h).", w)))
	}
	return b.String()
}

func (s *connectivityStep) View() string {
	if s.table == nil {
		return ""
	}
	return s.vp.View()
}

func joinPorts(ports []int) string {
	switch len(ports) {
	case 0:
		return ""
	case 1:
		return fmt.Sprint(ports[0])
	}
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
