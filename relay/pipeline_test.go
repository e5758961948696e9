package relay

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"relaywiz/checks"
)

// TestRelayPipelinesMailWithRcpt: with PIPELINING offered, the Exchange
// dialects send the upstream MAIL FROM and RCPT TO in one write (the fake
// finds the RCPT already read with the MAIL line); without it, or as
// generic, one command per round trip.
func TestRelayPipelinesMailWithRcpt(t *testing.T) {
	cases := []struct {
		name        string
		pipelining  bool
		dialect     checks.Dialect
		wantBatched bool
	}{
		{"exchange-server/offered", true, checks.DialectExchangeServer, true},
		{"exchange-server/not-offered", false, checks.DialectExchangeServer, false},
		{"generic/offered", true, checks.DialectGeneric, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startScriptedHostWith(t, &scriptedHost{stage: "none", action: "ok", pipelining: tc.pipelining, dialect: tc.dialect})
			srv, recs := startTestRelay(t, Options{Upstream: h.dialer(), UpstreamName: "scripted"})
			c := dialClient(t, srv.Addr())
			if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte("Subject: p\r\n\r\nbody\r\n")); err != nil {
				t.Fatal(err)
			}
			c.Quit()
			recs.next(t)
			mails, batched, cmds := h.pipelineCounts()
			if d, _ := h.counts(); d != 1 {
				t.Fatalf("delivered %d", d)
			}
			if mails != 1 || (batched == 1) != tc.wantBatched {
				t.Fatalf("MAIL commands %d, sent together with RCPT %d, want batched=%v (commands %v)", mails, batched, tc.wantBatched, cmds)
			}
		})
	}
}

// TestSendPipelinesWithSize: `send` announces SIZE, which the pipelined MAIL
// FROM line must carry exactly as go-smtp writes it (a difference would put
// the session out of step and fail the send).
func TestSendPipelinesWithSize(t *testing.T) {
	h := startScriptedHostWith(t, &scriptedHost{stage: "none", action: "ok", pipelining: true, chunking: true})
	msg, err := NewTestMessage(MessageOptions{From: "admin@example.com", To: []string{"ext@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	res := Send(context.Background(), SendOptions{Upstream: UpstreamConfig{Host: "127.0.0.1", Port: 1}, Dial: h.dialer(), Message: msg}, nil)
	if !res.Accepted {
		t.Fatalf("not accepted: %+v", res)
	}
	if mails, batched, cmds := h.pipelineCounts(); mails != 1 || batched != 1 {
		t.Fatalf("MAIL %d, batched %d, commands %v", mails, batched, cmds)
	}
}

// TestRelayPipelinedMailRefusedAtRcpt: a smart host refusing the deferred
// MAIL FROM is reported at the client's RCPT with the refusal's class (5xx
// stays 5xx, 4xx stays 4xx), for that RCPT and every further one; the RCPT
// reply that came in the same batch (the scripted host answers 250) is
// moot; nothing is delivered and the record ends at the MAIL step.
func TestRelayPipelinedMailRefusedAtRcpt(t *testing.T) {
	for _, tc := range []struct {
		action string
		code   int
	}{{"5xx", 554}, {"4xx", 451}, {"unexpected2xx", 451}, {"close", 451}} {
		t.Run(tc.action, func(t *testing.T) {
			h := startScriptedHostWith(t, &scriptedHost{stage: "mail", action: tc.action, pipelining: true})
			srv, recs := startTestRelay(t, Options{Upstream: h.dialer(), UpstreamName: "scripted", UpstreamCommandTimeout: time.Second})
			c := dialClient(t, srv.Addr())
			if err := c.Mail("a@example.com", nil); err != nil {
				t.Fatalf("MAIL: %v (with PIPELINING the relay answers MAIL before the smart host has seen it)", err)
			}
			for _, to := range []string{"b@example.org", "c@example.org"} {
				err := c.Rcpt(to, nil)
				if smtpCode(err) != tc.code {
					t.Fatalf("RCPT %s: %v, want %d", to, err, tc.code)
				}
				if tc.action == "5xx" && !strings.Contains(err.Error(), "refused the sender") {
					t.Fatalf("RCPT %s: %v: should say the sender was refused", to, err)
				}
			}
			if _, err := c.Data(); err == nil {
				t.Fatal("DATA accepted with no recipient")
			}
			c.Quit()
			rec := recs.next(t)
			if len(rec.Messages) != 1 || rec.Messages[0].Accepted || rec.Messages[0].Step != StepMail {
				t.Fatalf("record: %+v", rec.Messages)
			}
			if d, _ := h.counts(); d != 0 {
				t.Fatalf("delivered %d", d)
			}
		})
	}
}

// TestRelayPipelinedRsetBeforeMail: a client that abandons a transaction
// with RSET and starts another in the same session: the upstream RSET goes
// out in the same write as the next MAIL and RCPT, and no new EHLO follows
// it (Exchange does not greet again after RSET).
func TestRelayPipelinedRsetBeforeMail(t *testing.T) {
	h := startScriptedHostWith(t, &scriptedHost{stage: "none", action: "ok", pipelining: true})
	srv, recs := startTestRelay(t, Options{Upstream: h.dialer(), UpstreamName: "scripted"})
	c := dialClient(t, srv.Addr())
	if err := c.Mail("a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte("Subject: r\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	recs.next(t)
	_, batched, cmds := h.pipelineCounts()
	i := slices.Index(cmds, "RSET")
	if i < 0 || len(cmds) < i+3 || cmds[i+1] != "MAIL" || cmds[i+2] != "RCPT" || batched != 2 {
		t.Fatalf("commands %v (batched %d): want RSET, MAIL, RCPT pipelined after the first transaction", cmds, batched)
	}
	ehlos := 0
	for _, v := range cmds {
		if v == "EHLO" {
			ehlos++
		}
	}
	if ehlos != 2 {
		t.Fatalf("%d EHLO in %v, want 2 (before and after STARTTLS, none after RSET)", ehlos, cmds)
	}
	if d, _ := h.counts(); d != 1 {
		t.Fatalf("delivered %d", d)
	}
}

// TestRelayPipelinedPooledMailRetried: a parked connection whose pipelined
// MAIL is refused is replaced by a fresh dial before the client's RCPT is
// answered (the fake smart host offers PIPELINING, as go-smtp does).
func TestRelayPipelinedPooledMailRetried(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, &dials)})
	c := dialClient(t, srv.Addr())
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte("Subject: 1\r\n\r\none\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	recs.next(t)
	up := srv.pool.get()
	if up == nil || !up.Pipelines() {
		t.Fatal("no parked connection that pipelines")
	}
	srv.pool.put(up)
	f.dropAll() // the smart host dropped the idle connection
	c = dialClient(t, srv.Addr())
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte("Subject: 2\r\n\r\ntwo\r\n")); err != nil {
		t.Fatalf("second message after the parked connection was dropped: %v", err)
	}
	if dials != 2 {
		t.Fatalf("dials = %d, want 2", dials)
	}
	if got, _, _ := f.snapshot(); len(got) != 2 {
		t.Fatalf("delivered %d", len(got))
	}
}

// TestSendMailRefusedSameOutcomeWithPipelining: `send` reports a sender
// the smart host refuses the same way whether the refusal came at MAIL
// (no PIPELINING) or with the first RCPT (pipelined): not accepted, step
// mail, the same exit code, the smart host's reply kept.
func TestSendMailRefusedSameOutcomeWithPipelining(t *testing.T) {
	var results []SendResult
	for _, pipelining := range []bool{false, true} {
		h := startScriptedHostWith(t, &scriptedHost{stage: "mail", action: "5xx", pipelining: pipelining})
		msg, err := NewTestMessage(MessageOptions{From: "admin@example.com", To: []string{"ext@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		res := Send(context.Background(), SendOptions{Upstream: UpstreamConfig{Host: "127.0.0.1", Port: 1}, Dial: h.dialer(), Message: msg}, nil)
		if res.Accepted || res.Step != StepMail || !strings.HasPrefix(res.Reply, "554") || !strings.Contains(res.UpstreamReply, "554 5.7.1 scripted") {
			t.Fatalf("pipelining=%v: %+v", pipelining, res)
		}
		results = append(results, res)
	}
	if results[0].ExitCode() != results[1].ExitCode() || results[0].ExitCode() == 0 {
		t.Fatalf("exit codes %d (no PIPELINING) and %d (pipelined)", results[0].ExitCode(), results[1].ExitCode())
	}
}
