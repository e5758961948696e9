package relay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestRelayIdleClientsCannotLockOut: clients that connect and wait fill
// every session slot. Under stress the relay gives idle sessions the short
// deadline, so a real client retrying its 421 is served within seconds,
// not after the read timeout.
func TestRelayIdleClientsCannotLockOut(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, _ := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), MaxSessions: 8, StressIdleTimeout: time.Second})
	idle := holdIdle(t, srv.Addr(), 8)
	start := time.Now()
	if err := sendRetrying(srv.Addr(), "b@example.org", []byte(relayTestBody), 5*time.Second); err != nil {
		t.Fatalf("a real client was locked out by idle ones: %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("served after %s", took)
	}
	for i, c := range idle {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if !strings.HasPrefix(line, "421") {
			t.Errorf("idle client %d: got %q, want the relay's 421 idle timeout", i, line)
		}
	}
}

// holdIdle opens n connections that read the greeting, say EHLO and then
// do nothing.
func holdIdle(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var conns []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		r := bufio.NewReader(c)
		if l, _ := r.ReadString('\n'); !strings.HasPrefix(l, "220") {
			t.Fatalf("idle client %d greeted with %q", i, l)
		}
		io.WriteString(c, "EHLO idle.test\r\n")
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(l, "250 ") {
				break
			}
		}
		conns = append(conns, c)
	}
	return conns
}

// sendRetrying submits one message, retrying 4xx at connect and MAIL like
// an MTA does (here every 200 ms), until within.
func sendRetrying(addr, rcpt string, body []byte, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		c, err := smtp.Dial(addr)
		if err == nil {
			err = c.Hello("real.test")
			if err == nil {
				_, err = sendVia(c, "a@example.com", []string{rcpt}, body)
			}
			if err == nil {
				c.Quit()
				return nil
			}
			c.Close()
		}
		if code := smtpCode(err); code >= 500 {
			return err
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	return last
}

// TestRelayTricklingNOOPIsDropped: a client that keeps the session alive
// with NOOPs sent a byte at a time completes every line in time, which
// used to keep it forever; the idle stretch between transactions counts
// as a whole.
func TestRelayTricklingNOOPIsDropped(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, _ := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), ReadTimeout: 1500 * time.Millisecond})
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	var got strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			n, err := c.Read(buf)
			mu.Lock()
			got.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	start := time.Now()
	for time.Since(start) < 8*time.Second {
		select {
		case <-done:
			mu.Lock()
			out := got.String()
			mu.Unlock()
			if !strings.Contains(out, "421") {
				t.Fatalf("dropped without the 421: %q", out)
			}
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("dropped only after %s", took)
			}
			return
		default:
		}
		for _, b := range []byte("NOOP\r\n") {
			c.Write([]byte{b})
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatal("a client trickling NOOPs was never dropped")
}

// TestRelaySlowButMovingUploadIsNotCut: message content is read with a
// deadline that moves with each read, so an upload that takes longer than
// the read timeout but never stalls goes through.
func TestRelaySlowButMovingUploadIsNotCut(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, _ := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), ReadTimeout: time.Second})
	c := dialRaw(t, srv.Addr())
	c.envelope()
	c.expect("DATA", "354")
	c.write("Subject: slow\r\n\r\n")
	for i := 0; i < 12; i++ { // 2.4 s in all, a line every 200 ms
		c.write("a slow line\r\n")
		time.Sleep(200 * time.Millisecond)
	}
	if r := c.cmd("."); !strings.HasPrefix(r, "250") {
		t.Fatalf("slow upload: %q", r)
	}
}

// TestRelayRemoteAuthFailuresThrottledAndLogged: in remote mode each
// failed AUTH waits longer, the third closes the connection, and each is
// logged with the client's address.
func TestRelayRemoteAuthFailuresThrottledAndLogged(t *testing.T) {
	f := startFakeUpstream(t, nil)
	var log bytes.Buffer
	var mu sync.Mutex
	srv, _ := startTestRelay(t, Options{AllowRemote: true, ClientUser: "exchange", ClientPassword: "s3cret-pw", Upstream: fakeDialer(f.Addr, nil),
		AuthFailureDelay: 150 * time.Millisecond, Log: &syncWriter{w: &log, mu: &mu}})
	tc, err := smtp.DialStartTLS(srv.Addr(), insecureTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	var took []time.Duration
	var codes []int
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		err := tc.Auth(saslLogin("exchange", "guess"))
		took = append(took, time.Since(t0))
		codes = append(codes, smtpCode(err))
	}
	if codes[0] != 535 || codes[1] != 535 || codes[2] != 421 {
		t.Fatalf("replies %v, want 535 535 421", codes)
	}
	for i, d := range took {
		if want := time.Duration(i+1) * 150 * time.Millisecond; d < want {
			t.Errorf("failure %d answered after %s, want at least %s", i+1, d, want)
		}
	}
	if err := tc.Noop(); err == nil {
		t.Error("the connection is still open after the third failure")
	}
	mu.Lock()
	out := log.String()
	mu.Unlock()
	if n := strings.Count(out, "auth failed client=127.0.0.1:"); n != 3 || strings.Contains(out, "guess") || !strings.Contains(out, "closing connection") {
		t.Fatalf("log:\n%s", out)
	}
}

// TestRelayLongBodyLineIsNamed: a body line over 1000 bytes gets a reply
// that says so (5.6.0) and is recorded as a refused message, not as one
// the client abandoned.
func TestRelayLongBodyLineIsNamed(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil)})
	c := dialRaw(t, srv.Addr())
	c.envelope()
	c.expect("DATA", "354")
	c.write("Subject: long\r\n\r\n" + strings.Repeat("x", 1500) + "\r\n")
	r := c.cmd(".")
	if !strings.HasPrefix(r, "554") || !strings.Contains(r, "line longer than 1000 bytes") {
		t.Fatalf("reply %q", r)
	}
	c.conn.Close()
	rec := recs.next(t)
	if len(rec.Messages) != 1 || rec.Messages[0].Step != StepData || !strings.Contains(rec.Messages[0].Reply, "line longer") {
		t.Fatalf("record %+v", rec.Messages)
	}
	if d, _, _ := f.snapshot(); len(d) != 0 {
		t.Errorf("delivered %d", len(d))
	}
}

// The client leg of --verbose shows an endless line cut short, with its
// length, and escaped.
func TestRelayTranscriptLongClientLineTruncated(t *testing.T) {
	var out bytes.Buffer
	tr := &connTranscript{sink: &lineSink{w: &out}, prefix: "[#1 client] "}
	tr.clientBytes([]byte("EHLO \x1b]0;x\x07"))
	chunk := bytes.Repeat([]byte("y"), 4096)
	for i := 0; i < 1024; i++ {
		tr.clientBytes(chunk)
	}
	tr.clientBytes([]byte("\r\n"))
	got := out.String()
	if len(got) > 400 || !strings.Contains(got, "(line of 4194317 bytes, truncated)") || strings.ContainsAny(got, "\x1b\x07") {
		t.Fatalf("%d bytes: %.300q", len(got), got)
	}
}

// Under stress only the idle stretch between transactions is cut short: a
// client inside a transaction keeps the full per-command deadline.
func TestRelayStressSparesTransactionsInProgress(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, _ := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), MaxSessions: 4, StressIdleTimeout: 500 * time.Millisecond})
	c := dialRaw(t, srv.Addr())
	c.expect("EHLO busy.test", "250")
	c.expect("MAIL FROM:<a@example.com>", "250")
	holdIdle(t, srv.Addr(), 3) // now at the cap: stressed
	time.Sleep(1200 * time.Millisecond)
	c.expect("RCPT TO:<b@example.org>", "250")
	c.expect("DATA", "354")
	if r := c.cmd("Subject: x\r\n\r\nbody\r\n."); !strings.HasPrefix(r, "250") {
		t.Fatalf("a transaction in progress was cut off under stress: %q", r)
	}
}

// The session log shows a hostile HELO escaped, on one line.
func TestRelaySessionLogEscapesClientText(t *testing.T) {
	r := SessionRecord{ID: 1, Client: "127.0.0.1:1", HELO: "evil\x1b]0;x\x07\ninjected line", Messages: []MessageRecord{{From: "a\x1b[2J@example.com", To: []string{"b@example.org"}}}}
	line := r.textLine()
	if strings.ContainsAny(line, "\x1b\x07\n") || !strings.Contains(line, `helo=evil\x1b]0;x\x07\ninjected`) {
		t.Fatalf("%q", line)
	}
}

func TestRelayAuthFailureJSONLogLine(t *testing.T) {
	var out bytes.Buffer
	s := &Server{opts: Options{Log: &out, JSONLog: true}}
	s.logAuthFailure("192.0.2.7:50123", "exchange\x1b", 3, true)
	var ev struct {
		Event, Client, User string
		Failures            int
		Closed              bool
	}
	if err := json.Unmarshal(out.Bytes(), &ev); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	if ev.Event != "auth_failed" || ev.Client != "192.0.2.7:50123" || ev.User != "exchange\x1b" || ev.Failures != 3 || !ev.Closed {
		t.Fatalf("%+v", ev)
	}
}
