package relay

// Integration tests with real peers: swaks as the client, the real Postfix
// (STARTTLS + Dovecot SASL on port 587) as the smart host, its Maildir as
// the proof of delivery. They skip without peers and fail under CI=true.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
	"relaywiz/testpeers"
)

func mtaUpstream(m testpeers.MTA, password string) UpstreamConfig {
	return UpstreamConfig{Host: m.Host, Port: m.Port587, CAFile: m.CAFile, User: m.User, Password: []byte(password), Timeout: 15 * time.Second}
}

// uniqueLocal is a fresh mailbox in the sink domain, so tests never see
// each other's (or an earlier run's) mail.
func uniqueLocal(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// waitDelivered polls the Maildir of local until a message containing
// marker arrives.
func waitDelivered(t *testing.T, m testpeers.MTA, local, marker string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(m.MaildirFor(local), "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && bytes.Contains(b, []byte(marker)) {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no message with %q delivered to %s within 30s", marker, m.MaildirFor(local))
	return nil
}

// assertNotDelivered proves absence without guessing a delay: a sentinel
// message sent afterwards through the same MTA must arrive first.
func assertNotDelivered(t *testing.T, m testpeers.MTA, local, marker string) {
	t.Helper()
	sentinel := "sentinel-" + uniqueLocal("m")
	c, err := smtp.DialStartTLS(m.Addr587(), tlsForMTA(t, m))
	if err != nil {
		t.Fatalf("sentinel: %v", err)
	}
	defer c.Close()
	if err := c.Auth(saslLogin(m.User, m.Password)); err != nil {
		t.Fatalf("sentinel AUTH: %v", err)
	}
	if _, err := sendVia(c, "sentinel@example.com", []string{local + "@" + m.SinkDomain}, []byte("Subject: "+sentinel+"\r\n\r\n"+sentinel+"\r\n")); err != nil {
		t.Fatalf("sentinel: %v", err)
	}
	waitDelivered(t, m, local, sentinel)
	files, _ := filepath.Glob(filepath.Join(m.MaildirFor(local), "*"))
	for _, f := range files {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(marker)) {
			t.Fatalf("message %q was delivered but must not have been: %s", marker, f)
		}
	}
}

func tlsForMTA(t *testing.T, m testpeers.MTA) *tls.Config {
	return &tls.Config{RootCAs: caPool(t, m.CAFile), ServerName: m.ServerName}
}

// testMessage is a message with a unique marker, CRLF line ends, a line
// starting with a dot (dot-stuffing both ways) and a long header.
func testMessage(local, sink, marker string) []byte {
	return []byte(strings.Join([]string{
		"From: Relay Test <a@example.com>",
		"To: <" + local + "@" + sink + ">",
		"Subject: relaywiz integration " + marker,
		"Message-ID: <" + marker + "@example.com>",
		"Date: Mon, 02 Mar 2026 10:00:00 +0100",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=us-ascii",
		"X-Long: " + strings.Repeat("abcdefghij", 20),
		"",
		"First line.",
		".A line that starts with a dot.",
		"..Two dots.",
		"",
		"Last line " + marker,
		"",
	}, "\r\n"))
}

// stripReceived removes the leading Received headers (with their folded
// lines) and returns them and the rest.
func stripReceived(msg []byte) (received []string, rest []byte) {
	lines := strings.SplitAfter(string(msg), "\n")
	i := 0
	for i < len(lines) {
		if strings.HasPrefix(lines[i], "Received:") {
			received = append(received, lines[i])
		} else if (strings.HasPrefix(lines[i], " ") || strings.HasPrefix(lines[i], "\t")) && len(received) > 0 {
			received[len(received)-1] += lines[i]
		} else {
			break
		}
		i++
	}
	return received, []byte(strings.Join(lines[i:], ""))
}

func crlfToLF(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }

func runSwaks(t *testing.T, args ...string) (string, int) {
	t.Helper()
	swaks := testpeers.RequireTool(t, "swaks")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, swaks, append([]string{"--timeout", "60"}, args...)...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("swaks: %v", err)
	}
	return string(out), code
}

// swaksRefusalAt finds a refusal in swaks output: "<** " in plaintext,
// "<~* " inside TLS; -1 if absent.
func swaksRefusalAt(out, reply string) int {
	for _, p := range []string{"<** ", "<~* "} {
		if i := strings.Index(out, p+reply); i >= 0 {
			return i
		}
	}
	return -1
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIntegrationSwaksThroughRelayToPostfix(t *testing.T) {
	m := testpeers.RequireMTA(t)
	testpeers.RequireTool(t, "swaks")
	cfg := mtaUpstream(m, m.Password)
	srv, recs := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})

	local, marker := uniqueLocal("relay"), uniqueLocal("msg")
	msg := testMessage(local, m.SinkDomain, marker)
	// swaks ends DATA with its own CRLF, so the file leaves out the last one:
	// what travels is then exactly msg.
	out, code := runSwaks(t, "--server", srv.Addr(), "--helo", "swaks.test", "--from", "a@example.com", "--to", local+"@"+m.SinkDomain, "--data", "@"+writeTemp(t, bytes.TrimSuffix(msg, []byte("\r\n"))))
	if code != 0 {
		t.Fatalf("swaks exit %d:\n%s", code, out)
	}
	rec := recs.next(t)
	if len(rec.Messages) != 1 || !rec.Messages[0].Accepted || rec.Messages[0].QueueID == "" {
		t.Fatalf("record: %+v", rec)
	}
	// swaks shows the smart host's own reply with Postfix's queue id (to
	// the Exchange dialect's BDAT Postfix says "Ok: N bytes queued as ID").
	if !regexp.MustCompile(`<[~-]  250 2\.0\.0 Ok: (\d+ bytes )?queued as ` + rec.Messages[0].QueueID).MatchString(out) {
		t.Errorf("swaks did not see the upstream queue id %s:\n%s", rec.Messages[0].QueueID, out)
	}

	got := waitDelivered(t, m, local, marker)
	received, rest := stripReceived(got)
	if !bytes.Equal(rest, crlfToLF(msg)) {
		t.Errorf("delivered message differs from what swaks sent (after the Received lines; Maildir stores LF):\n got %q\nwant %q", rest, crlfToLF(msg))
	}
	if len(received) != 2 || !strings.Contains(received[0], "by "+m.ServerName) || !strings.Contains(received[0], "with ESMTPSA id "+rec.Messages[0].QueueID) || !strings.Contains(received[1], "(relaywiz relay) with ESMTP") || !strings.Contains(received[1], "from swaks.test") {
		t.Errorf("want Postfix's Received line (ESMTPSA, queue id) on top of relaywiz's, got:\n%s", strings.Join(received, ""))
	}
}

func TestIntegrationWrongUpstreamPasswordRefusedAtMailFrom(t *testing.T) {
	m := testpeers.RequireMTA(t)
	testpeers.RequireTool(t, "swaks")
	cfg := mtaUpstream(m, m.Password+"-wrong")
	srv, recs := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})
	local, marker := uniqueLocal("wrongpw"), uniqueLocal("msg")
	out, code := runSwaks(t, "--server", srv.Addr(), "--from", "a@example.com", "--to", local+"@"+m.SinkDomain, "--data", "@"+writeTemp(t, testMessage(local, m.SinkDomain, marker)))
	if code == 0 {
		t.Fatalf("swaks succeeded with a wrong upstream password:\n%s", out)
	}
	// The refusal comes right after MAIL FROM, before RCPT/DATA, and says
	// what went wrong upstream.
	mailAt := strings.Index(out, "MAIL FROM:<a@example.com>")
	refusal := swaksRefusalAt(out, "451 4.7.8")
	if mailAt < 0 || refusal < mailAt || strings.Contains(out, "-> RCPT TO") || strings.Contains(out, "-> DATA") {
		t.Errorf("want a 451 4.7.8 refusal at MAIL FROM and no RCPT/DATA, got:\n%s", out)
	}
	if !strings.Contains(out, "authentication") || !strings.Contains(out, cfg.Name()) || !strings.Contains(out, "535") {
		t.Errorf("the refusal does not name the upstream authentication failure:\n%s", out)
	}
	if code != 23 {
		t.Errorf("swaks exit %d, want 23 (MAIL FROM refused)", code)
	}
	if r := recs.next(t); len(r.Messages) != 1 || r.Messages[0].ExitCode() != 28 {
		t.Errorf("record: %+v", r.Messages)
	}
	assertNotDelivered(t, m, local, marker)
}

func TestIntegrationDeclaredSizeOverLimit552AtOnce(t *testing.T) {
	m := testpeers.RequireMTA(t)
	cfg := mtaUpstream(m, m.Password)
	var dials atomic.Int32
	inner := NewUpstreamDialer(cfg)
	counting := func(ctx context.Context, h DialHooks) (*checks.Conn, error) {
		dials.Add(1)
		return inner(ctx, h)
	}
	srv, _ := startTestRelay(t, Options{Upstream: counting, UpstreamName: cfg.Name(), MaxMessageBytes: 1 << 20})
	c := dialClient(t, srv.Addr())
	err := c.Mail("a@example.com", &smtp.MailOptions{Size: 2 << 20})
	if smtpCode(err) != 552 {
		t.Fatalf("MAIL FROM SIZE=2MB over a 1 MB limit: want 552, got %v", err)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("the smart host was contacted %d times for a message refused by size", n)
	}
	// Under the limit the same session goes through to Postfix.
	local, marker := uniqueLocal("size"), uniqueLocal("msg")
	if err := c.Mail("a@example.com", &smtp.MailOptions{Size: 1000}); err != nil {
		t.Fatalf("MAIL under the limit: %v", err)
	}
	if err := c.Rcpt(local+"@"+m.SinkDomain, nil); err != nil {
		t.Fatal(err)
	}
	w, _ := c.Data()
	w.Write(testMessage(local, m.SinkDomain, marker))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, m, local, marker)
}

func TestIntegrationUpstreamDownIs4xx(t *testing.T) {
	m := testpeers.RequireMTA(t)
	testpeers.RequireTool(t, "swaks")
	// A port on the MTA's address where nothing listens.
	l, err := net.Listen("tcp", net.JoinHostPort(m.Host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := mtaUpstream(m, m.Password)
	cfg.Port = port
	srv, _ := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})
	out, code := runSwaks(t, "--server", srv.Addr(), "--from", "a@example.com", "--to", "down@"+m.SinkDomain)
	if code == 0 || swaksRefusalAt(out, "451 4.4.1") < 0 || !strings.Contains(out, "unreachable") {
		t.Errorf("upstream down: want 451 4.4.1 ... unreachable at MAIL FROM, got exit %d:\n%s", code, out)
	}
}

func TestIntegrationOversizeBody552NothingUpstream(t *testing.T) {
	m := testpeers.RequireMTA(t)
	testpeers.RequireTool(t, "swaks")
	cfg := mtaUpstream(m, m.Password)
	srv, recs := startTestRelay(t, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name(), MaxMessageBytes: 256 << 10})
	local, marker := uniqueLocal("oversize"), uniqueLocal("msg")
	big := append(testMessage(local, m.SinkDomain, marker), bytes.Repeat([]byte(strings.Repeat("x", 76)+"\r\n"), 8000)...)
	// swaks sends no SIZE=, so the relay only learns the size while streaming.
	out, code := runSwaks(t, "--server", srv.Addr(), "--from", "a@example.com", "--to", local+"@"+m.SinkDomain, "--data", "@"+writeTemp(t, big))
	if code == 0 || swaksRefusalAt(out, "552 5.3.4") < 0 {
		t.Fatalf("oversize body: want 552 5.3.4, got exit %d:\n%s", code, out)
	}
	if r := recs.next(t); len(r.Messages) != 1 || r.Messages[0].Accepted || r.Messages[0].Step != StepData {
		t.Errorf("record: %+v", r.Messages)
	}
	assertNotDelivered(t, m, local, marker)
}

func TestIntegrationAllowRemoteRejectsUnauthenticatedClient(t *testing.T) {
	m := testpeers.RequireMTA(t)
	testpeers.RequireTool(t, "swaks")
	cfg := mtaUpstream(m, m.Password)
	srv, _ := startTestRelay(t, Options{AllowRemote: true, ClientUser: "exchange", ClientPassword: "client-pw-1234", Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})
	local, marker := uniqueLocal("remote"), uniqueLocal("msg")
	data := writeTemp(t, testMessage(local, m.SinkDomain, marker))
	base := []string{"--server", srv.Addr(), "--from", "a@example.com", "--to", local + "@" + m.SinkDomain, "--data", "@" + data}

	out, code := runSwaks(t, append(base, "-tls")...)
	if code == 0 || swaksRefusalAt(out, "530 5.7.0") < 0 {
		t.Errorf("unauthenticated client: want 530 5.7.0 at MAIL FROM, got exit %d:\n%s", code, out)
	}
	out, code = runSwaks(t, append(base, "-tls", "--auth", "LOGIN", "--auth-user", "exchange", "--auth-password", "wrong-one")...)
	if code == 0 || !strings.Contains(out, "535") {
		t.Errorf("wrong client password: want 535, got exit %d:\n%s", code, out)
	}
	out, code = runSwaks(t, append(base, "-tls", "--auth", "LOGIN", "--auth-user", "exchange", "--auth-password", "client-pw-1234")...)
	if code != 0 {
		t.Fatalf("authenticated client refused: exit %d:\n%s", code, out)
	}
	got := waitDelivered(t, m, local, marker)
	if rcv, _ := stripReceived(got); len(rcv) != 2 || !strings.Contains(rcv[1], "with ESMTPSA") {
		t.Errorf("relaywiz's Received line should say ESMTPSA for a TLS+AUTH client:\n%s", strings.Join(rcv, ""))
	}
}
