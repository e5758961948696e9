package relay

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"relaywiz/termtext"
)

// lineSink serialises whole lines from concurrent sessions onto one writer
// (stderr, or the TUI's transcript pane), so lines never interleave.
type lineSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *lineSink) line(prefix, text string) {
	if s == nil || s.w == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Client and server lines are other people's bytes: escaped.
	fmt.Fprintf(s.w, "%s%s\n", prefix, termtext.Escape(text))
}

// connTranscript records the client↔relay leg from the raw bytes of the
// connection, swaks-style like the upstream leg ("->" what the client
// sent, "<-" our replies), with three exceptions: AUTH payloads are
// replaced by "<redacted>" (they carry the password in base64), the
// message body (after DATA, or in BDAT chunks) is summarised as a byte
// count, and once STARTTLS succeeds the rest is ciphertext at this layer,
// so it says so and stops.
type connTranscript struct {
	sink   *lineSink
	prefix string

	mu       sync.Mutex
	in, out  []byte // partial lines per direction
	inData   bool   // between 354 and the final "."
	dataN    int64
	inAuth   bool  // the server's last reply was 334: the next client line is a SASL response
	chunk    int64 // bytes of a BDAT chunk still to come (counted, never shown)
	chunkN   int64 // that chunk's size
	lastCmd  string
	stopped  bool
	overflow bool // current client line is too long to keep; only counted
	inN      int  // bytes of the current client line, kept or not
}

const maxTranscriptLine = 4096

func (t *connTranscript) clientBytes(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	for len(b) > 0 {
		if t.chunk > 0 {
			k := min(t.chunk, int64(len(b)))
			b, t.chunk = b[k:], t.chunk-k
			if t.chunk == 0 {
				t.sink.line(t.prefix, fmt.Sprintf("-> (%d bytes of message content not shown)", t.chunkN))
			}
			continue
		}
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i+1]
		}
		b = b[len(chunk):]
		if t.inData {
			t.dataN += int64(len(chunk))
		}
		t.inN += len(chunk)
		if len(t.in)+len(chunk) <= maxTranscriptLine {
			t.in = append(t.in, chunk...)
		} else {
			t.overflow = true
		}
		if i < 0 {
			return
		}
		line := strings.TrimRight(string(t.in), "\r\n")
		overflow, n := t.overflow, t.inN
		t.in, t.overflow, t.inN = t.in[:0], false, 0
		t.clientLine(line, overflow, n)
	}
}

func (t *connTranscript) clientLine(line string, overflow bool, n int) {
	switch {
	case t.inData:
		if line == "." && !overflow {
			t.sink.line(t.prefix, fmt.Sprintf("-> (%d bytes of message content not shown)", t.dataN-3))
			t.sink.line(t.prefix, "-> .")
			t.inData = false
		}
	case t.inAuth:
		t.sink.line(t.prefix, "-> <redacted>")
	default:
		cmd := strings.ToUpper(firstWord(line))
		t.lastCmd = cmd
		if cmd == "AUTH" {
			// Keep the mechanism, drop any initial response.
			f := strings.Fields(line)
			shown := "AUTH"
			if len(f) > 1 {
				shown += " " + f[1]
			}
			if len(f) > 2 {
				shown += " <redacted>"
			}
			t.sink.line(t.prefix, "-> "+shown)
			return
		}
		if overflow {
			line = line[:min(len(line), 200)] + fmt.Sprintf("… (line of %d bytes, truncated)", n)
		}
		t.sink.line(t.prefix, "-> "+line)
		if cmd == "BDAT" {
			// The chunk follows the command line directly (RFC 3030).
			if f := strings.Fields(line); len(f) > 1 {
				if n, err := strconv.ParseInt(f[1], 10, 64); err == nil && n > 0 {
					t.chunk, t.chunkN = n, n
				}
			}
		}
	}
}

func (t *connTranscript) serverBytes(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.out = append(t.out, b...)
	for {
		i := bytes.IndexByte(t.out, '\n')
		if i < 0 {
			return
		}
		line := strings.TrimRight(string(t.out[:i]), "\r")
		t.out = t.out[i+1:]
		t.sink.line(t.prefix, "<- "+line)
		code := line
		if len(code) > 3 {
			code = code[:3]
		}
		t.inAuth = code == "334"
		if code == "354" {
			t.inData, t.dataN = true, 0
		}
		if code == "220" && t.lastCmd == "STARTTLS" {
			t.sink.line(t.prefix, "== TLS started: the rest of this session is encrypted and not shown here; see the session line")
			t.stopped = true
			return
		}
	}
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}
