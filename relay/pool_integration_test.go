package relay

import (
	"testing"
	"time"

	"relaywiz/testpeers"
)

// TestIntegrationPooledUpstreamLeftCleanAfterAbandonedTransaction: clients
// that give up mid-transaction (MAIL, RCPT, QUIT; MAIL, QUIT) must not leave
// the pooled Postfix connection with that transaction open. Before the
// fix every later message got "503 5.5.1 Error: nested MAIL command"
// from Postfix until the pool idled out.
func TestIntegrationPooledUpstreamLeftCleanAfterAbandonedTransaction(t *testing.T) {
	m := testpeers.RequireMTA(t)
	cfg := mtaUpstream(m, m.Password)
	srv, recs := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name(), UpstreamPool: 1})
	local := uniqueLocal("pool")
	rcpt := local + "@" + m.SinkDomain

	abandon := [][]string{
		{"MAIL FROM:<a@example.com>", "RCPT TO:<" + rcpt + ">"},
		{"MAIL FROM:<a@example.com>"},
	}
	for i, cmds := range abandon {
		c := dialRaw(t, srv.Addr())
		c.expect("EHLO abandon.test", "250")
		for _, cmd := range cmds {
			c.expect(cmd, "250")
		}
		c.expect("QUIT", "221")
		recs.next(t)

		marker := uniqueLocal("after-abandon")
		cl := dialClient(t, srv.Addr())
		if _, err := sendVia(cl, "a@example.com", []string{rcpt}, testMessage(local, m.SinkDomain, marker)); err != nil {
			t.Fatalf("case %d: the message after an abandoned transaction was refused: %v", i, err)
		}
		cl.Quit()
		recs.next(t)
		waitDelivered(t, m, local, marker)
	}
}

// TestIntegrationIdleClientsCannotLockOutPostfix: the load case against
// the real smart host. Twenty clients that connect and idle take every
// default session slot; a real client retrying its 421 gets its message
// to Postfix within seconds (the stress idle deadline), not after the
// read timeout.
func TestIntegrationIdleClientsCannotLockOutPostfix(t *testing.T) {
	m := testpeers.RequireMTA(t)
	cfg := mtaUpstream(m, m.Password)
	srv, _ := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name(), StressIdleTimeout: 2 * time.Second})
	holdIdle(t, srv.Addr(), DefaultMaxSessions)
	local, marker := uniqueLocal("load"), uniqueLocal("msg")
	start := time.Now()
	if err := sendRetrying(srv.Addr(), local+"@"+m.SinkDomain, testMessage(local, m.SinkDomain, marker), 8*time.Second); err != nil {
		t.Fatalf("locked out by idle clients: %v", err)
	}
	t.Logf("served after %s", time.Since(start).Round(time.Millisecond))
	waitDelivered(t, m, local, marker)
}
