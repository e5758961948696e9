package relay

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/testpeers"
)

// TestIntegrationPipelinedEnvelopeToPostfix: `send` (through the embedded
// relay) to the real Postfix, which offers PIPELINING: the upstream
// transcript shows MAIL FROM and RCPT TO sent before the reply to MAIL,
// the message arrives, and Postfix's log has no "improper command
// pipelining" complaint.
func TestIntegrationPipelinedEnvelopeToPostfix(t *testing.T) {
	m := testpeers.RequireMTA(t)
	local := uniqueLocal("pipe")
	msg, err := NewTestMessage(MessageOptions{From: m.User, To: []string{local + "@" + m.SinkDomain}})
	if err != nil {
		t.Fatal(err)
	}
	var tr bytes.Buffer
	res := Send(context.Background(), SendOptions{Upstream: mtaUpstream(m, m.Password), Message: msg, Transcript: &tr}, nil)
	if !res.Accepted {
		t.Fatalf("not accepted: %+v\n%s", res, tr.String())
	}
	// The upstream leg: lines inside TLS are "~>" (sent) and "<~" (received).
	mail, rcpt, mailReply := -1, -1, -1
	lines := strings.Split(tr.String(), "\n")
	for i, l := range lines {
		switch {
		case mail < 0 && strings.Contains(l, "~> MAIL FROM:"):
			mail = i
		case mail >= 0 && rcpt < 0 && strings.Contains(l, "~> RCPT TO:"):
			rcpt = i
		case mail >= 0 && mailReply < 0 && strings.Contains(l, "<~ 250"):
			mailReply = i
		}
	}
	if mail < 0 || rcpt < 0 || mailReply < 0 || rcpt > mailReply {
		t.Fatalf("want MAIL FROM, then RCPT TO, both sent before the reply to MAIL (lines %d, %d, reply %d):\n%s", mail, rcpt, mailReply, tr.String())
	}
	t.Logf("upstream envelope:\n%s", strings.Join(lines[mail:min(mailReply+2, len(lines))], "\n"))
	waitDelivered(t, m, local, msg.MessageID)
	logFile := filepath.Join(filepath.Dir(m.MaildirDir), "postfix.log")
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("Postfix's log (the peer writes it next to the Maildir): %v", err)
	}
	if bytes.Contains(b, []byte("improper command pipelining")) {
		t.Fatalf("Postfix complains about pipelining:\n%s", b)
	}
}
