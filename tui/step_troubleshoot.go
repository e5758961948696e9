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

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/steps"
	"relaywiz/troubleshoot"
)

// stepTroubleshoot routes the Troubleshoot screen's async results; it is
// not one of the numbered steps.
const stepTroubleshoot StepID = -1

// maxHeaderFile caps what is read of a saved message: the headers are at
// the top, and a pasted path to a huge mailbox file must not eat memory.
const maxHeaderFile = 4 << 20

// troubleshootStep is the first screen's "Troubleshoot" entry: it re-runs
// the network and login checks for the saved (or typed) smart host and,
// given a received message, reads its headers, then lists what it found,
// most likely cause first.
type troubleshootStep struct {
	c    *Common
	w, h int
	keys troubleKeys

	form    *huh.Form
	host    string
	ports   string
	user    string
	msgPath string

	phase  troublePhase
	gen    int
	cancel context.CancelFunc
	ch     <-chan tea.Msg
	table  *progressTable
	spin   spinner.Model
	vp     viewport.Model
	result *troubleDoneMsg
}

type troublePhase int

const (
	troubleForm troublePhase = iota
	troubleRunning
	troubleDone
)

type troubleKeys struct {
	Again, Scroll key.Binding
}

func newTroubleshootStep(c *Common) *troubleshootStep {
	return &troubleshootStep{
		c:    c,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		vp:   viewport.New(80, 10),
		keys: troubleKeys{
			Again:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run again")),
			Scroll: key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓", "scroll")),
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
		ev  checks.Event
	}
	troubleDoneMsg struct {
		gen      int
		report   checks.Report
		findings []troubleshoot.Finding
	}
)

func (troubleStartedMsg) owner() StepID { return stepTroubleshoot }
func (troubleEventMsg) owner() StepID   { return stepTroubleshoot }
func (troubleDoneMsg) owner() StepID    { return stepTroubleshoot }

func (s *troubleshootStep) Title() string { return "Troubleshoot" }
func (s *troubleshootStep) Typing() bool  { return s.phase == troubleForm && formTyping(s.form) }
func (s *troubleshootStep) Busy() string  { return "" }
func (s *troubleshootStep) Init() tea.Cmd { return nil }

func (s *troubleshootStep) Leave() {
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
	sizeForm(s.form, w, h-2)
	s.vp.Width, s.vp.Height = w, max(h, 1)
	s.refresh()
}

func (s *troubleshootStep) ShortHelp() []key.Binding {
	switch s.phase {
	case troubleForm:
		return formKeys(s.form)
	case troubleDone:
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
	))
	s.SetSize(s.w, s.h)
	return s.form.Init()
}

func (s *troubleshootStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case troubleStartedMsg:
		if msg.gen == s.gen && s.phase == troubleRunning {
			s.ch = msg.ch
			return s, pump(s.ch)
		}
		return s, nil
	case troubleEventMsg:
		if msg.gen == s.gen && s.phase == troubleRunning {
			s.table.apply(msg.ev)
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
		s.table.fillReport(msg.report)
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
			if key.Matches(msg, s.keys.Again) {
				return s, s.showForm()
			}
			var cmd tea.Cmd
			s.vp, cmd = s.vp.Update(msg)
			return s, cmd
		case troubleRunning:
			return s, nil
		}
	}
	if s.phase != troubleForm {
		return s, nil
	}
	cmd, done := updateForm(s.form, msg)
	if !done {
		return s, cmd
	}
	return s, s.run()
}

// run does the whole diagnosis in one worker: password from the keyring,
// the checks (streaming progress), the header analysis, then
// troubleshoot.Diagnose ranks the findings the way `relaywiz doctor` does.
func (s *troubleshootStep) run() tea.Cmd {
	s.gen++
	s.phase = troubleRunning
	s.result = nil
	ports, _ := parsePorts(s.ports)
	host, user, path := strings.TrimSpace(s.host), strings.TrimSpace(s.user), strings.TrimSpace(s.msgPath)
	s.table = newProgressTable(ports, user != "")
	ses := s.c.Session
	o := checks.Options{Host: host, Ports: ports, User: user, Timeout: s.c.Deps.CheckTimeout}
	in := troubleshoot.DoctorInput{Host: host, Port: ports[0], User: user}
	if host == ses.Host {
		o.CAFile, o.TLSServerName = ses.CAFile, ses.TLSServerName
		if p := ses.testPort(); slices.Contains(ports, p) {
			in.Port = p
		}
	}
	var held []byte
	if user != "" && user == ses.User && ses.HasPassword() {
		held = ses.Password()
	}
	hopts := troubleshoot.Options{}
	for _, t := range ses.Inputs.Triggers {
		switch t.Kind {
		case steps.TriggerSubject:
			hopts.TriggerSubjects = append(hopts.TriggerSubjects, t.Value)
		case steps.TriggerLabel:
			hopts.TriggerLabels = append(hopts.TriggerLabels, t.Value)
		}
	}
	ctx, cancel := context.WithCancel(s.c.Ctx)
	s.cancel = cancel
	gen, check, store := s.gen, s.c.Deps.Check, s.c.Deps.Creds
	work := func() tea.Msg {
		ch := make(chan tea.Msg, 32)
		emit := emitter(ctx, ch)
		go func() {
			defer close(ch)
			if user != "" {
				pw := held
				if pw == nil {
					var err error
					pw, err = store.Get(ctx, host, user)
					switch {
					case errors.Is(err, creds.ErrNotFound):
						in.Password = troubleshoot.PasswordMissing
					case err != nil:
						in.Password, in.PasswordNote = troubleshoot.PasswordUnavailable, explain(err)
					default:
						in.Password = troubleshoot.PasswordFound
					}
				} else {
					in.Password = troubleshoot.PasswordFound
				}
				o.Password = pw
				defer creds.Zero(pw)
			}
			o.Progress = func(ev checks.Event) { emit(troubleEventMsg{gen, ev}) }
			rep := check(ctx, o)
			in.Report = &rep
			var headerProblem *troubleshoot.Finding
			if path != "" {
				an, err := analyzeFile(path, hopts)
				if err != nil {
					headerProblem = &troubleshoot.Finding{Severity: troubleshoot.SevWarn, Setting: troubleshoot.SettingMessage,
						Title: "the message could not be analysed", Detail: err.Error(),
						Fix: "Save the received message as .eml (or its headers as text) and give that path."}
				} else {
					in.Headers = &an
				}
			}
			found := troubleshoot.Diagnose(in)
			if headerProblem != nil {
				found = append(found, *headerProblem)
			}
			emit(troubleDoneMsg{gen: gen, report: rep, findings: found})
		}()
		return troubleStartedMsg{gen, ch}
	}
	s.refresh()
	return tea.Batch(work, s.spin.Tick)
}

// analyzeFile reads a saved message and analyses its headers. It runs
// inside the worker goroutine, never in Update; Analyze caps what it reads.
func analyzeFile(path string, o troubleshoot.Options) (troubleshoot.Analysis, error) {
	f, err := os.Open(path)
	if err != nil {
		return troubleshoot.Analysis{}, fmt.Errorf("could not read the message: %w", err)
	}
	defer f.Close()
	return troubleshoot.Analyze(io.LimitReader(f, maxHeaderFile), o)
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
	if r := s.result; r != nil {
		b.WriteString("\n")
		for _, f := range r.findings {
			mark, style := markPending, st.Text
			switch f.Severity {
			case troubleshoot.SevFail:
				mark, style = markFail, st.Fail
			case troubleshoot.SevWarn:
				mark, style = markWarn, st.Warn
			case troubleshoot.SevOK:
				mark, style = markOK, st.OK
			}
			text := f.Title
			if f.Setting != "" && f.Severity != troubleshoot.SevOK {
				text += " [" + f.Setting + "]"
			}
			b.WriteString(style.Render(hang(mark+" ", text, w)) + "\n")
			if f.Detail != "" {
				b.WriteString(hang("  ", f.Detail, w) + "\n")
			}
			if f.Fix != "" {
				b.WriteString(hang("  Fix: ", f.Fix, w) + "\n")
			}
		}
	}
	s.vp.SetContent(b.String())
}

func (s *troubleshootStep) View() string {
	st := s.c.Styles
	if s.phase == troubleForm {
		return st.Subtle.Render(wrap("Re-runs the checks and reads a received message's headers to name the broken link.", max(s.w-2, 20))) +
			"\n\n" + s.form.View()
	}
	return s.vp.View()
}
