package tui

import "testing"

// Hints in the wizard name its fields, not command-line flags; commands
// for copying stay intact.
func TestWizardHintNamesFields(t *testing.T) {
	for in, want := range map[string]string{
		"If the provider uses a private CA, pass its certificate with --ca-file.":                  "If the provider uses a private CA, pass its certificate with the Extra CA certificate field (step 2).",
		"Connect with a name from the certificate (--smart-host), or set --tls-server-name to it.": "Connect with a name from the certificate (the Smart host field (step 2)), or set the Certificate name field (step 2) to it.",
		"Run `relaywiz check --ports 587 --ca-file ca.pem` to see it.":                             "Run `relaywiz check --ports 587 --ca-file ca.pem` to see it.",
		"From the Exchange server run relaywiz check --smart-host x --ports 25":                    "From the Exchange server run relaywiz check --smart-host x --ports 25",
		"Check --smart-host and --ports/--port; nothing was sent.":                                 "Check the Smart host field (step 2) and the Ports to test field (step 2); nothing was sent.",
		// no such field in the wizard: the command that has it, for copying
		"try again, and raise --timeout if the link is known to be slow.": "try again, and raise `relaywiz check --timeout` if the link is known to be slow.",
		"Set --ehlo to this server's fully qualified public name.":        "Set `relaywiz check --ehlo` to this server's fully qualified public name.",
		"capture the --verbose transcript (passwords are redacted)":       "capture the `relaywiz check --verbose` transcript (passwords are redacted)",
	} {
		if got := wizardHint(in); got != want {
			t.Errorf("wizardHint(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
