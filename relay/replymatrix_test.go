package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestRelayReplyMatrix walks every upstream stage through every kind of
// answer and checks the one promise the relay makes its client: 2xx only
// when the smart host accepted the message, 5xx only when it refused it,
// 4xx whenever the outcome is a failure of the path or unknown.
func TestRelayReplyMatrix(t *testing.T) {
	stages := []string{"connect", "ehlo", "starttls", "ehlo_tls", "auth", "mail", "rcpt", "data", "body", "dot", "bdat"}
	actions := []string{"ok", "unexpected2xx", "4xx", "5xx", "close", "stall"}
	for _, stage := range stages {
		for _, action := range actions {
			if stage == "body" && (action == "ok" || action == "unexpected2xx") {
				continue // a reply in the middle of the content is only ever a refusal
			}
			want := expectedClass(stage, action)
			for _, variant := range []struct{ clientBDAT, pipelining bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
				clientBDAT := variant.clientBDAT
				name := stage + "/" + action
				if clientBDAT {
					name += "/client-bdat"
				}
				if variant.pipelining {
					// The upstream MAIL is deferred to the first RCPT: a
					// refused MAIL reaches the client at RCPT, same class.
					name += "/pipelining"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					h := startScriptedHostWith(t, &scriptedHost{stage: stage, action: action, chunking: stage == "bdat", pipelining: variant.pipelining})
					srv, _ := startTestRelay(t, Options{
						Upstream: h.dialer(), UpstreamName: "scripted",
						UpstreamTimeout: 2 * time.Second, UpstreamCommandTimeout: time.Second, UpstreamDataTimeout: time.Second,
					})
					got, reply := sendForClass(t, srv.Addr(), clientBDAT)
					delivered, sawBDAT := h.counts()
					if stage == "bdat" && !sawBDAT {
						t.Fatal("the smart host offered CHUNKING but the relay did not submit with BDAT, as Exchange does")
					}
					if got != want {
						t.Fatalf("upstream %s at %s: the client got %q (class %dxx), want %dxx", action, stage, reply, got, want)
					}
					if got == 2 && delivered != 1 {
						t.Fatalf("client told 2xx but the smart host took %d messages", delivered)
					}
					if mails, batched, _ := h.pipelineCounts(); variant.pipelining && mails > 0 && batched != mails {
						t.Fatalf("PIPELINING offered: %d of %d MAIL commands came with their RCPT", batched, mails)
					} else if !variant.pipelining && batched != 0 {
						t.Fatalf("PIPELINING not offered, yet %d MAIL commands came with their RCPT", batched)
					}
				})
			}
		}
	}
}

// expectedClass is the reply class the relay's client must see.
func expectedClass(stage, action string) int {
	switch action {
	case "ok":
		return 2
	case "5xx":
		switch stage {
		case "mail", "rcpt", "data", "body", "dot", "bdat":
			return 5 // the smart host refused this message: pass it on
		}
		return 4 // a dial failure is the relay's set-up, not the message
	}
	return 4
}

// sendForClass runs one transaction against the relay, with DATA or with
// BDAT, and returns the class of the first reply that is not a success
// (or of the final reply).
func sendForClass(t *testing.T, addr string, useBDAT bool) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(conn)
	read := func() (int, string) {
		code, msg, err := tp.ReadResponse(0)
		var te *textproto.Error
		if errors.As(err, &te) {
			code, msg = te.Code, te.Msg
		} else if err != nil {
			t.Fatalf("the relay did not answer: %v", err)
		}
		return code, strconv.Itoa(code) + " " + msg
	}
	read()
	body := "Subject: matrix\r\nMessage-Id: <matrix@example.com>\r\n\r\nline one\r\nline two\r\n"
	steps := []string{"EHLO matrix.test", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>"}
	for _, cmd := range steps {
		tp.PrintfLine("%s", cmd)
		if code, r := read(); code/100 != 2 {
			return code / 100, r
		}
	}
	if useBDAT {
		fmt.Fprintf(conn, "BDAT %d LAST\r\n%s", len(body), body)
	} else {
		tp.PrintfLine("DATA")
		if code, r := read(); code != 354 {
			return code / 100, r
		}
		fmt.Fprintf(conn, "%s.\r\n", body)
	}
	code, r := read()
	tp.PrintfLine("QUIT")
	return code / 100, r
}

// TestRelayDataAnswered2xxIsNot2xx is the defect on its own: a smart host
// answering DATA with 250 instead of 354 got its 250 passed to the client
// as the final reply, for a message it never received.
func TestRelayDataAnswered2xxIsNot2xx(t *testing.T) {
	for _, positive := range []string{"unexpected2xx"} {
		h := startScriptedHost(t, "data", positive, false)
		srv, recs := startTestRelay(t, Options{Upstream: h.dialer(), UpstreamName: "scripted"})
		c := dialClient(t, srv.Addr())
		_, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte("Subject: x\r\n\r\nbody\r\n"))
		if smtpCode(err) != 451 {
			t.Fatalf("DATA answered 250 upstream: client got %v, want 451", err)
		}
		c.Quit()
		rec := recs.next(t)
		if len(rec.Messages) != 1 || rec.Messages[0].Accepted || !strings.Contains(rec.Messages[0].UpstreamReply, "250") {
			t.Fatalf("record: %+v", rec.Messages)
		}
		if d, _ := h.counts(); d != 0 {
			t.Fatalf("delivered %d", d)
		}
	}
}

// TestRelayMailRetriesOnFreshDial: a pooled connection that answers MAIL
// FROM with anything unexpected is replaced by a fresh dial before the
// client hears anything.
func TestRelayMailRetriesOnFreshDial(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, &dials)})
	c := dialClient(t, srv.Addr())
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte("Subject: 1\r\n\r\none\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	recs.next(t) // the session is over: its upstream connection is parked
	// The parked connection now refuses MAIL once, as an upstream left in
	// a bad state would; the fresh dial must not.
	refusedOnce := false
	f.mu.Lock()
	f.mailHook = func() *smtp.SMTPError {
		if refusedOnce {
			return nil
		}
		refusedOnce = true
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Error: nested MAIL command"}
	}
	f.mu.Unlock()
	c = dialClient(t, srv.Addr())
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte("Subject: 2\r\n\r\ntwo\r\n")); err != nil {
		t.Fatalf("second message through a pooled connection that failed MAIL: %v", err)
	}
	if dials != 2 {
		t.Fatalf("dials = %d, want 2 (the first, then the retry after the pooled connection failed)", dials)
	}
}

// TestSendDataAnswered2xxIsNotDelivered: `send` through a smart host that
// answers DATA with 250 reports a failure with the relay's 451, never a
// "NOT delivered … 250 … This is not an error".
func TestSendDataAnswered2xxIsNotDelivered(t *testing.T) {
	h := startScriptedHost(t, "data", "unexpected2xx", false)
	msg, _ := NewTestMessage(MessageOptions{From: "admin@example.com", To: []string{"ext@example.org"}})
	res := Send(context.Background(), SendOptions{Upstream: UpstreamConfig{Host: "127.0.0.1", Port: 1}, Dial: h.dialer(), Message: msg}, nil)
	if res.Accepted {
		t.Fatalf("accepted: %+v", res)
	}
	if !strings.HasPrefix(res.Reply, "451") || strings.Contains(res.Hint, "not an error") {
		t.Fatalf("reply %q hint %q: want the relay's 451 and no 'not an error'", res.Reply, res.Hint)
	}
}

// TestRelayUpstreamReplyFloodIsBounded: a smart host that answers with an
// endless reply (at EHLO, at MAIL, after the end of the message) costs the
// relay a capped reply, not gigabytes, and the client gets a 4xx at once.
func TestRelayUpstreamReplyFloodIsBounded(t *testing.T) {
	for _, stage := range []string{"ehlo", "ehlo_tls", "mail", "dot"} {
		t.Run(stage, func(t *testing.T) {
			h := startScriptedHost(t, stage, "flood", false)
			srv, _ := startTestRelay(t, Options{Upstream: h.dialer(), UpstreamName: "scripted"})
			start := time.Now()
			class, reply := sendForClass(t, srv.Addr(), false)
			if class != 4 {
				t.Fatalf("client got %q, want 4xx", reply)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// TestRelayUpstreamTimeoutsWithinWhatClientsWait: by default every upstream
// step after the dial is bounded below what an RFC 5321 client waits for
// its own reply (5 minutes for MAIL/RCPT, 10 for the end of data); go-smtp's
// own defaults (5 and 12 minutes) are not.
func TestRelayUpstreamTimeoutsWithinWhatClientsWait(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil)})
	c := dialClient(t, srv.Addr())
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody)); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	recs.next(t)
	up := srv.pool.get()
	if up == nil {
		t.Fatal("no parked upstream connection")
	}
	defer up.Close()
	if cmd, sub := up.Client.CommandTimeout, up.Client.SubmissionTimeout; cmd >= 5*time.Minute || sub >= 10*time.Minute || sub > 5*time.Minute {
		t.Fatalf("upstream timeouts: command %s, end of data %s", cmd, sub)
	}
}
