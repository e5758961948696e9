package tui

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"relaywiz/checks"
	"relaywiz/relay"
)

// smartHostStep is step 2: where the mail goes. Either the provider's
// smart host (host, ports, an optional extra CA), or a lab smart host
// started on this machine so the whole wizard can be tried without an
// account or a network.
type smartHostStep struct {
	c    *Common
	form *huh.Form
	w, h int

	target        string // "provider" or "lab"
	host          string
	ports         string
	caFile        string
	tlsServerName string

	starting bool // the lab is being started
	labErr   error
	cancel   context.CancelFunc
	// checkingCA: the CA file is being read; caErr is what is wrong with
	// caErrPath (the field refuses that same path until it changes).
	checkingCA bool
	caErr      error
	caErrPath  string
}

const (
	targetProvider = "provider"
	targetLab      = "lab"
)

func newSmartHostStep(c *Common) *smartHostStep { return &smartHostStep{c: c} }

type labStartedMsg struct {
	lab *relay.Lab
	err error
}

func (labStartedMsg) owner() StepID { return StepSmartHost }

func (s *smartHostStep) Title() string { return "Smart host" }
func (s *smartHostStep) Typing() bool  { return formTyping(s.form) }
func (s *smartHostStep) Busy() string  { return "" }
func (s *smartHostStep) Init() tea.Cmd { return nil }

func (s *smartHostStep) Leave() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.starting = false
}

func (s *smartHostStep) SetSize(w, h int) {
	s.w, s.h = w, h
	extra := 0
	if s.caErr != nil {
		extra = len(strings.Split(wrap("x Extra CA certificate: "+s.caErr.Error(), max(w-2, 20)), "\n")) + 1
	}
	sizeForm(s.form, w, h-3-extra)
}

func (s *smartHostStep) ShortHelp() []key.Binding  { return formKeys(s.form) }
func (s *smartHostStep) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// Enter rebuilds the form from the answers so far.
func (s *smartHostStep) Enter() tea.Cmd {
	ses := s.c.Session
	s.target = targetProvider
	if ses.UseLab {
		s.target = targetLab
	}
	s.host = ses.Host
	if s.host == "" || ses.UseLab {
		s.host = ses.Scenario.DefaultSmartHost
	}
	ports := ses.Ports
	if len(ports) == 0 || ses.UseLab {
		ports = defaultPorts()
	}
	s.ports = formatPorts(ports)
	s.caFile, s.tlsServerName = ses.CAFile, ses.TLSServerName
	if ses.UseLab {
		s.caFile, s.tlsServerName = "", ""
	}
	s.labErr, s.caErr, s.caErrPath, s.checkingCA = nil, nil, "", false
	s.form = s.buildForm()
	s.SetSize(s.w, s.h)
	return s.form.Init()
}

func defaultPorts() []int { return []int{25, 587} }

func (s *smartHostStep) buildForm() *huh.Form {
	var groups []*huh.Group
	if s.c.Deps.StartLab != nil {
		// The label names the host the answers give, not the provider's
		// default once the admin has changed it.
		provider := "The provider's smart host"
		if d := s.host; d != "" {
			provider += " (" + d + ")"
		}
		groups = append(groups, huh.NewGroup(
			huh.NewSelect[string]().
				Title("Which smart host should relaywiz test?").
				Description("No account at hand? The lab smart host runs on this machine (TLS, login, like the real one) so you can walk every step now.").
				Options(
					huh.NewOption(provider, targetProvider),
					huh.NewOption("A lab smart host on this machine (no account needed)", targetLab),
				).
				Value(&s.target),
		))
	}
	groups = append(groups, huh.NewGroup(
		huh.NewInput().Title("Smart host").
			Description("The name the provider gave you; Exchange will connect to it.").
			Value(&s.host).Validate(validateHost),
		huh.NewInput().Title("Ports to test").
			Description("Both, if you are unsure: 25 is often blocked outbound, 587 rarely.").
			Value(&s.ports).Validate(validatePorts),
		huh.NewInput().Title("Extra CA certificate (optional)").
			Description("A PEM file, only if the smart host's certificate is not from a public CA.").
			Value(&s.caFile).Validate(s.validateCAFile),
		huh.NewInput().Title("Certificate name (optional)").
			Description("Only if you connect by IP address or an alias the certificate does not name.").
			Value(&s.tlsServerName).Validate(validateOptionalHost),
	).WithHideFunc(func() bool { return s.target == targetLab }))
	return newForm(s.c.Styles, groups...)
}

func (s *smartHostStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case caFileCheckedMsg:
		if !s.checkingCA || msg.path != strings.TrimSpace(s.caFile) {
			return s, nil
		}
		s.checkingCA = false
		if msg.err != nil {
			s.caErr, s.caErrPath = msg.err, msg.path
			s.form = s.buildForm()
			s.SetSize(s.w, s.h)
			return s, s.form.Init()
		}
		return s, s.useProvider()
	case labStartedMsg:
		if !s.starting {
			return s, nil // the user left meanwhile; the lab stops with the wizard
		}
		s.starting = false
		if msg.err != nil {
			s.labErr = msg.err
			s.form = s.buildForm()
			s.SetSize(s.w, s.h)
			return s, s.form.Init()
		}
		s.c.Session.useLab(msg.lab)
		return s, nextStep
	}
	if s.starting || s.checkingCA {
		return s, nil
	}
	cmd, done := updateForm(s.form, msg)
	if !done {
		return s, cmd
	}
	if s.target == targetLab {
		return s, s.startLab()
	}
	if ca := strings.TrimSpace(s.caFile); ca != "" {
		s.checkingCA, s.caErr = true, nil
		return s, checkCAFileCmd(ca)
	}
	return s, s.useProvider()
}

func (s *smartHostStep) useProvider() tea.Cmd {
	ports, _ := checks.ParsePorts(s.ports) // validated by the form
	s.c.Session.useProvider(strings.TrimSpace(s.host), ports, strings.TrimSpace(s.caFile), strings.TrimSpace(s.tlsServerName))
	return nextStep
}

// validateCAFile is the field's syntax check plus the last file check's
// verdict for this very path (no I/O here).
func (s *smartHostStep) validateCAFile(v string) error {
	if err := validatePathSyntax(v); err != nil {
		return err
	}
	if s.caErr != nil && strings.TrimSpace(v) == s.caErrPath {
		return s.caErr
	}
	return nil
}

// startLab starts the lab once per wizard run; later visits reuse it.
func (s *smartHostStep) startLab() tea.Cmd {
	if lab := s.c.Session.Lab; lab != nil {
		return func() tea.Msg { return labStartedMsg{lab: lab} }
	}
	s.starting = true
	start, dir, ctx := s.c.Deps.StartLab, s.c.Deps.LabDir, s.c.Ctx
	return func() tea.Msg {
		lab, err := start(ctx, dir)
		if err != nil {
			err = fmt.Errorf("could not start the lab smart host: %w", err)
		}
		return labStartedMsg{lab: lab, err: err}
	}
}

func (s *smartHostStep) View() string {
	st := s.c.Styles
	if s.starting {
		return st.Running.Render("Starting the lab smart host (fresh CA, certificate and password)…")
	}
	if s.checkingCA {
		return st.Running.Render("Reading the CA file " + s.caFile + "…")
	}
	var b strings.Builder
	w := max(s.w-2, 20)
	if s.labErr != nil {
		b.WriteString(st.Fail.Render(wrap(markFail+" "+s.labErr.Error(), w)) + "\n\n")
	}
	if s.caErr != nil {
		b.WriteString(st.Fail.Render(wrap(markFail+" Extra CA certificate: "+s.caErr.Error(), w)) + "\n\n")
	}
	b.WriteString(s.form.View())
	return b.String()
}

// labHostPort splits the lab's listen address.
func labHostPort(addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

// shownForm is the form on screen, for the footer's error line.
func (s *smartHostStep) shownForm() *huh.Form {
	return s.form
}
