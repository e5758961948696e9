package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"relaywiz/relay"
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

// A message the smart host took for some recipients only is a failure,
// but never shown as "NOT delivered … 250".
func TestSendSummaryPartialDeliveryIsNotNotDelivered250(t *testing.T) {
	a, out, _ := stepsTestApp()
	p := newSendPrinter(a)
	p.summary(relay.SendResult{Step: relay.StepRcpt, Reply: "250 2.0.0 Ok: queued as 4Xyz (relayed by relaywiz to x:587)",
		Err: errors.New("SMTP error 550 5.1.1 <nobody@example.org>: Recipient address rejected")}, "x:587")
	if strings.Contains(out.String(), "NOT delivered (failed at rcpt): 250") || !strings.Contains(out.String(), "NOT delivered to every recipient") ||
		!strings.Contains(out.String(), "550 5.1.1") {
		t.Fatalf("summary:\n%s", out.String())
	}
}
