package checks

import (
	"regexp"
	"strings"
	"testing"
)

// Hints name flags of the one vocabulary (--smart-host, --ports/--port):
// the wizard renames exactly those to its fields, and --host is only a
// hidden alias that no command's help shows any more.
func TestHintsUseTheSharedFlagNames(t *testing.T) {
	hints := map[string]string{
		"reply too long":    hintReplyTooLong(),
		"dns not found":     hintDNSNotFound("smtp.example.com"),
		"connect refused":   hintConnectRefused(587),
		"connect timeout":   hintConnectTimeout(587),
		"tls hostname":      hintTLSHostname("192.0.2.1", []string{"smtp.example.com"}),
		"unknown authority": hintTLSUnknownAuthority("Example CA"),
		"ehlo rejected":     hintEHLORejected("x"),
	}
	old := regexp.MustCompile(`--(host|alt-ports|upstream)\b`)
	bare := regexp.MustCompile(`--port\b`)
	for name, h := range hints {
		if m := old.FindString(h); m != "" {
			t.Errorf("%s: hint names the old flag %s: %q", name, m, h)
		}
		// check has --ports, send/relay/doctor --port: a hint shared by
		// all of them names both, as validate.go does.
		if bare.MatchString(strings.ReplaceAll(h, "--ports/--port", "")) {
			t.Errorf("%s: hint names --port alone, which check does not have: %q", name, h)
		}
	}
}
