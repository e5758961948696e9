package main

import (
	"context"
	"strings"
	"testing"
)

// `send --user` with a line break was reported against --from (the user
// is the default sender); it is now refused as --user, before anything.
func TestSendUserWithLineBreakNamesUser(t *testing.T) {
	a, _, errb := stepsTestApp()
	code := run(context.Background(), a, []string{"send", "--upstream", "127.0.0.1:1", "--user", "relay@example.com\r\nRSET", "--to", "b@example.org", "--password-stdin"})
	if code != exitUsage || !strings.Contains(errb.String(), "--user") || strings.Contains(errb.String(), "--from") {
		t.Fatalf("exit %d, stderr %q; want 64 naming --user", code, errb.String())
	}
}

func TestSendRefusesSmuggledRecipientAndUnfoldableSubject(t *testing.T) {
	for _, args := range [][]string{
		{"--to", "a@b> NOTIFY=NEVER"},
		{"--to", "b@example.org", "--subject", strings.Repeat("x", 2000)},
	} {
		a, _, errb := stepsTestApp()
		code := run(context.Background(), a, append([]string{"send", "--upstream", "127.0.0.1:1"}, args...))
		if code != exitUsage || !strings.Contains(errb.String(), args[len(args)-2]) {
			t.Errorf("%v: exit %d, stderr %q; want 64 naming %s", args[:1], code, errb.String(), args[len(args)-2])
		}
	}
}
