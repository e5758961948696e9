package checks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func dialRaw(t *testing.T, f *rawSmartHost, d Dialect) (*Conn, func() string) {
	t.Helper()
	port, pki := rawFake(t, f)
	var lines []string
	conn, err := Dial(context.Background(), DialOptions{
		Dialect: d, Host: fakeName, Port: port, Resolver: loopbackResolver, CAFile: pki.caFile, Timeout: 5 * time.Second,
		Transcript: func(l TranscriptLine) { lines = append(lines, l.String()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, func() string { return strings.Join(lines, "\n") }
}

// TestMailRcptPipelinedInOneWrite: as Exchange, RSET, MAIL FROM (with
// go-smtp's own BODY/SIZE parameters, matched byte for byte) and every
// RCPT TO arrive in one read; the replies map back in order, a refused
// recipient to its own slot.
func TestMailRcptPipelinedInOneWrite(t *testing.T) {
	f := &rawSmartHost{ehloTLS: []string{"PIPELINING", "8BITMIME"}, replies: map[string]string{"RCPT TO:<no@example.org>": "550 5.1.1 no such user"}}
	conn, transcript := dialRaw(t, f, DialectExchangeServer)
	if !conn.Pipelines() {
		t.Fatal("PIPELINING offered, Exchange dialect: should pipeline")
	}
	r := conn.MailRcpt(true, "a@example.com", &smtp.MailOptions{Size: 1234}, []string{"b@example.org", "no@example.org"})
	if !r.Pipelined || r.Reset != nil || r.Mail != nil || len(r.Rcpt) != 2 || r.Rcpt[0] != nil {
		t.Fatalf("replies %+v", r)
	}
	var se *smtp.SMTPError
	if !errors.As(r.Rcpt[1], &se) || se.Code != 550 {
		t.Fatalf("refused recipient: %v", r.Rcpt[1])
	}
	groups := f.readGroups()
	want := []string{"RSET", "MAIL FROM:<a@example.com> BODY=8BITMIME SIZE=1234", "RCPT TO:<b@example.org>", "RCPT TO:<no@example.org>"}
	if !slices.ContainsFunc(groups, func(g []string) bool { return slices.Equal(g, want) }) {
		t.Fatalf("want %q in one read, got %q", want, groups)
	}
	// The session is in step: the next command gets its own reply, and no
	// EHLO was sent after the RSET.
	if err := conn.Client.Noop(); err != nil {
		t.Fatal(err)
	}
	if strings.Count(transcript(), "~> EHLO") != 1 {
		t.Fatalf("EHLO after RSET:\n%s", transcript())
	}
}

// TestMailRcptRefusedMailMakesRcptMoot: a refused MAIL FROM is reported,
// the RCPT replies of the batch (250 here) are discarded, and the session
// stays usable.
func TestMailRcptRefusedMailMakesRcptMoot(t *testing.T) {
	f := &rawSmartHost{ehloTLS: []string{"PIPELINING"}, replies: map[string]string{"MAIL FROM:": "553 5.7.1 sender rejected"}}
	conn, _ := dialRaw(t, f, DialectExchangeOnline)
	r := conn.MailRcpt(false, "a@example.com", nil, []string{"b@example.org"})
	var se *smtp.SMTPError
	if !r.Pipelined || !errors.As(r.Mail, &se) || se.Code != 553 || r.Rcpt != nil {
		t.Fatalf("replies %+v", r)
	}
	if err := conn.Client.Noop(); err != nil {
		t.Fatalf("session out of step after the batch: %v", err)
	}
}

// TestMailRcptOneAtATime: without PIPELINING offered, or as generic, one
// command per write, stopping at a refused MAIL.
func TestMailRcptOneAtATime(t *testing.T) {
	for _, tc := range []struct {
		name string
		ext  []string
		d    Dialect
	}{{"exchange-server/not-offered", nil, DialectExchangeServer}, {"generic/offered", []string{"PIPELINING"}, DialectGeneric}} {
		t.Run(tc.name, func(t *testing.T) {
			f := &rawSmartHost{ehloTLS: tc.ext, replies: map[string]string{"MAIL FROM:<bad@": "550 5.7.1 no"}}
			conn, _ := dialRaw(t, f, tc.d)
			if conn.Pipelines() {
				t.Fatal("should not pipeline")
			}
			if r := conn.MailRcpt(false, "a@example.com", nil, []string{"b@example.org", "c@example.org"}); r.Pipelined || r.Mail != nil || len(r.Rcpt) != 2 {
				t.Fatalf("replies %+v", r)
			}
			if r := conn.MailRcpt(true, "bad@example.com", nil, []string{"b@example.org"}); r.Mail == nil || r.Rcpt != nil {
				t.Fatalf("replies %+v", r)
			}
			for _, g := range f.readGroups() {
				if len(g) > 1 {
					t.Fatalf("commands sent together: %q", g)
				}
			}
		})
	}
}
