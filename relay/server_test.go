package relay

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

const relayTestBody = "From: a@example.com\r\nTo: b@example.org\r\nSubject: relay test\r\n\r\nline one\r\n.line with a leading dot\r\n..two dots\r\nlast\r\n"

func TestRelayForwardsThroughChecksDialToLab(t *testing.T) {
	lab := startTestLab(t, LabOptions{})
	cfg, dial := labUpstream(t, lab, lab.Password)
	var log bytes.Buffer
	var logMu sync.Mutex
	srv, recs := startTestRelay(t, Options{Upstream: dial, UpstreamName: cfg.Name(), Log: &syncWriter{w: &log, mu: &logMu}})

	c := dialClient(t, srv.Addr())
	reply, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody))
	if err != nil {
		t.Fatalf("relay refused a message the lab accepts: %v", err)
	}
	c.Quit()
	rec := recs.next(t)

	files := emlFiles(t, lab.Dir)
	if len(files) != 1 {
		t.Fatalf("lab holds %d messages, want 1", len(files))
	}
	eml, _ := os.ReadFile(files[0])
	trace, msg := splitTrace(t, eml)
	if !strings.Contains(trace, "Received: from client.test ([127.0.0.1])\r\n\tby relaywiz.localhost (relaywiz relay) with ESMTP id ") {
		t.Errorf("the relay added no Received line of its own:\n%s", trace)
	}
	if string(msg) != relayTestBody {
		t.Errorf("message changed on the way:\n got %q\nwant %q", msg, relayTestBody)
	}
	if len(rec.Messages) != 1 || !rec.Messages[0].Accepted {
		t.Fatalf("session record = %+v", rec)
	}
	m := rec.Messages[0]
	if m.QueueID == "" || !strings.Contains(reply, "queued as "+m.QueueID) || !strings.Contains(files[0], m.QueueID) {
		t.Errorf("queue id %q not passed through: reply %q, file %s", m.QueueID, reply, files[0])
	}
	if m.Size != int64(len(relayTestBody)) || m.ExitCode() != 0 {
		t.Errorf("record size %d exit %d", m.Size, m.ExitCode())
	}
	logMu.Lock()
	line := log.String()
	logMu.Unlock()
	for _, want := range []string{"from=<a@example.com>", "to=<b@example.org>", "result=accepted", "queue_id=" + m.QueueID, "size=" + itoa(len(relayTestBody)), "time="} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	if strings.Count(line, "\n") != 1 {
		t.Errorf("want exactly one log line per session, got %q", line)
	}
}

func TestRelayWrongUpstreamPasswordRefusedAtMail(t *testing.T) {
	lab := startTestLab(t, LabOptions{})
	cfg, dial := labUpstream(t, lab, "not-the-password")
	srv, recs := startTestRelay(t, Options{Upstream: dial, UpstreamName: cfg.Name()})
	c := dialClient(t, srv.Addr())
	err := c.Mail("a@example.com", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("MAIL FROM with a bad upstream password: want an SMTP refusal, got %v", err)
	}
	if se.Code/100 != 4 || !strings.Contains(se.Message, "authentication") || !strings.Contains(se.Message, cfg.Name()) || !strings.Contains(se.Message, "535") {
		t.Errorf("reply should be 4xx naming the upstream and its authentication failure, got %d %v %q", se.Code, se.EnhancedCode, se.Message)
	}
	c.Quit()
	rec := recs.next(t)
	if len(rec.Messages) != 1 || rec.Messages[0].UpstreamStage != checks.StageAuth || rec.Messages[0].ExitCode() != 28 {
		t.Errorf("record = %+v", rec.Messages)
	}
	if n := len(emlFiles(t, lab.Dir)); n != 0 {
		t.Errorf("%d messages delivered despite the refusal", n)
	}
}

func TestRelayUntrustedUpstreamRefusedAtMail(t *testing.T) {
	lab := startTestLab(t, LabOptions{})
	cfg, _ := labUpstream(t, lab, lab.Password)
	cfg.CAFile = "" // the lab's CA is not in the system roots
	srv, recs := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})
	c := dialClient(t, srv.Addr())
	err := c.Mail("a@example.com", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 7, 5}) || !strings.Contains(se.Message, "TLS") {
		t.Fatalf("want 451 4.7.5 naming TLS, got %v", err)
	}
	c.Quit()
	if m := recs.next(t).Messages; len(m) != 1 || m[0].ExitCode() != 29 {
		t.Errorf("record = %+v", m)
	}
}

func TestRelayUpstreamDownIs4xx(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // nothing listens there now
	cfg := UpstreamConfig{Host: "127.0.0.1", Port: addr.Port, User: "u", Password: []byte("p")}
	srv, recs := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})
	c := dialClient(t, srv.Addr())
	err = c.Mail("a@example.com", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code/100 != 4 || !strings.Contains(se.Message, "unreachable") {
		t.Fatalf("upstream down: want 4xx naming it unreachable, got %v", err)
	}
	c.Quit()
	if m := recs.next(t).Messages; len(m) != 1 || m[0].UpstreamStage != checks.StageConnect || m[0].ExitCode() != 2 {
		t.Errorf("record = %+v", m)
	}
}

func TestRelaySizeOverLimitRefusedAtMailWithoutDialing(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	srv, _ := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, &dials), MaxMessageBytes: 1000})
	c := dialClient(t, srv.Addr())
	if ok, v := c.Extension("SIZE"); !ok || v != "1000" {
		t.Errorf("SIZE advertised as %v %q", ok, v)
	}
	err := c.Mail("a@example.com", &smtp.MailOptions{Size: 5000})
	if smtpCode(err) != 552 {
		t.Fatalf("SIZE=5000 over a 1000 limit: want 552, got %v", err)
	}
	if dials != 0 {
		t.Errorf("upstream dialled %d times for a message refused by size", dials)
	}
}

func TestRelayOversizeBodyAbortsUpstream(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), MaxMessageBytes: 1000})
	c := dialClient(t, srv.Addr())
	body := bytes.Repeat([]byte("0123456789012345678901234567890123456789\r\n"), 200)
	_, err := sendVia(c, "a@example.com", []string{"b@example.org"}, body)
	if smtpCode(err) != 552 {
		t.Fatalf("oversize body: want 552, got %v", err)
	}
	c.Quit()
	rec := recs.next(t)
	delivered, _, _ := f.snapshot()
	if len(delivered) != 0 {
		t.Errorf("a truncated message was committed upstream: %q", delivered[0][:40])
	}
	if len(rec.Messages) != 1 || rec.Messages[0].Accepted || rec.Messages[0].Step != StepData {
		t.Errorf("record = %+v", rec.Messages)
	}
}

func TestRelayPassesUpstreamRepliesUnchanged(t *testing.T) {
	userUnknown := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<nobody@example.org>: Recipient address rejected: User unknown"}
	f := startFakeUpstream(t, func(f *fakeUpstream) {
		f.rcptErr["nobody@example.org"] = userUnknown
		f.dataErr = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected by policy"}
	})
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), UpstreamName: "fake"})
	c := dialClient(t, srv.Addr())
	if err := c.Mail("a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	err := c.Rcpt("nobody@example.org", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != userUnknown.EnhancedCode || se.Message != userUnknown.Message {
		t.Fatalf("RCPT refusal changed on the way: %v", err)
	}
	if err := c.Rcpt("b@example.org", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(relayTestBody))
	err = w.Close()
	if !errors.As(err, &se) || se.Code != 554 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) || se.Message != "Message rejected by policy" {
		t.Fatalf("end-of-data refusal changed on the way: %v", err)
	}
	c.Quit()
	m := recs.next(t).Messages
	if len(m) != 1 || m[0].Step != StepDot || m[0].ExitCode() != ExitDotRefused || len(m[0].Refused) != 1 {
		t.Errorf("record = %+v", m)
	}
}

func TestRelayUpstreamDropMidDataIsNot250(t *testing.T) {
	f := startFakeUpstream(t, func(f *fakeUpstream) { f.dropAfter = 20 })
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), UpstreamName: "fake"})
	c := dialClient(t, srv.Addr())
	// About 4 MB: more than the socket buffers hold once the fake stops
	// reading, so the drop is always noticed before the final "." leaves.
	// (Noticed only after it, the reply is a 451 too, but must say the
	// message may have been delivered.)
	body := bytes.Repeat([]byte("a fairly long line of body text for the test\r\n"), 90000)
	_, err := sendVia(c, "a@example.com", []string{"b@example.org"}, body)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || !strings.Contains(se.Message, "lost") {
		t.Fatalf("upstream dropped mid-DATA: want 451 saying the connection was lost, got %v", err)
	}
	c.Quit()
	if m := recs.next(t).Messages; len(m) != 1 || m[0].Accepted {
		t.Errorf("record = %+v", m)
	}
	if d, _, _ := f.snapshot(); len(d) != 0 {
		t.Error("message committed upstream")
	}
}

func TestRelayReusesUpstreamForSecondMessage(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, &dials)})
	c := dialClient(t, srv.Addr())
	for i := 0; i < 2; i++ {
		if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody)); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	c.Quit()
	rec := recs.next(t)
	delivered, _, sessions := f.snapshot()
	if len(delivered) != 2 || dials != 1 || sessions != 1 {
		t.Errorf("delivered %d, dials %d, upstream sessions %d; want 2, 1, 1", len(delivered), dials, sessions)
	}
	if len(rec.Messages) != 2 || !strings.Contains(rec.textLine(), "messages=2") {
		t.Errorf("record: %s", rec.textLine())
	}
}

func TestRelayPoolsUpstreamAcrossClientSessions(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, &dials)})
	send := func() {
		t.Helper()
		c := dialClient(t, srv.Addr())
		if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody)); err != nil {
			t.Fatal(err)
		}
		c.Quit()
		recs.next(t)
	}
	send()
	send()
	if delivered, _, _ := f.snapshot(); len(delivered) != 2 || dials != 1 {
		t.Fatalf("two client sessions: delivered %d with %d dials, want 2 with 1 (pooled)", len(delivered), dials)
	}
	// The smart host drops the idle connection: the next message must not
	// notice, the relay dials again.
	f.dropAll()
	send()
	if delivered, _, _ := f.snapshot(); len(delivered) != 3 || dials != 2 {
		t.Fatalf("after the upstream dropped the pooled connection: delivered %d with %d dials, want 3 with 2", len(delivered), dials)
	}
}

func TestRelayWithoutPoolDialsPerSession(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, &dials), UpstreamIdle: -1})
	for i := 0; i < 2; i++ {
		c := dialClient(t, srv.Addr())
		if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody)); err != nil {
			t.Fatal(err)
		}
		c.Quit()
		recs.next(t)
	}
	if dials != 2 {
		t.Errorf("dials = %d, want 2 with pooling off", dials)
	}
}

func TestRelayValidatesAddresses(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, _ := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil)})
	c := dialClient(t, srv.Addr())
	if err := c.Mail("a@bad..example", nil); smtpCode(err) != 553 {
		t.Errorf("bad sender: want 553, got %v", err)
	}
	if err := c.Mail("a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@bad..domain", nil); smtpCode(err) != 553 {
		t.Errorf("bad recipient: want 553, got %v", err)
	}
	if err := c.Mail("again@example.com", nil); smtpCode(err) != 503 {
		t.Errorf("nested MAIL: want 503, got %v", err)
	}
}

func TestRelayRefusesNonLoopbackWithoutAllowRemote(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:2525", ":2525", "192.0.2.1:2525", "[::]:2525"} {
		_, err := Start(t.Context(), Options{Listen: addr, Upstream: fakeDialer("127.0.0.1:1", nil)})
		if !errors.Is(err, ErrNotLoopback) || !strings.Contains(err.Error(), "--allow-remote") {
			t.Errorf("Listen %s: want ErrNotLoopback mentioning --allow-remote, got %v", addr, err)
		}
	}
	_, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", AllowRemote: true, Upstream: fakeDialer("127.0.0.1:1", nil)})
	if err == nil || !strings.Contains(err.Error(), "client credentials") {
		t.Errorf("--allow-remote without client credentials: got %v", err)
	}
}

func TestRelayAllowRemoteRequiresClientAuth(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	srv, _ := startTestRelay(t, Options{AllowRemote: true, ClientUser: "exchange", ClientPassword: "s3cret-pw", Upstream: fakeDialer(f.Addr, &dials)})

	c := dialClient(t, srv.Addr())
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered without TLS")
	}
	if err := c.Mail("a@example.com", nil); smtpCode(err) != 530 {
		t.Errorf("unauthenticated MAIL: want 530, got %v", err)
	}
	if dials != 0 {
		t.Error("upstream dialled for an unauthenticated client")
	}

	tc, err := smtp.DialStartTLS(srv.Addr(), insecureTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.Mail("a@example.com", nil); smtpCode(err) != 530 {
		t.Errorf("MAIL over TLS without AUTH: want 530, got %v", err)
	}
	if err := tc.Auth(saslLogin("exchange", "wrong")); smtpCode(err) != 535 {
		t.Errorf("wrong client password: want 535, got %v", err)
	}
	tc2, err := smtp.DialStartTLS(srv.Addr(), insecureTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer tc2.Close()
	if err := tc2.Auth(saslLogin("exchange", "s3cret-pw")); err != nil {
		t.Fatalf("AUTH LOGIN with the right password: %v", err)
	}
	if _, err := sendVia(tc2, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody)); err != nil {
		t.Fatalf("authenticated client refused: %v", err)
	}
}

func TestRelaySessionCap(t *testing.T) {
	f := startFakeUpstream(t, nil)
	srv, _ := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), MaxSessions: 1})
	dialClient(t, srv.Addr()) // holds the only slot
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("second.test"); smtpCode(err) != 421 {
		t.Errorf("second session over the cap: want 421, got %v", err)
	}
}

func TestRelayTranscriptRedactsAuthAndBody(t *testing.T) {
	lab := startTestLab(t, LabOptions{Password: "upstream-secret-pw"})
	cfg, dial := labUpstream(t, lab, lab.Password)
	var tr bytes.Buffer
	var mu sync.Mutex
	srv, recs := startTestRelay(t, Options{Upstream: dial, UpstreamName: cfg.Name(), Transcript: &syncWriter{w: &tr, mu: &mu}})
	c := dialClient(t, srv.Addr())
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody)); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	recs.next(t)
	mu.Lock()
	out := tr.String()
	mu.Unlock()
	for _, secret := range []string{"upstream-secret-pw", base64.StdEncoding.EncodeToString([]byte("upstream-secret-pw")), base64.StdEncoding.EncodeToString([]byte("\x00" + lab.User + "\x00upstream-secret-pw")), "line with a leading dot"} {
		if strings.Contains(out, secret) {
			t.Errorf("transcript shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"client] -> MAIL FROM:<a@example.com>", "client] <- 250 ", "upstream] ", "~> AUTH LOGIN\n", "~> <redacted>", "~> BDAT ", "upstream] [", "bytes of message content not shown)"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
}

func TestRelayJSONLog(t *testing.T) {
	f := startFakeUpstream(t, nil)
	var log bytes.Buffer
	var mu sync.Mutex
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), UpstreamName: "fake:25", Log: &syncWriter{w: &log, mu: &mu}, JSONLog: true})
	c := dialClient(t, srv.Addr())
	if _, err := sendVia(c, "a@example.com", []string{"b@example.org"}, []byte(relayTestBody)); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	recs.next(t)
	mu.Lock()
	line := strings.TrimSpace(log.String())
	mu.Unlock()
	var got struct {
		Client   string `json:"client"`
		Upstream string `json:"upstream"`
		Messages []struct {
			From     string   `json:"from"`
			To       []string `json:"to"`
			Size     int64    `json:"size"`
			Accepted bool     `json:"accepted"`
			QueueID  string   `json:"queue_id"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, line)
	}
	if got.Upstream != "fake:25" || len(got.Messages) != 1 || !got.Messages[0].Accepted || got.Messages[0].QueueID != "FAKE123" || got.Messages[0].Size != int64(len(relayTestBody)) {
		t.Errorf("JSON log = %s", line)
	}
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func itoa(n int) string { return strconv.Itoa(n) }

// insecureTLS trusts the relay's throwaway certificate; the test checks
// authentication, not the certificate.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

func saslLogin(u, p string) sasl.Client { return sasl.NewLoginClient(u, p) }

// bdat speaks CHUNKING by hand (go-smtp's client has no BDAT; Exchange
// uses it whenever it is offered).
func bdat(t *testing.T, addr string, chunks []string) (replies []string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tp := textproto.NewConn(conn)
	read := func() string {
		code, msg, err := tp.ReadResponse(0)
		if te, ok := err.(*textproto.Error); ok {
			code, msg = te.Code, te.Msg
		} else if err != nil {
			t.Fatal(err)
		}
		return strconv.Itoa(code) + " " + msg
	}
	read()
	for _, cmd := range []string{"EHLO bdat.test", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>"} {
		tp.PrintfLine("%s", cmd)
		read()
	}
	for i, c := range chunks {
		last := ""
		if i == len(chunks)-1 {
			last = " LAST"
		}
		fmt.Fprintf(conn, "BDAT %d%s\r\n%s", len(c), last, c)
		replies = append(replies, read())
	}
	tp.PrintfLine("QUIT")
	return replies
}

func TestRelayBDAT(t *testing.T) {
	f := startFakeUpstream(t, nil)
	var tr bytes.Buffer
	var mu sync.Mutex
	srv, recs := startTestRelay(t, Options{Upstream: fakeDialer(f.Addr, nil), MaxMessageBytes: 300, Transcript: &syncWriter{w: &tr, mu: &mu}})
	body := "Subject: chunked\r\n\r\n.a line with a dot\r\n"
	replies := bdat(t, srv.Addr(), []string{body[:10], body[10:]})
	if !strings.HasPrefix(replies[len(replies)-1], "250") || !strings.Contains(replies[len(replies)-1], "FAKE123") {
		t.Fatalf("BDAT replies %q", replies)
	}
	recs.next(t)
	delivered, _, _ := f.snapshot()
	if len(delivered) != 1 || !strings.HasSuffix(string(delivered[0]), body) {
		t.Fatalf("delivered %q", delivered)
	}
	// The client's chunks are summarised in the transcript, never shown.
	mu.Lock()
	out := tr.String()
	mu.Unlock()
	if strings.Contains(out, "chunked") || strings.Contains(out, "a line with a dot") || !strings.Contains(out, "client] -> BDAT 10\n") ||
		!strings.Contains(out, "client] -> (10 bytes of message content not shown)") || !strings.Contains(out, "client] -> BDAT 30 LAST\n") {
		t.Errorf("transcript of a chunked message:\n%s", out)
	}

	// Over the limit in the second chunk: 552, nothing committed upstream.
	replies = bdat(t, srv.Addr(), []string{strings.Repeat("x", 200) + "\r\n", strings.Repeat("y", 200) + "\r\n", "end\r\n"})
	if !strings.HasPrefix(replies[1], "552") {
		t.Fatalf("oversize BDAT replies %q", replies)
	}
	recs.next(t)
	if d, _, _ := f.snapshot(); len(d) != 1 {
		t.Errorf("an oversize chunked message was committed upstream")
	}
}
