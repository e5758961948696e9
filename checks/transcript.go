package checks

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"relaywiz/termtext"
)

// Direction of a transcript line.
type Direction byte

const (
	Sent     Direction = '>' // client → server
	Received Direction = '<' // server → client
	Info     Direction = '*' // what relaywiz did (connected, TLS up, ...)
)

// TranscriptLine is one line of the SMTP conversation as an admin would
// want to see it in a support ticket: secrets never appear in it.
type TranscriptLine struct {
	Port    int
	Dir     Direction
	TLS     bool          // the line travelled inside TLS
	Elapsed time.Duration // since the session started
	Text    string
}

// String renders the line swaks-style: "->"/"<-" in plaintext, "~>"/"<~"
// inside TLS, "==" for notes.
func (l TranscriptLine) String() string {
	var arrow string
	switch {
	case l.Dir == Info:
		arrow = "=="
	case l.Dir == Sent && l.TLS:
		arrow = "~>"
	case l.Dir == Sent:
		arrow = "->"
	case l.TLS:
		arrow = "<~"
	default:
		arrow = "<-"
	}
	// The text is the server's (or ours): shown escaped, so a hostile
	// reply cannot drive the terminal. JSON keeps Text exact.
	return fmt.Sprintf("[%d] %s %s", l.Port, arrow, termtext.Escape(l.Text))
}

// redacted replaces every AUTH payload in transcripts.
const redacted = "<redacted>"

// transcript cuts the byte streams of a session into lines and hands them
// to the sink with AUTH payloads redacted. Message content after DATA is
// summarised rather than shown: it is the sensitive mail itself.
type transcript struct {
	mu    sync.Mutex
	sink  func(TranscriptLine)
	port  int
	start time.Time

	sentBuf, recvBuf lineCutter

	// authActive: we sent AUTH and the server is still answering 334, so
	// every line we send is a credential.
	authActive bool
	// dataPending: we sent DATA and wait for 354; dataActive: we are
	// sending the message, counting lines until the lone ".".
	dataPending, dataActive bool
	dataLines               int
}

func newTranscript(sink func(TranscriptLine), port int, start time.Time) *transcript {
	if sink == nil {
		return nil
	}
	return &transcript{sink: sink, port: port, start: start}
}

func (t *transcript) emit(dir Direction, tls bool, text string) {
	t.sink(TranscriptLine{Port: t.port, Dir: dir, TLS: tls, Elapsed: time.Since(t.start), Text: text})
}

// note records something relaywiz did that is not on the wire.
func (t *transcript) note(format string, args ...any) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emit(Info, false, fmt.Sprintf(format, args...))
}

func (t *transcript) sent(p []byte, tls bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sentBuf.feed(p, func(line string) { t.sentLine(line, tls) })
}

func (t *transcript) sentLine(line string, tls bool) {
	switch {
	case t.dataActive:
		if line == "." {
			t.emit(Sent, tls, fmt.Sprintf("(%d lines of message content not shown)", t.dataLines))
			t.emit(Sent, tls, ".")
			t.dataActive, t.dataLines = false, 0
			return
		}
		t.dataLines++
	case t.authActive:
		t.emit(Sent, tls, redacted)
	case hasPrefixFold(line, "AUTH "):
		// Keep the mechanism, hide the initial response.
		f := strings.Fields(line)
		if len(f) > 2 {
			line = f[0] + " " + f[1] + " " + redacted
		}
		t.authActive = true
		t.emit(Sent, tls, line)
	default:
		if strings.EqualFold(line, "DATA") {
			t.dataPending = true
		}
		t.emit(Sent, tls, line)
	}
}

func (t *transcript) received(p []byte, tls bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recvBuf.feed(p, func(line string) {
		last := len(line) < 4 || line[3] != '-' // the final line of a reply
		if t.authActive && last && !strings.HasPrefix(line, "334") {
			t.authActive = false
		}
		if t.dataPending && last {
			t.dataPending = false
			t.dataActive = strings.HasPrefix(line, "354")
		}
		t.emit(Received, tls, line)
	})
}

// maxShownLine is how much of one line a transcript keeps; the rest is
// only counted ("… (N bytes in all)").
const maxShownLine = 1000

// lineCutter cuts a byte stream into lines in one pass: each byte is
// looked at once however the stream is split, and a line keeps at most
// maxShownLine bytes, so a 20 MB line costs 1 KB and linear time.
type lineCutter struct {
	kept   []byte
	n      int  // bytes of the current line so far (kept or not)
	lastCR bool // the last byte seen was CR (the line's CRLF is not counted)
}

func (c *lineCutter) feed(p []byte, line func(string)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if room := maxShownLine + 1 - len(c.kept); room > 0 {
			c.kept = append(c.kept, seg[:min(room, len(seg))]...)
		}
		if len(seg) > 0 {
			c.n += len(seg)
			c.lastCR = seg[len(seg)-1] == '\r'
		}
		if i < 0 {
			return
		}
		p = p[i+1:]
		total := c.n
		if c.lastCR {
			total--
		}
		text := string(c.kept)
		if total > maxShownLine {
			text = fmt.Sprintf("%s… (line of %d bytes, truncated)", text[:maxShownLine], total)
		} else {
			text = strings.TrimSuffix(text, "\r")
		}
		c.kept, c.n, c.lastCR = c.kept[:0], 0, false
		line(text)
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
