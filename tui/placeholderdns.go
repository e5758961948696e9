package tui

import (
	"context"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/steps"
	"relaywiz/troubleshoot"
)

// The manuals' example placeholder domain (zivver.org) is a real domain.
// When the answers still carry it, step 5 looks it up in public DNS once
// (in a Cmd, through the injected resolver, so tests never reach the
// network) and warns above the questions if it exists.

type placeholderCheckedMsg struct {
	domain string
	f      troubleshoot.DNSFinding
}

func (placeholderCheckedMsg) owner() StepID { return StepDetails }

// placeholderCheckCmd returns nil when there is nothing to check: no
// resolver wired, a scenario without a placeholder domain, or a domain the
// admin chose.
func (s *detailsStep) placeholderCheckCmd(in steps.Inputs) tea.Cmd {
	r := s.c.Deps.Resolver
	sc := s.c.Session.Scenario
	def := steps.Defaults(sc.ID).PlaceholderDomain
	if r == nil || !sc.Uses(steps.FieldPlaceholderDomain) || def == "" || !strings.EqualFold(in.PlaceholderDomain, def) || s.placeholderChecked == def {
		return nil
	}
	s.placeholderChecked = def
	ctx := s.c.Ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return placeholderCheckedMsg{domain: def, f: troubleshoot.CheckPlaceholderDomain(ctx, r, def)}
	}
}

// placeholderNote is the warning for the note line ("" when none).
func (s *detailsStep) placeholderNote() string {
	if s.placeholderFinding == nil || s.placeholderFinding.Severity != troubleshoot.SevFail {
		return ""
	}
	f := s.placeholderFinding
	return markWarn + " The placeholder domain " + f.Name + " (the manuals' example) exists in public DNS (" +
		strings.Join(f.Records, ", ") + "). Pick a domain nobody uses, e.g. one under .invalid."
}
