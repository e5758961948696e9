package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"relaywiz/troubleshoot"
)

// On a colour terminal the route's TLS state, the hop details and the
// antispam meanings are styled: the style's own ESC bytes must reach the
// terminal as a style, not as a visible "\x1b[32m"; the header's own
// control characters still arrive escaped.
func TestHeadersColourStylesNotEscaped(t *testing.T) {
	var out bytes.Buffer
	r := lipgloss.NewRenderer(&out)
	r.SetColorProfile(termenv.ANSI)
	st := troubleStyles{ok: r.NewStyle().Foreground(lipgloss.Color("2")), fail: r.NewStyle().Foreground(lipgloss.Color("1")),
		warn: r.NewStyle().Foreground(lipgloss.Color("3")), faint: r.NewStyle().Faint(true), bold: r.NewStyle().Bold(true)}
	yes := true
	hops := []troubleshoot.Hop{{Index: 1, From: "a.example", By: "b.example", With: "ESMTPS", TLS: &yes,
		TLSVersion: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384", ID: "Q1\x1b]52;c;aGk=\x07"}}
	renderRoute(&out, st, hops)
	renderAntispam(&out, st, []troubleshoot.AntispamField{{Header: "X-Forefront-Antispam-Report", Key: "SCL", Value: "1", Meaning: "not spam: delivered to the Inbox"}})
	got := out.String()
	if strings.Contains(got, `\x1b[`) {
		t.Errorf("a style was printed escaped:\n%s", got)
	}
	if !strings.Contains(got, "\x1b[32mTLSv1.3") || !strings.Contains(got, "\x1b[2m") {
		t.Errorf("the styles are missing:\n%q", got)
	}
	if strings.Contains(got, "\x1b]") || strings.Contains(got, "\x07") || !strings.Contains(got, `Q1\x1b]52`) {
		t.Errorf("the header's id is not escaped:\n%q", got)
	}
}
