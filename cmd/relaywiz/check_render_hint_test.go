package main

import (
	"bytes"
	"strings"
	"testing"

	"relaywiz/checks"
)

// Without STARTTLS (Exchange Server dialect, --user) the starttls and auth
// stages carry the same hint: it is printed once, the second time as "the
// same as above" (it used to be printed twice, four lines each).
func TestCheckReportPrintsAPortsSharedHintOnce(t *testing.T) {
	a, _, _ := checkTestApp("", nil, nil)
	hint := "The server did not offer STARTTLS, so the Exchange connector cannot send securely."
	rep := checks.Report{Host: "smtp.example.com", As: checks.DialectExchangeServer, Ports: []checks.PortResult{{Port: 587, Stages: []checks.StageResult{
		{Name: checks.StageStartTLS, OK: true, Warning: true, Detail: "STARTTLS not offered", Hint: hint},
		{Name: checks.StageAuth, Detail: "Exchange will not log in", Hint: hint},
	}}}}
	var out bytes.Buffer
	renderCheckReport(&out, newCheckStyles(a), rep, "", "")
	if n := strings.Count(out.String(), "did not offer STARTTLS"); n != 1 || !strings.Contains(out.String(), "the same as above") {
		t.Errorf("the shared hint is printed %d times:\n%s", n, out.String())
	}
}
