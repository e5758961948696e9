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

// A check on one port proves nothing about another: Exchange Online's
// connector always delivers to port 25, so a check that passed on 587 (port
// 25 is often blocked from the admin's own network) leaves that hop
// modelled; so does an on-premises connector set to another port.
func TestRouteOverviewProvesOnlyTheCheckedPort(t *testing.T) {
	for _, c := range []struct {
		id   steps.ScenarioID
		port int
	}{
		{steps.PAMSOnline, 587},
		{steps.RelayOnline, 587},
		{steps.PAMSOnPrem, 25}, // the connector uses the default 587
	} {
		ses := &Session{Inputs: steps.Defaults(c.id), Host: "smtp.zivver.com", Port: c.port, Report: &checks.Report{}}
		if out := routeOverview(ses); strings.Contains(out, "  proven") {
			t.Errorf("%s: check on port %d marks another port's hop proven:\n%s", c.id, c.port, out)
		}
	}
	ses := &Session{Inputs: steps.Defaults(steps.PAMSOnline), Host: "smtp.zivver.com", Port: 25, Report: &checks.Report{}}
	if out := routeOverview(ses); !strings.Contains(out, "  proven") {
		t.Errorf("pams-online: the check passed on port 25, but the hop is not proven:\n%s", out)
	}
}
