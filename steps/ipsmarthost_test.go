package steps

import (
	"strings"
	"testing"
)

// A BasicAuthRequireTLS connector with an IP address as its smart host can
// never validate the certificate: the checklist and the scripts say what
// Exchange will queue the mail with (454 4.7.5), at the send connector.
func TestIPSmartHostWithBasicAuthRequireTLSPredicts4547(t *testing.T) {
	for _, id := range []ScenarioID{PAMSOnPrem, RelayOnPrem} {
		in := Defaults(id)
		in.SmartHost = "192.0.2.25"
		arts, err := Generate(in)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		for _, format := range []string{"checklist", "apply"} {
			a, err := Find(arts, format)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(string(a.Content)), " ")
			if !strings.Contains(text, "454 4.7.5 Certificate validation failure") || !strings.Contains(text, "WARNING") {
				t.Errorf("%s %s does not predict 454 4.7.5 for an IP smart host", id, format)
			}
		}
		// With the host name, no such warning.
		in.SmartHost = "smtp.zivver.com"
		arts, _ = Generate(in)
		a, _ := Find(arts, "checklist")
		if strings.Contains(string(a.Content), "454 4.7.5") {
			t.Errorf("%s: warning without an IP smart host", id)
		}
	}
}
