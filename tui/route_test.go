package tui

import (
	"strings"
	"testing"

	"relaywiz/checks"
	"relaywiz/steps"
)

// The route on the Exchange screen and in the summary marks the smart-host
// hop proven only when this session's check passed against that host
// (not the lab, not a forced continue).
func TestRouteOverviewMarksWhatTheSessionProved(t *testing.T) {
	ses := &Session{Inputs: steps.Defaults(steps.PAMSOnPrem), Host: "smtp.zivver.com", Port: 587}
	if out := routeOverview(ses); strings.Contains(out, "  proven") || !strings.Contains(out, "the route holds") {
		t.Fatalf("no check yet, but:\n%s", out)
	}
	ses.Report = &checks.Report{}
	if out := routeOverview(ses); !strings.Contains(out, "  proven") || !strings.Contains(out, "port 587") {
		t.Fatalf("the check passed, but the hop is not marked proven:\n%s", out)
	}
	for _, change := range []func(*Session){
		func(s *Session) { s.UseLab = true },
		func(s *Session) { s.Forced = true },
		func(s *Session) { s.Host = "other.example" },
	} {
		s := *ses
		change(&s)
		if out := routeOverview(&s); strings.Contains(out, "  proven") {
			t.Fatalf("proven without evidence for the provider's host:\n%s", out)
		}
	}
}
