package relay

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
)

// PAMSHeader is the header Zivver's Outlook plugin sets on a message it
// wants Exchange to route through the smart host (Plugin Assisted Mail
// Submission); the PAMS transport rule matches it with the pattern "..*".
const (
	PAMSHeaderName  = "zivver-relay"
	PAMSHeaderValue = "zivver-message-info"
)

// MessageOptions describe the test message `relaywiz send` composes.
type MessageOptions struct {
	From    string   // envelope and header sender
	To      []string // at least one
	Subject string   // empty: a default naming relaywiz and the time
	// Headers are extra "Name: value" header fields (--header).
	Headers []Header
	// Trigger makes the provider's Exchange rule fire: "pams" adds the
	// zivver-relay header, "subject=WORD" puts WORD in the subject.
	Trigger string
	// AttachBytes > 0 adds a generated attachment of that many bytes
	// (before base64, which adds a third on the wire). It is produced
	// while sending, never held in memory.
	AttachBytes int64
	// Route describes the path under test for the body, e.g.
	// "smtp.zivver.com:587 (STARTTLS, AUTH as user@example.com)".
	Route string
	Now   time.Time // zero: time.Now()
}

// Header is one extra header field.
type Header struct{ Name, Value string }

// ParseHeader parses a --header argument "Name: value".
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Header{}, fmt.Errorf("--header %q: want \"Name: value\"", s)
	}
	h := Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)}
	if err := h.validate(); err != nil {
		return Header{}, err
	}
	return h, nil
}

// composedHeaders are set by the composer; overriding them through
// --header would produce a broken or misleading test message.
var composedHeaders = []string{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"}

func (h Header) validate() error {
	if h.Name == "" {
		return fmt.Errorf("--header: the header name is empty")
	}
	for _, r := range h.Name {
		// RFC 5322 field-name: printable US-ASCII except ":" and space.
		if r <= ' ' || r > '~' || r == ':' {
			return fmt.Errorf("--header %q: the name may only contain printable ASCII without spaces or colons", h.Name)
		}
	}
	for _, c := range composedHeaders {
		if strings.EqualFold(h.Name, c) {
			return fmt.Errorf("--header %s: relaywiz sets this header itself (use --from/--to/--subject)", h.Name)
		}
	}
	if strings.ContainsAny(h.Value, "\r\n") {
		return fmt.Errorf("--header %s: the value must be on one line", h.Name)
	}
	return nil
}

// ParseTrigger validates a --trigger value.
func ParseTrigger(s string) (kind, word string, err error) {
	switch {
	case s == "":
		return "", "", nil
	case strings.EqualFold(s, "pams"):
		return "pams", "", nil
	case strings.HasPrefix(strings.ToLower(s), "subject="):
		word = strings.TrimSpace(s[len("subject="):])
		if word == "" || strings.ContainsAny(word, "\r\n") {
			return "", "", fmt.Errorf("--trigger %q: subject= needs the keyword your Exchange rule looks for, e.g. subject=[secure]", s)
		}
		return "subject", word, nil
	}
	return "", "", fmt.Errorf("--trigger %q: want pams or subject=WORD", s)
}

// Message is a composed test message. Its bytes are produced on demand by
// Reader, so a large attachment is never in memory; Size is exact, so the
// client can announce it with SIZE= and an oversize message is refused at
// MAIL FROM before a byte is sent.
type Message struct {
	From      string
	To        []string
	Subject   string
	MessageID string
	head      []byte // headers and, for a multipart message, the text part
	attach    int64  // raw attachment bytes
	tail      []byte // closing boundary
	seed      uint64
}

// NewTestMessage validates the options and composes the message.
func NewTestMessage(o MessageOptions) (*Message, error) {
	if err := validateSender(o.From); err != nil || o.From == "" {
		return nil, fmt.Errorf("--from %q: want a mail address such as admin@example.com", o.From)
	}
	if len(o.To) == 0 {
		return nil, fmt.Errorf("--to: at least one recipient is needed")
	}
	for _, t := range o.To {
		if err := validateRecipient(t); err != nil {
			return nil, fmt.Errorf("--to %q: want a mail address such as someone@example.org", t)
		}
	}
	if o.AttachBytes < 0 {
		return nil, fmt.Errorf("--attach-mb: must not be negative")
	}
	for _, h := range o.Headers {
		if err := h.validate(); err != nil {
			return nil, err
		}
	}
	kind, word, err := ParseTrigger(o.Trigger)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(o.Subject, "\r\n") {
		return nil, fmt.Errorf("--subject: must be on one line")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	subject := o.Subject
	if subject == "" {
		subject = "relaywiz test message " + now.Format("2006-01-02 15:04:05")
	}
	if kind == "subject" && !strings.Contains(strings.ToLower(subject), strings.ToLower(word)) {
		subject = word + " " + subject
	}

	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	domain := o.From[strings.LastIndexByte(o.From, '@')+1:]
	m := &Message{
		From:      o.From,
		To:        append([]string(nil), o.To...),
		Subject:   subject,
		MessageID: fmt.Sprintf("<relaywiz.%s.%s@%s>", now.UTC().Format("20060102T150405"), hex.EncodeToString(rnd[:6]), domain),
		attach:    o.AttachBytes,
		seed:      binary.LittleEndian.Uint64(rnd[4:]) | 1,
	}

	var b bytes.Buffer
	var foldErr error
	hdr := func(name, value string) {
		line, err := foldHeader(name, value)
		if err != nil && foldErr == nil {
			foldErr = err
		}
		b.WriteString(line)
	}
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("From", "relaywiz test <"+o.From+">")
	hdr("To", "<"+strings.Join(o.To, ">, <")+">")
	hdr("Subject", encodeHeaderValue(subject))
	hdr("Message-ID", m.MessageID)
	hdr("MIME-Version", "1.0")
	hdr("X-Mailer", "relaywiz (test message)")
	if kind == "pams" {
		hdr(PAMSHeaderName, PAMSHeaderValue)
	}
	for _, h := range o.Headers {
		hdr(h.Name, encodeHeaderValue(h.Value))
	}
	if foldErr != nil {
		return nil, foldErr
	}
	body := testBody(o, kind, word, m, now)
	if o.AttachBytes == 0 {
		hdr("Content-Type", "text/plain; charset=utf-8")
		hdr("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n")
		b.WriteString(body)
		m.head = b.Bytes()
		return m, nil
	}
	boundary := "relaywiz-" + hex.EncodeToString(rnd[6:])
	hdr("Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
	b.WriteString("\r\nThis is a multi-part message in MIME format.\r\n")
	fmt.Fprintf(&b, "\r\n--%s\r\n", boundary)
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(body)
	fmt.Fprintf(&b, "\r\n--%s\r\n", boundary)
	name := fmt.Sprintf("relaywiz-test-%s.bin", humanBytes(o.AttachBytes))
	fmt.Fprintf(&b, "Content-Type: application/octet-stream; name=%q\r\n", name)
	b.WriteString("Content-Transfer-Encoding: base64\r\n")
	fmt.Fprintf(&b, "Content-Disposition: attachment; filename=%q\r\n\r\n", name)
	m.head = b.Bytes()
	m.tail = []byte(fmt.Sprintf("\r\n--%s--\r\n", boundary))
	return m, nil
}

// testBody says what the message tests, so whoever finds it in a mailbox
// (or a support engineer reading a forwarded copy) knows what it was.
func testBody(o MessageOptions, kind, word string, m *Message, now time.Time) string {
	var b strings.Builder
	b.WriteString("This is a test message sent by relaywiz.\r\n\r\n")
	b.WriteString("It tests that mail submitted the way Exchange's send connector submits it\r\n")
	b.WriteString("(STARTTLS required, authentication only after TLS) is accepted by the smart host")
	if o.Route != "" {
		b.WriteString(":\r\n  " + o.Route)
	}
	b.WriteString("\r\nand delivered to the recipient.\r\n\r\n")
	switch kind {
	case "pams":
		b.WriteString("Trigger: the header \"" + PAMSHeaderName + ": " + PAMSHeaderValue + "\" that Zivver's Outlook plugin\r\n")
		b.WriteString("sets is present, so the PAMS transport rule in Exchange should redirect it.\r\n\r\n")
	case "subject":
		b.WriteString("Trigger: the subject contains \"" + word + "\", so a custom-relay transport rule\r\n")
		b.WriteString("that looks for that word should route it through the secure-mail provider.\r\n\r\n")
	}
	if o.AttachBytes > 0 {
		fmt.Fprintf(&b, "Size: it carries a generated %s attachment (about %s on the wire)\r\n", humanBytes(o.AttachBytes), humanBytes(base64Size(o.AttachBytes)))
		b.WriteString("to test the size limits on the way.\r\n\r\n")
	}
	fmt.Fprintf(&b, "Sent: %s\r\nMessage-ID: %s\r\n\r\n", now.Format(time.RFC1123Z), m.MessageID)
	b.WriteString("If you can read this, the route works. No action is needed; you may delete it.\r\n")
	return b.String()
}

// maxHeaderLine is RFC 5322's hard limit for a line, without its CRLF.
const maxHeaderLine = 998

// foldHeader renders "Name: value" folded at spaces (RFC 5322 2.2.3):
// lines of at most 78 characters where a space allows, never over 998. A
// single word too long for any line is an error naming the header, so a
// message that a smart host must refuse is never built.
func foldHeader(name, value string) (string, error) {
	var b strings.Builder
	line := name + ":"
	for i, w := range strings.Split(value, " ") {
		if i > 0 && w != "" && len(line)+1+len(w) > 78 && strings.TrimSpace(line) != name+":" {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + w
		if len(line) > maxHeaderLine {
			flag := "--header " + name
			if name == "Subject" {
				flag = "--subject"
			}
			return "", fmt.Errorf("%s: a word of %d characters does not fit in a header line (at most %d); shorten it or add spaces", flag, len(w), maxHeaderLine-len(name)-2)
		}
	}
	b.WriteString(line + "\r\n")
	return b.String(), nil
}

func encodeHeaderValue(s string) string {
	for _, r := range s {
		if r > '~' {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// Attachment lines carry 57 raw bytes as 76 base64 characters + CRLF
// (RFC 2045's line limit).
const rawPerLine = 57

// base64Size is the encoded size of n raw bytes in CRLF-terminated lines.
func base64Size(n int64) int64 {
	if n == 0 {
		return 0
	}
	full, rest := n/rawPerLine, n%rawPerLine
	size := full * (76 + 2)
	if rest > 0 {
		size += int64(base64.StdEncoding.EncodedLen(int(rest))) + 2
	}
	return size
}

// Size is the exact number of bytes Reader produces.
func (m *Message) Size() int64 {
	return int64(len(m.head)) + base64Size(m.attach) + int64(len(m.tail))
}

// Reader streams the message. Each call starts from the beginning.
func (m *Message) Reader() io.Reader {
	return io.MultiReader(bytes.NewReader(m.head), &attachmentReader{left: m.attach, state: m.seed}, bytes.NewReader(m.tail))
}

// attachmentReader generates base64 lines of pseudo-random bytes (so that
// nothing on the way can compress them away) one line at a time.
type attachmentReader struct {
	left  int64  // raw bytes still to encode
	state uint64 // xorshift state
	line  []byte // encoded bytes not yet returned
	raw   [rawPerLine]byte
	enc   [78]byte
}

func (a *attachmentReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(a.line) == 0 {
			if a.left == 0 {
				break
			}
			k := int64(rawPerLine)
			if a.left < k {
				k = a.left
			}
			for i := range a.raw[:k] {
				a.state ^= a.state << 13
				a.state ^= a.state >> 7
				a.state ^= a.state << 17
				a.raw[i] = byte(a.state)
			}
			a.left -= k
			e := base64.StdEncoding.EncodedLen(int(k))
			base64.StdEncoding.Encode(a.enc[:e], a.raw[:k])
			a.enc[e], a.enc[e+1] = '\r', '\n'
			a.line = a.enc[:e+2]
		}
		c := copy(p[n:], a.line)
		a.line = a.line[c:]
		n += c
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
