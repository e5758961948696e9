package relay

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func labClient(t *testing.T, lab *Lab) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(lab.Addr, &tls.Config{RootCAs: caPool(t, lab.CAFile), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("STARTTLS to lab (certificate must verify against the written CA file): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLabStoresAuthenticatedMessageWithTrace(t *testing.T) {
	var got []LabMessage
	lab := startTestLab(t, LabOptions{User: "tester", OnMessage: func(m LabMessage) { got = append(got, m) }})
	if len(lab.Password) < 20 {
		t.Fatalf("generated password %q is too short", lab.Password)
	}
	c := labClient(t, lab)
	// LOGIN, as Exchange's send connector authenticates.
	if err := c.Auth(sasl.NewLoginClient("tester", lab.Password)); err != nil {
		t.Fatalf("AUTH LOGIN: %v", err)
	}
	body := []byte("Subject: hi\r\n\r\n.leading dot line\r\nbody\r\n")
	reply, err := sendVia(c, "a@example.com", []string{"b@example.org"}, body)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	files := emlFiles(t, lab.Dir)
	if len(files) != 1 || len(got) != 1 || lab.Received() != 1 {
		t.Fatalf("want one stored message, got files %v, callbacks %d, count %d", files, len(got), lab.Received())
	}
	if !strings.Contains(reply, "queued as "+got[0].ID) {
		t.Errorf("reply %q does not carry the queue id %s", reply, got[0].ID)
	}
	eml, _ := os.ReadFile(files[0])
	trace, msg := splitTrace(t, eml)
	if !bytes.Equal(msg, body) {
		t.Errorf("stored message differs:\n got %q\nwant %q", msg, body)
	}
	for _, want := range []string{"Return-Path: <a@example.com>", "Received: from localhost ([127.0.0.1])", "with ESMTPSA id " + got[0].ID, "for <b@example.org>"} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace headers lack %q:\n%s", want, trace)
		}
	}
	if got[0].User != "tester" || got[0].Size != int64(len(body)) {
		t.Errorf("callback = %+v", got[0])
	}
}

func TestLabPlainAuthAndWrongPassword(t *testing.T) {
	lab := startTestLab(t, LabOptions{Password: "right-password"})
	c := labClient(t, lab)
	err := c.Auth(sasl.NewPlainClient("", lab.User, "wrong"))
	if smtpCode(err) != 535 {
		t.Fatalf("wrong password: want 535, got %v", err)
	}
	c2 := labClient(t, lab)
	if err := c2.Auth(sasl.NewPlainClient("", lab.User, "right-password")); err != nil {
		t.Fatalf("PLAIN with the right password: %v", err)
	}
}

func TestLabRequiresTLSAndAuth(t *testing.T) {
	lab := startTestLab(t, LabOptions{})
	c, err := smtp.Dial(lab.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH advertised before TLS")
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Error("STARTTLS not advertised")
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "52428800" {
		t.Errorf("SIZE = %v %q, want 52428800", ok, size)
	}
	if err := c.Mail("a@example.com", nil); smtpCode(err) != 530 {
		t.Errorf("MAIL before TLS: want 530, got %v", err)
	}
	tc := labClient(t, lab)
	if err := tc.Mail("a@example.com", nil); smtpCode(err) != 530 {
		t.Errorf("MAIL after TLS without AUTH: want 530, got %v", err)
	}
	if n := len(emlFiles(t, lab.Dir)); n != 0 {
		t.Errorf("%d messages stored without authentication", n)
	}
}

func TestLabOversizeLeavesNothing(t *testing.T) {
	lab := startTestLab(t, LabOptions{MaxMessageBytes: 1000})
	c := labClient(t, lab)
	if err := c.Auth(sasl.NewPlainClient("", lab.User, lab.Password)); err != nil {
		t.Fatal(err)
	}
	_, err := sendVia(c, "a@example.com", []string{"b@example.org"}, bytes.Repeat([]byte("0123456789012345678901234567890123456789\r\n"), 200))
	if smtpCode(err) != 552 {
		t.Fatalf("oversize: want 552, got %v", err)
	}
	if n := len(emlFiles(t, lab.Dir)); n != 0 {
		t.Errorf("oversize message stored (%d files)", n)
	}
}

// TestLabLoginPrompts speaks AUTH LOGIN by hand: the prompts must be the
// classic base64 "Username:"/"Password:", and the initial-response form
// (user name on the AUTH line) must work too.
func TestLabLoginPrompts(t *testing.T) {
	lab := startTestLab(t, LabOptions{Password: "pw-123"})
	b64 := base64.StdEncoding.EncodeToString
	for _, initial := range []bool{false, true} {
		tp := rawTLSSession(t, lab)
		cmd := "AUTH LOGIN"
		if initial {
			cmd += " " + b64([]byte(lab.User))
		} else {
			expectReply(t, tp, cmd, 334, b64([]byte("Username:")))
			cmd = b64([]byte(lab.User))
		}
		expectReply(t, tp, cmd, 334, b64([]byte("Password:")))
		expectReply(t, tp, b64([]byte("pw-123")), 235, "")
		tp.Close()
	}
}

func rawTLSSession(t *testing.T, lab *Lab) *textproto.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", lab.Addr)
	if err != nil {
		t.Fatal(err)
	}
	tp := textproto.NewConn(conn)
	if _, _, err := tp.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	expectReply(t, tp, "EHLO raw.test", 250, "")
	expectReply(t, tp, "STARTTLS", 220, "")
	tc := tls.Client(conn, &tls.Config{RootCAs: caPool(t, lab.CAFile), ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake with lab (name localhost): %v", err)
	}
	tp = textproto.NewConn(tc)
	expectReply(t, tp, "EHLO raw.test", 250, "AUTH LOGIN PLAIN")
	return tp
}

func expectReply(t *testing.T, tp *textproto.Conn, cmd string, code int, contains string) {
	t.Helper()
	if err := tp.PrintfLine("%s", cmd); err != nil {
		t.Fatal(err)
	}
	_, msg, err := tp.ReadResponse(code)
	if err != nil {
		t.Fatalf("%s: want %d, got %v", strings.Fields(cmd)[0], code, err)
	}
	if !strings.Contains(msg, contains) {
		t.Fatalf("%s: reply %q lacks %q", strings.Fields(cmd)[0], msg, contains)
	}
}

func TestLabPasswordNeverStartsWithDash(t *testing.T) {
	// 0xF8 encodes to "-" (index 62) and 0xFC to "_" in the first position.
	for _, first := range []byte{0xF8, 0xFC, 0xFF, 0x00, 0xCF} {
		var b [18]byte
		b[0] = first
		p := passwordFrom(b)
		if c := p[0]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') || len(p) != 24 {
			t.Errorf("first byte %#x: password %q must start with a letter and be 24 long", first, p)
		}
	}
	for i := 0; i < 500; i++ {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(p, "-") {
			t.Fatalf("generated %q", p)
		}
	}
}
