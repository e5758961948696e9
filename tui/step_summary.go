package tui

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/steps"
	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

// summaryStep is step 8: what was proven, what was written where, what to
// do in Exchange next and how to confirm it (the manuals' end-to-end
// test), and how to undo it all.
type summaryStep struct {
	c    *Common
	w, h int
	vp   viewport.Model
	keys summaryKeys
}

type summaryKeys struct {
	Finish, Scroll key.Binding
}

// finishMsg asks the root to end the wizard (saving the answers).
type finishMsg struct{}

func newSummaryStep(c *Common) *summaryStep {
	return &summaryStep{
		c:  c,
		vp: viewport.New(80, 10),
		keys: summaryKeys{
			Finish: key.NewBinding(key.WithKeys("enter", "q"), key.WithHelp("enter/q", "finish")),
			Scroll: scrollKey(),
		},
	}
}

func (s *summaryStep) Title() string { return "Summary" }
func (s *summaryStep) Typing() bool  { return false }
func (s *summaryStep) Busy() string  { return "" }
func (s *summaryStep) Leave()        {}
func (s *summaryStep) Init() tea.Cmd { return nil }

func (s *summaryStep) SetSize(w, h int) {
	s.w, s.h = w, h
	s.vp.Width, s.vp.Height = w, max(h, 1)
	s.refresh()
}

func (s *summaryStep) ShortHelp() []key.Binding  { return []key.Binding{s.keys.Finish, s.keys.Scroll} }
func (s *summaryStep) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

func (s *summaryStep) Enter() tea.Cmd {
	s.refresh()
	s.vp.GotoTop()
	return nil
}

func (s *summaryStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		if key.Matches(km, s.keys.Finish) {
			return s, func() tea.Msg { return finishMsg{} }
		}
		var cmd tea.Cmd
		s.vp, cmd = s.vp.Update(km)
		return s, cmd
	}
	return s, nil
}

func (s *summaryStep) View() string { return s.vp.View() }

func (s *summaryStep) refresh() {
	if !s.c.Session.HasScenario {
		return
	}
	s.vp.SetContent(s.render(max(s.w-2, 30)))
}

// render builds the summary text. Every line says what it means without
// colour: ✓ proven, ! proven with a caveat, ✗ failed, - not done.
func (s *summaryStep) render(w int) string {
	st := s.c.Styles
	ses := s.c.Session
	var b strings.Builder
	item := func(mark, text string) { b.WriteString(st.markLine(mark, text, st.Text, w)) }
	head := func(t string) { b.WriteString("\n" + st.Title.Render(t) + "\n") }

	b.WriteString(st.Title.Render("What relaywiz proved") + "\n")
	target := ses.Host
	if ses.UseLab {
		target = "The lab smart host " + ses.Host
	}
	switch {
	case ses.Report == nil:
		item(markSkipped, "Connectivity was not checked.")
	case ses.Forced:
		item(markFail, fmt.Sprintf("No port of %s passed the checks; you continued anyway.", target))
	default:
		item(markOK, fmt.Sprintf("%s answers on port %d with STARTTLS%s.", target, ses.Port, tlsWords(ses.Report, ses.Port)))
		if ses.PortReason != "" && strings.Contains(ses.PortReason, "but") {
			item(markWarn, ses.PortReason)
		}
	}
	switch {
	case ses.onlineRoute():
		item(markSkipped, "No login: Exchange Online's connector cannot log in to the smart host; the provider recognises your tenant by SPF.")
	case ses.AuthProven && ses.Creds == CredsKeyring:
		item(markOK, fmt.Sprintf("The login for %s works. %s", ses.User, ses.CredsNote))
	case ses.AuthProven:
		item(markWarn, fmt.Sprintf("The login for %s works; %s", ses.User, ses.CredsNote))
	default:
		item(markSkipped, "The login was not tested (no account given).")
	}
	switch t := ses.Test; {
	case ses.onlineRoute():
		onlineProofItems(ses.Online, item)
	case t == nil:
		item(markSkipped, "No test message was sent.")
	case t.Err == nil:
		reply := t.Result.UpstreamReply
		if reply == "" {
			reply = t.Result.Reply
		}
		item(markOK, fmt.Sprintf("A test message to %s was accepted by the %s: %s", ses.TestTo, t.Via, reply))
	default:
		item(markFail, fmt.Sprintf("The test message was not accepted by the %s: %v", t.Via, t.Err))
	}
	if ses.UseLab {
		item(markWarn, "These results are from the lab on this machine. Run the wizard again with the provider's smart host to prove the real route.")
	}

	head("Files")
	if len(ses.Written) > 0 {
		names := make([]string, len(ses.Written))
		for i, p := range ses.Written {
			names[i] = filepath.Base(p)
		}
		item(markOK, fmt.Sprintf("Written to %s: %s", ses.WrittenDir, strings.Join(names, ", ")))
	} else {
		item(markSkipped, "The Exchange steps were not written to disk yet: go back (esc) to the Exchange steps and press w.")
	}
	if ses.ProfilePath != "" {
		item(markOK, "Your answers (no passwords) are saved in "+ses.ProfilePath+"; `relaywiz steps` and the next wizard run start from them.")
	}

	head("Next, in Exchange")
	for i, line := range nextSteps(ses) {
		b.WriteString(hang(fmt.Sprintf("%d. ", i+1), line, w) + "\n")
	}

	head("How to undo")
	for _, line := range undoSteps(ses) {
		b.WriteString(hang("- ", line, w) + "\n")
	}

	head("Where the mail goes")
	b.WriteString(wrap(routeOverview(ses), w) + "\n")
	return strings.TrimRight(b.String(), "\n")
}

// tlsWords describes the TLS of the chosen port: ", TLS1.3, certificate verified".
func tlsWords(r *checks.Report, port int) string {
	for _, p := range r.Ports {
		if p.Port != port || p.TLS == nil {
			continue
		}
		s := ", " + p.TLS.Version
		if p.TLS.Verified {
			s += ", certificate verified"
		} else {
			s += ", certificate NOT verified"
		}
		return s
	}
	return ""
}

// nextSteps is the order of work in Exchange, ending with the manuals'
// end-to-end test for the scenario.
func nextSteps(ses *Session) []string {
	sc := ses.Scenario
	shell := "the Exchange Management Shell on the Exchange server"
	if sc.Online {
		shell = "Exchange Online PowerShell (Connect-ExchangeOnline)"
	}
	out := []string{
		"Follow checklist.md in the admin centre, or run apply.ps1 in " + shell + "; it asks for the smart-host password itself and changes nothing that is already right.",
		"Run verify.ps1: every line must say PASS before real mail goes this way.",
	}
	if sc.EmitsReg {
		out = append(out, "Only then roll out pams.reg to the Outlook clients (the plug-in must not hand mail to Exchange before the rule exists).")
	}
	out = append(out, "End-to-end test: "+endToEndTest(ses))
	out = append(out, "If a message arrives unsecured or not at all: save it as .eml and run `relaywiz headers FILE`, or `relaywiz doctor`.")
	return out
}

// endToEndTest is the test at the end of each vendor manual, in a sentence.
func endToEndTest(ses *Session) string {
	sc := ses.Scenario
	to := "an address outside your organisation"
	if ses.TestTo != "" {
		to = ses.TestTo
	}
	switch {
	case sc.EmitsReg:
		return "in Outlook for Windows, signed in to the Zivver plug-in, send a message to " + to +
			" with Secure mail switched on. The recipient must get a Zivver notification; a plain message means the route is not set up."
	case sc.Provider == "Zivver":
		var trig []string
		for _, t := range ses.Inputs.Triggers {
			switch t.Kind {
			case steps.TriggerSubject:
				trig = append(trig, fmt.Sprintf("the word %q in the subject", t.Value))
			case steps.TriggerSender:
				trig = append(trig, "sent from "+t.Value)
			case steps.TriggerLabel:
				trig = append(trig, "the sensitivity label "+t.Value)
			}
		}
		what := "a message that matches your trigger"
		if len(trig) > 0 {
			what = "a message with " + strings.Join(trig, " (or ") + strings.Repeat(")", len(trig)-1)
		}
		return "send " + what + " to " + to + ". It must arrive as a Zivver message; one without the trigger must arrive as usual."
	case sc.Provider == "Cryptshare":
		return "send a message to " + to + " (with Cryptshare for Outlook, or the subject word from OWA). It must arrive processed by the Cryptshare Mail Gateway."
	case sc.Provider == "CodeTwo":
		return "send a message to " + to + ". It must carry the add-on's work (e.g. the signature) and leave once through your other smart host, with no loop."
	}
	return "send a message to " + to + " and check it arrived through the smart host."
}

func undoSteps(ses *Session) []string {
	out := []string{"Run undo.ps1: it removes exactly what apply.ps1 created (rules first) and nothing else."}
	if ses.Scenario.EmitsReg {
		out = append(out, "Remove the plug-in key from the clients (or set EnableMailAssistedSubmission to 0) before undoing the rule.")
	}
	if ses.Creds == CredsKeyring && ses.User != "" {
		out = append(out, fmt.Sprintf("Remove the stored password: relaywiz creds delete --smart-host %s --user %s  (%s)", ses.Host, ses.User, creds.ServiceName(ses.Host)))
	}
	if ses.ProfilePath != "" {
		out = append(out, "Delete the saved answers: "+ses.ProfilePath)
	}
	return out
}

// onlineProofItems says what the Exchange Online proof found.
func onlineProofItems(p *OnlineProof, item func(mark, text string)) {
	if p == nil {
		item(markSkipped, "The Exchange Online route was not proven yet: send a real message from Outlook or OWA with the trigger and check its headers (relaywiz headers FILE).")
		return
	}
	for _, f := range p.SPF {
		mark := markOK
		switch f.Severity {
		case troubleshoot.SevFail:
			mark = markFail
		case troubleshoot.SevWarn:
			mark = markWarn
		}
		item(mark, "SPF of "+p.Domain+": "+termtext.Escape(f.Message))
	}
	item(markWarn, "The provider's allow-listing of "+p.Domain+" is a manual step relaywiz cannot check.")
	switch v := p.Headers; {
	case v == nil:
		item(markSkipped, "No received message was analysed: the end-to-end proof is still to do (relaywiz headers FILE).")
	case v.Secure == nil:
		item(markWarn, "The received message's headers cannot tell whether it went through the provider.")
	case *v.Secure:
		item(markOK, "A real message sent through Exchange Online went through the provider (its headers prove it).")
	default:
		item(markFail, "A real message sent through Exchange Online did NOT go through the provider (see its headers).")
	}
}
