package relay

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/textproto"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relaywiz/checks"
)

// rawClient speaks SMTP to the relay by hand, so a test can stop anywhere
// in the middle of a transaction, exactly where a real client may vanish.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	tp   *textproto.Conn
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, tp: textproto.NewConn(conn)}
	c.reply()
	return c
}

// reply reads one (possibly multi-line) reply: "250 text".
func (c *rawClient) reply() string {
	c.t.Helper()
	code, msg, err := c.tp.ReadResponse(0)
	if te, ok := err.(*textproto.Error); ok {
		code, msg = te.Code, te.Msg
	} else if err != nil {
		c.t.Fatalf("reading the relay's reply: %v", err)
	}
	return strconv.Itoa(code) + " " + msg
}

// cmd sends one command line and returns the reply.
func (c *rawClient) cmd(line string) string {
	c.t.Helper()
	if err := c.tp.PrintfLine("%s", line); err != nil {
		c.t.Fatal(err)
	}
	return c.reply()
}

// expect sends a command and fails unless the reply has the given code.
func (c *rawClient) expect(line, code string) {
	c.t.Helper()
	if r := c.cmd(line); !strings.HasPrefix(r, code) {
		c.t.Fatalf("%s: got %q, want %s", line, r, code)
	}
}

func (c *rawClient) write(s string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) envelope() {
	c.t.Helper()
	c.expect("EHLO raw.test", "250")
	c.expect("MAIL FROM:<a@example.com>", "250")
	c.expect("RCPT TO:<b@example.org>", "250")
}

// relayToLab runs the relay with a lab smart host as its upstream.
func relayToLab(t *testing.T) (*Lab, *Server, *records) {
	t.Helper()
	lab := startTestLab(t, LabOptions{})
	cfg, dial := labUpstream(t, lab, lab.Password)
	srv, recs := startTestRelay(t, Options{Upstream: dial, UpstreamName: cfg.Name()})
	return lab, srv, recs
}

// halfData starts a message and sends the first part of its body only.
func halfData(t *testing.T, addr string) *rawClient {
	t.Helper()
	c := dialRaw(t, addr)
	c.envelope()
	c.expect("DATA", "354")
	c.write("Subject: half\r\n\r\nthe first half of the body\r\n")
	return c
}

// assertNothingCommitted: the lab stored nothing and the relay's record
// of the message is not "accepted".
func assertNothingCommitted(t *testing.T, lab *Lab, rec SessionRecord) {
	t.Helper()
	// Only finished messages count: the lab may still be removing the
	// temporary file of the transfer the relay broke off.
	if files, _ := filepath.Glob(filepath.Join(lab.Dir, "*.eml")); len(files) != 0 {
		t.Errorf("a truncated message was committed upstream: %v", files)
	}
	for _, m := range rec.Messages {
		if m.Accepted {
			t.Errorf("session record says accepted for a message the client never finished: %+v", m)
		}
	}
	if len(rec.Messages) != 1 {
		t.Errorf("want the aborted message in the session record, got %+v", rec.Messages)
	}
}

// A client that disconnects in the middle of DATA must not get half a
// message delivered: go-smtp's DATA reader reports io.ErrUnexpectedEOF
// then, which is not the end of the message.
func TestRelayClientDropMidDataCommitsNothing(t *testing.T) {
	lab, srv, recs := relayToLab(t)
	c := halfData(t, srv.Addr())
	c.conn.Close()

	rec := recs.next(t)
	assertNothingCommitted(t, lab, rec)
	if m := rec.Messages[0]; m.Step != StepAbandoned {
		t.Errorf("step %q, want %q (the client gave up)", m.Step, StepAbandoned)
	}
}

// The same for BDAT (what Exchange uses): a client that vanishes in the
// middle of the LAST chunk, or between chunks.
func TestRelayClientDropMidBDATCommitsNothing(t *testing.T) {
	first := "Subject: chunked\r\n\r\n"
	for _, tc := range []struct {
		name string
		rest string // sent after the first chunk was acknowledged
	}{
		{"in the last chunk", "BDAT 100 LAST\r\nonly forty of the hundred announced bytes\r\n"},
		{"in a middle chunk", "BDAT 100\r\nonly forty of the hundred announced bytes\r\n"},
		{"between chunks", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab, srv, recs := relayToLab(t)
			c := dialRaw(t, srv.Addr())
			c.envelope()
			c.write(fmt.Sprintf("BDAT %d\r\n%s", len(first), first))
			if r := c.reply(); !strings.HasPrefix(r, "250") {
				t.Fatalf("first chunk: %q", r)
			}
			if tc.rest != "" {
				c.write(tc.rest)
			}
			c.conn.Close()
			assertNothingCommitted(t, lab, recs.next(t))
		})
	}
}

// slowCloseConn delays Close, keeping the relay's Data busy with its abort
// for a moment, so the client's next commands arrive while it runs.
type slowCloseConn struct {
	net.Conn
	delay time.Duration
}

func (c *slowCloseConn) Close() error {
	time.Sleep(c.delay)
	return c.Conn.Close()
}

// slowCloseDialer is fakeDialer whose connections close slowly.
func slowCloseDialer(addr string, delay time.Duration) UpstreamDialer {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(fakePKI().CAPEM)
	var d net.Dialer
	return NewUpstreamDialer(UpstreamConfig{Host: host, Port: p, RootCAs: roots, Timeout: 10 * time.Second,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, address)
			if err != nil {
				return nil, err
			}
			return &slowCloseConn{Conn: c, delay: delay}, nil
		}})
}

var _ checks.DialContextFunc = (&net.Dialer{}).DialContext

// With BDAT, go-smtp runs Data on its own goroutine and does not wait for
// it on RSET: the client's next MAIL must still find a clean session
// (run with -race: Data and Mail touched the same state unlocked).
func TestRelayRSETDuringBDATThenMail(t *testing.T) {
	f := startFakeUpstream(t, nil)
	var mu sync.Mutex
	var finals []MessageRecord
	srv, recs := startTestRelay(t, Options{Upstream: slowCloseDialer(f.Addr, 300*time.Millisecond), UpstreamName: "fake", UpstreamIdle: -1,
		OnMessage: func(m MessageRecord) { mu.Lock(); finals = append(finals, m); mu.Unlock() }})

	c := dialRaw(t, srv.Addr())
	c.envelope()
	first := "Subject: dropped\r\n\r\n"
	c.write(fmt.Sprintf("BDAT %d\r\n%s", len(first), first))
	if r := c.reply(); !strings.HasPrefix(r, "250") {
		t.Fatalf("first chunk: %q", r)
	}
	// Pipelined, so MAIL arrives while the aborted Data is still closing
	// its upstream connection.
	c.write("RSET\r\nMAIL FROM:<c@example.com>\r\n")
	if r := c.reply(); !strings.HasPrefix(r, "250") {
		t.Fatalf("RSET: %q", r)
	}
	if r := c.reply(); !strings.HasPrefix(r, "250") {
		t.Fatalf("MAIL right after RSET during BDAT: %q, want 250", r)
	}
	c.expect("RCPT TO:<d@example.org>", "250")
	// The second message goes with DATA: a second BDAT would trip a race
	// inside go-smtp v0.25.1 itself (its BDAT goroutine reads
	// Conn.dataResult after Data returned, while the next BDAT replaces
	// it), which no Session can synchronise with.
	body := "Subject: second\r\n\r\nkept\r\n"
	c.expect("DATA", "354")
	c.write(body + ".\r\n")
	if r := c.reply(); !strings.HasPrefix(r, "250") {
		t.Fatalf("second message: %q", r)
	}
	c.expect("QUIT", "221")

	rec := recs.next(t)
	delivered, _, _ := f.snapshot()
	if len(delivered) != 1 || !strings.HasSuffix(string(delivered[0]), body) {
		t.Errorf("upstream got %q, want only the second message", delivered)
	}
	if len(rec.Messages) != 2 || rec.Messages[0].Accepted || rec.Messages[0].Step != StepAbandoned || !rec.Messages[1].Accepted {
		t.Errorf("session record %+v", rec.Messages)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(finals) != 1 || finals[0].From != "c@example.com" || !finals[0].Accepted || finals[0].Session != rec.ID {
		t.Errorf("OnMessage got %+v, want only the second, accepted message (an RSET transaction has no final reply)", finals)
	}
}

// Stopping the relay while a client is in the middle of DATA aborts the
// upstream transfer, and the session line still reports that message.
func TestRelayCloseMidDataCommitsNothing(t *testing.T) {
	lab, srv, recs := relayToLab(t)
	halfData(t, srv.Addr())
	srv.Close()
	assertNothingCommitted(t, lab, recs.next(t))
}
