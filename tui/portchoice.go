package tui

import (
	"fmt"
	"slices"
	"strings"

	"relaywiz/checks"
	"relaywiz/termtext"
)

// choosePort decides which port the connector and the live test use,
// from the checks' report and the scenario's preferred port, and says why
// in a sentence the admin can pass on. ok is false when no port passed.
func choosePort(r checks.Report, preferred int) (port int, reason string, ok bool) {
	var good, bad []checks.PortResult
	for _, p := range r.Ports {
		if p.OK {
			good = append(good, p)
		} else {
			bad = append(bad, p)
		}
	}
	if len(good) == 0 {
		port = preferred
		if !slices.ContainsFunc(r.Ports, func(p checks.PortResult) bool { return p.Port == preferred }) && len(r.Ports) > 0 {
			port = r.Ports[0].Port
		}
		return port, "No port passed every check.", false
	}
	pick := good[0]
	for _, g := range good {
		if g.Port == preferred {
			pick = g
		}
	}
	// Without a preference that passed, 587 (submission) beats 25: it is
	// the port networks leave open.
	if pick.Port != preferred {
		for _, g := range good {
			if g.Port == 587 {
				pick = g
			}
		}
	}
	port = pick.Port
	if len(bad) == 0 {
		if len(good) == 1 {
			return port, fmt.Sprintf("Port %d works; the connector and the live test use it.", port), true
		}
		return port, fmt.Sprintf("Every port works; the connector uses %d, the provider's usual port.", port), true
	}
	var why []string
	for _, b := range bad {
		why = append(why, fmt.Sprintf("port %d %s", b.Port, failureWords(b)))
	}
	reason = fmt.Sprintf("%s, but %d works: the connector and the live test use port %d instead.",
		capitalize(strings.Join(why, "; ")), port, port)
	if slices.ContainsFunc(bad, func(b checks.PortResult) bool {
		st, _ := b.FailedStage()
		return b.Port == 25 && st.Name == checks.StageConnect
	}) {
		reason += " Port 25 is blocked outbound on many networks; 587 carries the same mail with the same STARTTLS and login."
	}
	return port, reason, true
}

// failureWords says how a port failed: "failed at TCP connect (timeout)".
func failureWords(p checks.PortResult) string {
	st, ok := p.FailedStage()
	if !ok {
		return "did not pass"
	}
	s := "failed at " + stageLabel(st.Name)
	if st.Detail != "" {
		s += " (" + termtext.Escape(st.Detail) + ")" // the smart host's words
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
