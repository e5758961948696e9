package tui

import (
	"regexp"
	"strings"
)

// The checks' hints are written for the command line ("pass its
// certificate with --ca-file"). In the wizard there are no flags, so a
// hint names the field that does the same job. Commands shown for copying
// (in `backticks` or after "relaywiz ") are left exactly as they are.

var wizardFlagNames = []struct {
	re   *regexp.Regexp
	name string
}{
	{regexp.MustCompile(`--smart-host( NAME)?`), "the Smart host field (step 2)"},
	{regexp.MustCompile(`--tls-server-name( NAME)?`), "the Certificate name field (step 2)"},
	{regexp.MustCompile(`--ca-file`), "the Extra CA certificate field (step 2)"},
	{regexp.MustCompile(`--ports(/--port)?`), "the Ports to test field (step 2)"},
	{regexp.MustCompile(`--user`), "the user name (step 4)"},
	// The wizard has no field for these: name the command that has them,
	// as a command for copying.
	{regexp.MustCompile(`--timeout\b`), "`relaywiz check --timeout`"},
	{regexp.MustCompile(`--ehlo\b`), "`relaywiz check --ehlo`"},
	{regexp.MustCompile(`--verbose\b`), "`relaywiz check --verbose`"},
}

// wizardHint rewrites a hint for the wizard's screens.
func wizardHint(s string) string {
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 { // outside backticks only
		parts[i] = renameOutsideCommands(parts[i])
	}
	return strings.Join(parts, "`")
}

// renameOutsideCommands renames flags in prose, stopping at "relaywiz ":
// what follows is a command line.
func renameOutsideCommands(s string) string {
	prose, cmd, hasCmd := strings.Cut(s, "relaywiz ")
	for _, f := range wizardFlagNames {
		prose = f.re.ReplaceAllString(prose, f.name)
	}
	if hasCmd {
		return prose + "relaywiz " + cmd
	}
	return prose
}
