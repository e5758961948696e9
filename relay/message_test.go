package relay

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, m *Message) []byte {
	t.Helper()
	b, err := io.ReadAll(m.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTestMessagePlain(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	m, err := NewTestMessage(MessageOptions{
		From: "admin@example.com", To: []string{"ext@example.org"},
		Headers: []Header{{Name: "X-Case", Value: "4711"}},
		Trigger: "pams", Route: "smtp.example.net:587 (STARTTLS, AUTH)", Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := readAll(t, m)
	if int64(len(raw)) != m.Size() {
		t.Errorf("Size() = %d, Reader gave %d bytes", m.Size(), len(raw))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a parseable message: %v", err)
	}
	h := msg.Header
	if d, err := h.Date(); err != nil || !d.Equal(now) {
		t.Errorf("Date = %v, %v", d, err)
	}
	if h.Get("Message-ID") != m.MessageID || !strings.HasSuffix(m.MessageID, "@example.com>") {
		t.Errorf("Message-ID %q / %q", h.Get("Message-ID"), m.MessageID)
	}
	if h.Get(PAMSHeaderName) != PAMSHeaderValue {
		t.Errorf("--trigger pams: %s header = %q", PAMSHeaderName, h.Get(PAMSHeaderName))
	}
	if h.Get("X-Case") != "4711" || h.Get("MIME-Version") != "1.0" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("headers: %v", h)
	}
	body, _ := io.ReadAll(msg.Body)
	for _, want := range []string{"test message sent by relaywiz", "smtp.example.net:587", PAMSHeaderName, m.MessageID} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("body does not say %q:\n%s", want, body)
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("bare LF in message: every line must end in CRLF")
	}
}

func TestTestMessageSubjectTrigger(t *testing.T) {
	m, err := NewTestMessage(MessageOptions{From: "a@example.com", To: []string{"b@example.org"}, Subject: "Grüße", Trigger: "subject=[secure]"})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := mail.ReadMessage(bytes.NewReader(readAll(t, m)))
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != "[secure] Grüße" {
		t.Errorf("Subject = %q (%v), want the keyword and the UTF-8 subject", subj, err)
	}
	if strings.ContainsRune(msg.Header.Get("Subject"), 'ü') {
		t.Error("non-ASCII subject not RFC 2047 encoded")
	}
}

func TestTestMessageAttachmentStreamsExactSize(t *testing.T) {
	for _, n := range []int64{1, 56, 57, 58, 1 << 20, 3<<20 + 17} {
		m, err := NewTestMessage(MessageOptions{From: "a@example.com", To: []string{"b@example.org"}, AttachBytes: n})
		if err != nil {
			t.Fatal(err)
		}
		raw := readAll(t, m)
		if int64(len(raw)) != m.Size() {
			t.Fatalf("attach %d: Size() %d, got %d bytes", n, m.Size(), len(raw))
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		mr := multipart.NewReader(msg.Body, params["boundary"])
		if _, err := mr.NextPart(); err != nil { // the text part
			t.Fatal(err)
		}
		p, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		dec, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil || int64(len(dec)) != n {
			t.Errorf("attach %d: decoded %d bytes (%v)", n, len(dec), err)
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Errorf("attach %d: want end of multipart, got %v", n, err)
		}
	}
}

func TestTestMessageRejectsBadInput(t *testing.T) {
	ok := MessageOptions{From: "a@example.com", To: []string{"b@example.org"}}
	cases := map[string]func(*MessageOptions){
		"--from":       func(o *MessageOptions) { o.From = "nobody" },
		"--to":         func(o *MessageOptions) { o.To = nil },
		"--trigger":    func(o *MessageOptions) { o.Trigger = "label" },
		"--header":     func(o *MessageOptions) { o.Headers = []Header{{Name: "Subject", Value: "x"}} },
		"--subject":    func(o *MessageOptions) { o.Subject = "a\r\nBcc: x@y" },
		"--attach-mb":  func(o *MessageOptions) { o.AttachBytes = -1 },
		"subject=WORD": func(o *MessageOptions) { o.Trigger = "subject=" },
	}
	for field, mutate := range cases {
		o := ok
		mutate(&o)
		if _, err := NewTestMessage(o); err == nil || !strings.Contains(err.Error(), strings.Split(field, "=")[0]) {
			t.Errorf("%s: want an error naming it, got %v", field, err)
		}
	}
	if _, err := ParseHeader("X-Only-Name"); err == nil {
		t.Error("ParseHeader without colon accepted")
	}
	if h, err := ParseHeader("X-Test:  value: with colon "); err != nil || h.Name != "X-Test" || h.Value != "value: with colon" {
		t.Errorf("ParseHeader = %+v, %v", h, err)
	}
}

// A subject of ~2000 characters used to produce a Subject line over 998
// (refused at the end of data, with a hint blaming the smart host); it is
// now folded, and a single word too long to fold is refused up front.
func TestTestMessageLongSubjectFoldedOrRefused(t *testing.T) {
	long := strings.Repeat("word ", 400) // 2000 characters
	m, err := NewTestMessage(MessageOptions{From: "a@example.com", To: []string{"b@example.org"}, Subject: long})
	if err != nil {
		t.Fatalf("a long subject with spaces must be folded: %v", err)
	}
	head := string(readAll(t, m))
	head = head[:strings.Index(head, "\r\n\r\n")]
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 998 {
			t.Fatalf("header line of %d characters", len(line))
		}
	}
	if !strings.Contains(strings.ReplaceAll(head, "\r\n ", " "), "Subject: "+strings.TrimSpace(long)) {
		t.Error("the unfolded subject is not the one given")
	}
	_, err = NewTestMessage(MessageOptions{From: "a@example.com", To: []string{"b@example.org"}, Subject: strings.Repeat("x", 1100)})
	if err == nil || !strings.Contains(err.Error(), "--subject") {
		t.Fatalf("an unfoldable 1100-character subject: %v", err)
	}
}

func TestTestMessageRejectsSmuggledRecipientParameters(t *testing.T) {
	for _, to := range []string{"a@b> NOTIFY=NEVER", "a> NOTIFY=NEVER <x@example.org", "x@[1.2.3.4] NOTIFY=NEVER]"} {
		if _, err := NewTestMessage(MessageOptions{From: "a@example.com", To: []string{to}}); err == nil || !strings.Contains(err.Error(), "--to") {
			t.Errorf("--to %q: %v", to, err)
		}
	}
}
