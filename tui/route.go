package tui

import (
	"fmt"

	"relaywiz/audit"
)

// routeTab is the name of the Exchange screen's extra tab: where the mail
// goes with the generated steps (relaywiz audit, drawn).
const routeTab = "route"

// routeOverview runs the routing audit on the answers (pure and fast) and
// marks as proven the hops this session has evidence for: the smart host
// the connectivity check passed, and the test message it accepted.
func routeOverview(ses *Session) string {
	proven := map[string]string{}
	if ses.Report != nil && !ses.Forced && !ses.UseLab && ses.Host != "" {
		why := fmt.Sprintf("relaywiz check passed on port %d this session", ses.Port)
		if t := ses.Test; t != nil && t.Err == nil {
			why += ", and it accepted the test message"
		}
		proven[audit.ProvenKey(ses.Host, ses.Port)] = why // that port only
	}
	rep, err := audit.Run(audit.Options{Inputs: ses.Inputs, Proven: proven})
	if err != nil {
		return "The routing model could not be built: " + err.Error()
	}
	return audit.Overview(rep)
}
