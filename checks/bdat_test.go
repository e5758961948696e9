package checks

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// canonicalCRLF is the expected BDAT content, computed independently of
// bodyEncoder: every line end CRLF, a final CRLF, nothing else changed
// (no dot-stuffing: BDAT content is counted, not scanned).
func canonicalCRLF(b []byte) []byte {
	s := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n")
	if !strings.HasSuffix(s, "\r\n") {
		s += "\r\n"
	}
	return []byte(s)
}

func TestBDATSendsTheWholeMessageAsOneLastChunk(t *testing.T) {
	// 6 MB is past bdatMemory: the spool file (encrypted) is used.
	for _, size := range []int{100, 700 << 10, 6 << 20} {
		srv := &bodyServer{}
		conn, transcript := dialBodyServer(t, srv, DialectExchangeServer)
		if !conn.UsesBDAT() {
			t.Fatal("go-smtp's server offers CHUNKING: the Exchange dialect must use BDAT")
		}
		body := testBody(size)
		status, err := sendBody(t, conn, body, 7000)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(status, "queued as BODY1") {
			t.Errorf("status %q", status)
		}
		got, _ := srv.snapshot()
		want := canonicalCRLF(body)
		if len(got) != 1 || !bytes.Equal(got[0], want) {
			t.Fatalf("size %d: delivered %d bytes, want exactly the %d canonical bytes", size, lenFirst(got), len(want))
		}
		text := transcript()
		if n := strings.Count(text, "~> BDAT "); n != 1 || !strings.Contains(text, fmt.Sprintf("~> BDAT %d LAST", len(want))) {
			t.Errorf("want one BDAT %d LAST:\n%s", len(want), text)
		}
		if strings.Contains(text, "~> DATA") || strings.Contains(text, "secret-content-line") || strings.Contains(text, "leading dot") {
			t.Errorf("transcript shows DATA or message content:\n%s", text)
		}
		if !strings.Contains(text, "lines of message content not shown") {
			t.Errorf("transcript lacks the content summary:\n%s", text)
		}
		// The session stays in step: another command after BDAT works.
		if err := conn.Client.Reset(); err != nil {
			t.Errorf("RSET after BDAT: %v", err)
		}
	}
}

func TestBDATRefusalKeepsTheSession(t *testing.T) {
	srv := &bodyServer{refuse: true}
	conn, _ := dialBodyServer(t, srv, DialectExchangeServer)
	_, err := sendBody(t, conn, testBody(2000), 500)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 552 {
		t.Fatalf("want the server's 552, got %v", err)
	}
	srv.mu.Lock()
	srv.refuse = false
	srv.mu.Unlock()
	if _, err := sendBody(t, conn, []byte("Subject: after\r\n\r\nok\r\n"), 100); err != nil {
		t.Fatalf("next message on the same connection: %v", err)
	}
}

func TestBDATAbortSendsNothing(t *testing.T) {
	srv := &bodyServer{}
	conn, transcript := dialBodyServer(t, srv, DialectExchangeServer)
	w := startBody(t, conn)
	if _, err := w.Write(testBody(5000)); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if _, err := w.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if strings.Contains(transcript(), "BDAT") {
		t.Errorf("an aborted message was announced:\n%s", transcript())
	}
	if got, _ := srv.snapshot(); len(got) != 0 {
		t.Fatal("an aborted message was delivered")
	}
}

func TestBDATSpoolFileHoldsNoReadableContent(t *testing.T) {
	sp := newBDATSpool()
	defer sp.close()
	body := bytes.Repeat([]byte("confidential-line-of-the-message\r\n"), (bdatMemory/32)+1000)
	if err := sp.write(body); err != nil {
		t.Fatal(err)
	}
	if err := sp.finish(); err != nil {
		t.Fatal(err)
	}
	if sp.file == nil || sp.mem != nil {
		t.Fatal("a message past bdatMemory must be spooled to a file")
	}
	if _, err := sp.file.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(sp.file); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw.Bytes(), []byte("confidential")) || int64(raw.Len()) != sp.size {
		t.Fatalf("spool holds %d bytes (want %d), readable: %v", raw.Len(), sp.size, bytes.Contains(raw.Bytes(), []byte("confidential")))
	}
	var out bytes.Buffer
	if err := sp.writeTo(&out); err != nil || !bytes.Equal(out.Bytes(), body) {
		t.Fatalf("writeTo gives back %d bytes (%v), want the %d written", out.Len(), err, len(body))
	}
}
