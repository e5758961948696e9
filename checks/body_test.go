package checks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// slowEncode is the byte-at-a-time definition bodyEncoder must match;
// without dotStuff it is the content a server gets after un-stuffing.
func slowEncode(p []byte, dotStuff bool) []byte {
	var out []byte
	lineStart, afterCR := true, false
	for _, c := range p {
		if lineStart && dotStuff && c == '.' {
			out = append(out, '.')
		}
		lineStart = false
		if c == '\n' {
			if !afterCR {
				out = append(out, '\r')
			}
			lineStart = true
		}
		afterCR = c == '\r'
		out = append(out, c)
	}
	if len(p) > 0 && !lineStart {
		if !afterCR {
			out = append(out, '\r')
		}
		out = append(out, '\n')
	}
	return out
}

// encodeSplit runs bodyEncoder over p cut at the given points.
func encodeSplit(p []byte, cuts []int) []byte {
	var e bodyEncoder
	var out []byte
	prev := 0
	for _, c := range cuts {
		out = e.encode(out, p[prev:c])
		prev = c
	}
	out = e.encode(out, p[prev:])
	return e.finish(out)
}

// dotWriterOutput is what go-smtp's DATA path (net/textproto) sends for p,
// without the final ".\r\n".
func dotWriterOutput(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	dw := textproto.NewWriter(bw).DotWriter()
	if _, err := dw.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte(".\r\n"))
}

func TestBodyEncoderMatchesDotWriterWhereverSplit(t *testing.T) {
	cases := []string{
		"a", ".", "\n", "\r", "\r\n", ".\r\n", "\n.\n", "a\n.\nb", "a\r\n.\r\nb", "a\r.\r\nb",
		"..x\r\n.y\n", "x\r\r\n.", "line\rnot a line end\r\n.\r", "\n\n\r\r..\r\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		n := 1 + rng.IntN(40)
		b := make([]byte, n)
		for j := range b {
			b[j] = ".\r\nab"[rng.IntN(5)]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		p := []byte(c)
		want := slowEncode(p, true)
		// textproto forgets a CR when a second one follows ("\r\r\n" becomes
		// "\r\r\r\n"); everywhere else the two must agree.
		if dw := dotWriterOutput(t, p); !bytes.Equal(dw, want) && !strings.Contains(c, "\r\r") {
			t.Fatalf("reference encoder disagrees with textproto for %q: %q vs %q", c, want, dw)
		}
		// Every single cut point, and a few random multi-cut splits.
		splits := [][]int{nil}
		for k := 1; k < len(p); k++ {
			splits = append(splits, []int{k})
		}
		for k := 0; k < 5 && len(p) > 2; k++ {
			a, b := rng.IntN(len(p)), rng.IntN(len(p))
			splits = append(splits, []int{min(a, b), max(a, b)})
		}
		for _, cuts := range splits {
			if got := encodeSplit(p, cuts); !bytes.Equal(got, want) {
				t.Fatalf("encoding of %q cut at %v = %q, want %q", c, cuts, got, want)
			}
		}
	}
}

func TestBodyEncoderDefusesBareLFDot(t *testing.T) {
	// "\n.\n" is the classic smuggling end-of-data: it must leave as a
	// stuffed line inside the message, never as "\r\n.\r\n".
	got := encodeSplit([]byte("a\n.\nMAIL FROM:<x@evil.test>\n"), nil)
	if want := "a\r\n..\r\nMAIL FROM:<x@evil.test>\r\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// bodyServer is a TLS go-smtp server that keeps each message it accepts.
type bodyServer struct {
	mu        sync.Mutex
	delivered [][]byte
	aborted   int
	refuse    bool // refuse every message with 552 after reading it
}

func (b *bodyServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &bodySession{b: b}, nil
}

type bodySession struct{ b *bodyServer }

func (s *bodySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *bodySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *bodySession) Reset()                               {}
func (s *bodySession) Logout() error                        { return nil }
func (s *bodySession) Data(r io.Reader) error {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, r)
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if err != nil {
		s.b.aborted++
		return err
	}
	if s.b.refuse {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big for this test"}
	}
	s.b.delivered = append(s.b.delivered, buf.Bytes())
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as BODY1"}
}

func (b *bodyServer) snapshot() ([][]byte, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.delivered...), b.aborted
}

// dialBodyServer starts b with TLS and dials it, collecting the transcript.
// It speaks the generic dialect (DATA, the streaming path) unless told
// otherwise; bdat_test.go covers the Exchange dialect's BDAT.
func dialBodyServer(t *testing.T, b *bodyServer, dialect ...Dialect) (*Conn, func() string) {
	t.Helper()
	pki := newTestPKI(t)
	srv := smtp.NewServer(b)
	srv.Domain = fakeName
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pki.leaf(t, leafOpts{names: []string{fakeName}})}}
	srv.MaxMessageBytes = 50 << 20
	srv.ErrorLog = nopLogger{}
	port := serve(t, srv.Serve, func() { stopServer(srv) })
	var mu sync.Mutex
	var lines []string
	d := DialectGeneric
	if len(dialect) > 0 {
		d = dialect[0]
	}
	conn, err := Dial(context.Background(), DialOptions{
		Dialect: d,
		Host:    fakeName, Port: port, Resolver: loopbackResolver, CAFile: pki.caFile, Timeout: 5 * time.Second,
		Transcript: func(l TranscriptLine) { mu.Lock(); lines = append(lines, l.String()); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(lines, "\n") }
}

// testBody is a message with every awkward line the encoder handles, long
// enough for several chunks.
func testBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString("Subject: body path\r\n\r\n.leading dot\r\nbare LF then a dot line\n.\nsecret-content-line\r\n..two dots\r\n")
	line := strings.Repeat("0123456789", 7) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	b.WriteString("no final line end")
	return b.Bytes()
}

// startBody runs MAIL FROM and RCPT TO and starts the content.
func startBody(t *testing.T, conn *Conn) *BodyWriter {
	t.Helper()
	if err := conn.Client.Mail("a@example.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Client.Rcpt("b@example.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := conn.Body()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func sendBody(t *testing.T, conn *Conn, body []byte, step int) (string, error) {
	t.Helper()
	w := startBody(t, conn)
	for p := body; len(p) > 0; {
		k := min(step, len(p))
		if _, err := w.Write(p[:k]); err != nil {
			return "", err
		}
		p = p[k:]
	}
	return w.Commit()
}

func TestBodyDeliversExactly(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size, step int
	}{
		{"large-odd-writes", 900 << 10, 7000},
		{"large-one-write", 700 << 10, 700 << 10},
		{"small-byte-writes", 100, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &bodyServer{}
			conn, transcript := dialBodyServer(t, srv)
			body := testBody(tc.size)
			reply, err := sendBody(t, conn, body, tc.step)
			if err != nil {
				t.Fatal(err)
			}
			if reply != "2.0.0 Ok: queued as BODY1" {
				t.Errorf("reply %q", reply)
			}
			// go-smtp's server removes the dot-stuffing: what arrives is
			// the canonical content, the "\n.\n" line and all after it.
			want := slowEncode(body, false)
			got, _ := srv.snapshot()
			if len(got) != 1 || !bytes.Equal(got[0], want) {
				t.Fatalf("delivered %d messages; the first differs from the canonical content (len %d vs %d)", len(got), lenFirst(got), len(want))
			}
			// The session goes on: a second message on the same connection.
			if _, err := sendBody(t, conn, []byte("Subject: again\r\n\r\nhi\r\n"), 100); err != nil {
				t.Fatalf("second message: %v", err)
			}
			if err := conn.Quit(); err != nil {
				t.Errorf("quit: %v", err)
			}
			text := transcript()
			for _, leak := range []string{"secret-content-line", "leading dot", "0123456789"} {
				if strings.Contains(text, leak) {
					t.Fatalf("transcript shows message content %q:\n%s", leak, text)
				}
			}
			summary := fmt.Sprintf("~> (%d lines of message content not shown)", bytes.Count(want, []byte("\n")))
			if !strings.Contains(text, summary) || !strings.Contains(text, "~> (3 lines of message content not shown)") {
				t.Errorf("transcript lacks %q (or the second message's summary):\n%s", summary, text)
			}
		})
	}
}

func lenFirst(b [][]byte) int {
	if len(b) == 0 {
		return -1
	}
	return len(b[0])
}

func TestBodyRefusalAtTheEndKeepsTheSession(t *testing.T) {
	srv := &bodyServer{refuse: true}
	conn, _ := dialBodyServer(t, srv)
	_, err := sendBody(t, conn, testBody(300<<10), 64<<10)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 552 || se.EnhancedCode != (smtp.EnhancedCode{5, 3, 4}) {
		t.Fatalf("want the server's 552 5.3.4, got %v", err)
	}
	srv.mu.Lock()
	srv.refuse = false
	srv.mu.Unlock()
	if _, err := sendBody(t, conn, []byte("Subject: after\r\n\r\nok\r\n"), 100); err != nil {
		t.Fatalf("next message on the same connection: %v", err)
	}
}

func TestBodyAbortCommitsNothing(t *testing.T) {
	// Small content is only held, large content already partly sent; both
	// end on a complete line, so a careless writer could make it look
	// finished.
	for _, size := range []int{100, 512 << 10} {
		srv := &bodyServer{}
		conn, transcript := dialBodyServer(t, srv)
		w := startBody(t, conn)
		body := testBody(size + 1000)
		body = body[:bytes.LastIndex(body[:size], []byte("\r\n"))+2]
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
		w.Abort()
		if _, err := w.Commit(); err == nil {
			t.Fatal("Commit after Abort succeeded")
		}
		if _, err := w.Write([]byte("more\r\n")); err == nil {
			t.Fatal("Write after Abort succeeded")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, aborted := srv.snapshot()
			if len(got) != 0 {
				t.Fatalf("size %d: an aborted message was delivered", size)
			}
			if aborted == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("size %d: the server never saw the transfer end", size)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if text := transcript(); strings.Contains(text, "~> .") {
			t.Errorf("size %d: the end of the message was sent:\n%s", size, text)
		}
	}
}

func TestBodyWriteErrorIsStickyAndClosesTheConnection(t *testing.T) {
	srv := &bodyServer{}
	conn, _ := dialBodyServer(t, srv)
	w := startBody(t, conn)
	conn.s.secure.Conn.Close() // the connection breaks under the writer
	body := testBody(600 << 10)
	if _, err := w.Write(body); err == nil {
		t.Fatal("Write on a closed connection succeeded")
	}
	if _, err := w.Commit(); err == nil {
		t.Fatal("Commit after a failed Write succeeded")
	}
	if got, _ := srv.snapshot(); len(got) != 0 {
		t.Fatal("a broken transfer was delivered")
	}
}
