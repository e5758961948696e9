package tui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"relaywiz/files"
	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

// The Exchange Online scenarios' live test. An Exchange Online outbound
// connector starts in Microsoft's network and cannot log in to the smart
// host, so a message sent from here with AUTH would prove nothing about
// that path. What can be proven: the sender domain's SPF includes
// spf.protection.outlook.com (how the provider recognises the tenant),
// and, end to end, the headers of a real message sent from Outlook or OWA
// with the trigger. The provider's allow-listing is the admin's manual
// step; the screen says so.

// OnlineProof is what the Online live test found, for the summary.
type OnlineProof struct {
	Domain  string
	SPF     []troubleshoot.DNSFinding
	Headers *troubleshoot.Verdict // nil until a received message was analysed
	From    string                // the file analysed
}

type onlinePhase int

const (
	onlineSPF      onlinePhase = iota // checking SPF
	onlineAsk                         // asking for the received message
	onlineAnalysed                    // verdict shown
)

type (
	onlineSPFMsg struct {
		gen      int
		findings []troubleshoot.DNSFinding
	}
	onlineHeadersMsg struct {
		gen     int
		verdict *troubleshoot.Verdict
		err     error
	}
)

func (onlineSPFMsg) owner() StepID     { return StepLiveTest }
func (onlineHeadersMsg) owner() StepID { return StepLiveTest }

// startOnline runs the SPF check of the sender domain in a worker.
func (s *liveTestStep) startOnline() tea.Cmd {
	ses := s.c.Session
	s.phase = liveOnline
	s.online = onlineSPF
	s.gen++
	_, domain, _ := strings.Cut(strings.TrimSpace(s.from), "@")
	s.proof = &OnlineProof{Domain: domain}
	ses.Online = s.proof
	resolver, ctx, gen := s.c.Deps.Resolver, s.c.Ctx, s.gen
	return tea.Batch(s.spin.Tick, func() tea.Msg {
		dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		found := troubleshoot.RunDNSChecks(dctx, resolver, troubleshoot.DNSInput{SenderDomain: domain, SPFIncludes: []string{troubleshoot.ExchangeOnlineSPF}})
		return onlineSPFMsg{gen, found}
	})
}

func (s *liveTestStep) showHeadersForm() tea.Cmd {
	s.online = onlineAsk
	s.form = newForm(s.c.Styles, huh.NewGroup(
		huh.NewInput().Title("The received message (path of a saved .eml, or a text file with its headers)").
			Description("Outlook: File > Properties > Internet headers; OWA: View > Message details. Leave empty to finish without it.").
			Value(&s.msgPath).Validate(validatePathSyntax),
	))
	s.SetSize(s.w, s.h)
	return s.form.Init()
}

// analyseCmd reads and judges the received message in a worker.
func (s *liveTestStep) analyseCmd(path string) tea.Cmd {
	ses := s.c.Session
	subjects, labels := files.RouteTriggers(ses.Inputs.Triggers)
	opts := troubleshoot.Options{ProviderHosts: append(append([]string{}, troubleshoot.DefaultProviderHosts...), ses.Host),
		TriggerSubjects: subjects, TriggerLabels: labels}
	gen := s.gen
	return func() tea.Msg {
		f, err := os.Open(path)
		if err != nil {
			return onlineHeadersMsg{gen: gen, err: fmt.Errorf("could not read the message: %w", err)}
		}
		defer f.Close()
		a, err := troubleshoot.Analyze(f, opts)
		if err != nil {
			return onlineHeadersMsg{gen: gen, err: err}
		}
		return onlineHeadersMsg{gen: gen, verdict: &a.Verdict}
	}
}

// updateOnline handles the Online proof's messages and keys.
func (s *liveTestStep) updateOnline(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case onlineSPFMsg:
		if msg.gen == s.gen && s.online == onlineSPF {
			s.proof.SPF = onlineSPFVerdict(msg.findings)
			return s, s.showHeadersForm()
		}
		return s, nil
	case onlineHeadersMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.online = onlineAnalysed
		s.headersErr = msg.err
		if msg.err == nil {
			s.proof.Headers, s.proof.From = msg.verdict, s.msgPath
		}
		return s, nil
	case tea.KeyMsg:
		if s.online == onlineAnalysed {
			switch {
			case key.Matches(msg, s.keys.Next):
				return s, nextStep
			case key.Matches(msg, s.keys.Again):
				return s, s.showHeadersForm()
			}
			return s, nil
		}
	}
	if s.online != onlineAsk {
		return s, nil
	}
	cmd, done := updateForm(s.form, msg)
	if !done {
		return s, cmd
	}
	path := strings.TrimSpace(s.msgPath)
	if path == "" {
		return s, nextStep
	}
	return s, s.analyseCmd(path)
}

func (s *liveTestStep) viewOnline() string {
	st := s.c.Styles
	ses := s.c.Session
	w := max(s.w-2, 20)
	var b strings.Builder
	line := func(mark, text string) { b.WriteString(st.markLine(mark, text, st.Subtle, w)) }
	b.WriteString(st.Title.Render("Proving the Exchange Online route") + "\n")
	b.WriteString(wrap("Exchange Online's connector starts in Microsoft's network and cannot log in to "+ses.Host+
		": a message sent from here would prove nothing about that path. Step 3 checked port 25 and the certificate as Exchange Online sees them.", w) + "\n\n")
	if s.online == onlineSPF {
		b.WriteString(st.Running.Render(s.spin.View()+" Checking the SPF record of "+s.proof.Domain+"…") + "\n")
		return b.String()
	}
	for _, f := range s.proof.SPF {
		mark, _ := severityMark(st, f.Severity)
		line(mark, "SPF: "+termtext.Escape(f.Message))
	}
	if len(s.proof.SPF) == 0 {
		line(markSkipped, "SPF: no sender domain to check.")
	}
	line(markWarn, "Manual step: the provider must allow-list "+s.proof.Domain+" for your tenant (Zivver: on request, through their support). relaywiz cannot check that from here.")
	_, _, note := s.trigger()
	send := "Then send a real message from Outlook or OWA to an outside address you can read, with the trigger"
	if note != "" {
		send += " (" + note + ")"
	}
	line(markSkipped, send+", and open the received message's headers here.")
	b.WriteString("\n")
	switch s.online {
	case onlineAsk:
		b.WriteString(s.form.View())
	case onlineAnalysed:
		if s.headersErr != nil {
			line(markFail, "The message could not be analysed: "+termtext.Escape(s.headersErr.Error()))
			break
		}
		v := s.proof.Headers
		switch {
		case v.Secure == nil:
			line(markWarn, "CANNOT TELL from these headers whether the message went through the provider.")
		case *v.Secure:
			line(markOK, "SECURE: the received message went through the provider.")
		default:
			line(markFail, "NOT SECURE: the received message did not go through the provider.")
		}
		for i, r := range v.Reasons {
			if i == 4 {
				break
			}
			mark, _ := severityMark(st, r.Severity)
			line(mark, termtext.Escape(r.Message))
		}
	}
	return b.String()
}

// onlineSPFVerdict makes a missing spf.protection.outlook.com a failure:
// for the DNS checks in general it is a warning, but here it is how the
// provider recognises the tenant, so without it the route cannot work.
func onlineSPFVerdict(found []troubleshoot.DNSFinding) []troubleshoot.DNSFinding {
	out := append([]troubleshoot.DNSFinding(nil), found...)
	for i, f := range out {
		if f.Check == troubleshoot.DNSCheckSPF && f.Severity == troubleshoot.SevWarn && strings.Contains(f.Message, troubleshoot.ExchangeOnlineSPF) {
			out[i].Severity = troubleshoot.SevFail
			out[i].Message += ". The provider recognises your Exchange Online tenant by it: add include:" + troubleshoot.ExchangeOnlineSPF + " to the record"
		}
	}
	return out
}
