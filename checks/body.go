package checks

import (
	"bytes"
	"errors"
	"time"

	"github.com/emersion/go-smtp"
)

// The message content path of Conn (Body), used by the relay for every
// message it forwards.
//
// go-smtp's client sends DATA through net/textproto's DotWriter, which
// handles each byte with its own buffered WriteByte: about 8 ns a byte on
// a small vCPU, 80 ms of CPU for a 10 MB message, on top of the same work
// on the relay's receiving side. Body does the same conversion a line at a
// time (bytes.IndexByte finds the line ends, whole lines are copied) and
// hands the TLS connection large blocks: a 10 MB message to Postfix takes
// about 110 ms instead of 170-240 ms on the development VM. Small messages
// (up to smallBody) still go through the DotWriter in one piece: there
// the byte-at-a-time cost is negligible and one write beats two.
//
// The content is made canonical exactly as DotWriter does it: a bare LF
// becomes CRLF, a line starting with "." gets a second one, and an
// unfinished last line gets its CRLF. So "\n.\n" or any other line-ending
// trick in a body can never end the message early upstream (SMTP
// smuggling); the only end-of-data line is the one Commit sends. Abort, or
// any failure, closes the connection instead, so a truncated message is
// never accepted upstream.
//
// The Exchange dialects send the message the way Exchange does when the
// smart host offers CHUNKING: the whole message as one "BDAT <n> LAST"
// (see bdat.go). That needs the size first, so the content is held in
// memory until Commit. The generic dialect keeps DATA: in 64-1024 KB BDAT
// chunks Postfix took about 35% longer for a 10 MB message than in DATA.

const (
	// bodyChunk is how much encoded content is collected before it is
	// written to the connection.
	bodyChunk = 64 << 10
	// bodyStep bounds how much input is encoded at once; encoding at most
	// doubles it, so the buffer never exceeds bodyChunk + 2*bodyStep.
	bodyStep = 32 << 10
	// smallBody: content up to this size goes through go-smtp's DotWriter
	// in one piece. Its byte-at-a-time cost is a few microseconds there,
	// less than a second write (and the wake-up it costs the server).
	smallBody = 16 << 10
)

var errBodyDone = errors.New("checks: message content already committed or aborted")

// BodyWriter streams one message's content to the smart host. Get one from
// Conn.Body after MAIL FROM and RCPT TO, write the message (headers and
// body, CRLF or LF line endings, not dot-stuffed), then Commit, or Abort to
// drop the connection without delivering anything. It is not safe for
// concurrent use.
type BodyWriter struct {
	c    *Conn
	data *smtp.DataCommand // go-smtp's DATA: the 354 before, the final reply after
	held []byte            // the content so far while it is at most smallBody
	enc  bodyEncoder
	buf  []byte // encoded content not written yet; nil while small
	err  error  // sticky: the first failure
	done bool
	// endSent: Commit handed the end of the message to go-smtp.
	endSent bool
	// bdat: the message goes as one BDAT <n> LAST at Commit; until then
	// it is only held (spool).
	bdat  bool
	spool *bdatSpool
}

// Body sends DATA and returns the writer for the message content. A
// refusal is an *smtp.SMTPError, as from Client.Data. The Conn must come
// from Dial.
func (c *Conn) Body() (*BodyWriter, error) {
	if c.s == nil || c.s.secure == nil {
		return nil, errors.New("checks: Body needs a connection made by Dial")
	}
	if c.UsesBDAT() {
		return &BodyWriter{c: c, bdat: true, spool: newBDATSpool()}, nil
	}
	dc, err := c.Client.Data()
	if err != nil {
		return nil, err
	}
	return &BodyWriter{c: c, data: dc}, nil
}

// Write takes the next part of the content. The first smallBody bytes are
// only held; past that they are encoded and sent on in large blocks. After
// an error nothing more is sent and every call returns that error.
func (w *BodyWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, errBodyDone
	}
	if w.bdat {
		if err := w.spool.write(p); err != nil {
			return 0, w.fail(err)
		}
		return len(p), nil
	}
	if w.buf == nil {
		if len(w.held)+len(p) <= smallBody {
			w.held = append(w.held, p...)
			return len(p), nil
		}
		// A large message: from now on the line-at-a-time path.
		w.buf = make([]byte, 0, bodyChunk+2*bodyStep)
		held := w.held
		w.held = nil
		if err := w.encode(held); err != nil {
			return 0, err
		}
	}
	if err := w.encode(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// encode adds p to the buffer, encoded, and writes out full blocks.
func (w *BodyWriter) encode(p []byte) error {
	for len(p) > 0 {
		k := min(len(p), bodyStep)
		w.buf = w.enc.encode(w.buf, p[:k])
		p = p[k:]
		if len(w.buf) >= bodyChunk {
			// Keep the last two bytes back for Commit.
			if err := w.writeRaw(w.buf[:len(w.buf)-2]); err != nil {
				return w.fail(err)
			}
			w.buf = append(w.buf[:0], w.buf[len(w.buf)-2:]...)
		}
	}
	return nil
}

// Commit ends the message with the final "." and returns the server's
// reply text as go-smtp's DataResponse has it ("2.0.0 Ok: queued as
// 4Xyz"). A refusal is an *smtp.SMTPError. After an earlier failure it
// sends nothing and returns that failure.
//
// A small message goes through go-smtp's DotWriter as a whole, so content
// and final "." leave in one write, as before. For a large one the
// encoded content always ends with CRLF; that last CRLF goes through the
// DotWriter, which then knows a line has just ended: it adds just ".\r\n".
// Either way go-smtp reads the reply with its own timeout and error
// handling.
func (w *BodyWriter) Commit() (string, error) {
	if w.err != nil {
		return "", w.err
	}
	if w.done {
		return "", errBodyDone
	}
	w.done = true
	if w.bdat {
		return w.commitBDAT()
	}
	tail := w.held
	if w.buf != nil {
		w.buf = w.enc.finish(w.buf)
		tail = w.buf
		if err := w.writeRaw(tail[:len(tail)-2]); err != nil {
			return "", w.fail(err)
		}
		tail = tail[len(tail)-2:]
		w.c.s.tap.contentLines(w.enc.lines - 1) // the tap sees and counts the last line
	}
	if len(tail) > 0 {
		if _, err := w.data.Write(tail); err != nil {
			return "", w.fail(err)
		}
	}
	w.endSent = true
	resp, err := w.data.CloseWithResponse()
	if err != nil {
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			_ = w.c.Close() // no reply: the session is out of step
		}
		w.err = err
		return "", err
	}
	return resp.StatusText, nil
}

// EndSent reports whether Commit got as far as sending the end of the
// message. When Commit fails without a reply from the server and EndSent
// is false, the message was certainly not delivered; when it is true, the
// server may have taken it before the connection broke.
func (w *BodyWriter) EndSent() bool { return w.endSent }

// Abort closes the connection without ending the message, so the server
// discards it. Use it whenever the content could not be read or sent in
// full. The Conn is unusable afterwards.
func (w *BodyWriter) Abort() {
	w.done = true
	w.spool.close()
	if w.err == nil {
		w.err = errors.New("checks: message content aborted")
	}
	_ = w.c.Close()
}

// fail records the first error and closes the connection: a DATA transfer
// cut short can only be ended by dropping it.
func (w *BodyWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	w.spool.close()
	_ = w.c.Close()
	return w.err
}

// writeRaw puts encoded content on the TLS connection, past the transcript
// tap (the content is only counted there, never shown) and past go-smtp's
// buffered writer, which is empty between its DATA command and our Commit.
func (w *BodyWriter) writeRaw(b []byte) error {
	conn := w.c.s.secure
	if timeout := w.c.Client.CommandTimeout; timeout > 0 {
		// go-smtp sets no deadline while the content is written; one that
		// resets with every block keeps a stalled smart host from holding
		// the relay forever without limiting a slow but moving transfer.
		_ = conn.SetWriteDeadline(time.Now().Add(timeout))
		defer conn.SetWriteDeadline(time.Time{})
	}
	_, err := conn.Conn.Write(b)
	return err
}

// bodyEncoder makes message content canonical the way textproto's
// DotWriter does, a line at a time instead of a byte at a time: LF becomes
// CRLF unless a CR precedes it, a lone CR stays as it is, and a line
// starting with "." gets a second one. (One difference: DotWriter turns
// "\r\r\n" into "\r\r\r\n", this keeps it.) The state carries over
// between calls, so the content may be split anywhere.
type bodyEncoder struct {
	state encState
	lines int // line ends written
	// noDots: BDAT content, where a leading "." is just a character.
	noDots bool
}

type encState uint8

const (
	encLineStart encState = iota // initial state: no content yet, or after a line end
	encInLine
	encAfterCR // the last byte written was CR: a LF now completes CRLF
)

// encode appends p, encoded, to dst.
func (e *bodyEncoder) encode(dst, p []byte) []byte {
	for len(p) > 0 {
		switch e.state {
		case encAfterCR:
			e.state = encInLine
			if p[0] == '\n' {
				dst = append(dst, '\n')
				p = p[1:]
				e.state = encLineStart
				e.lines++
				continue
			}
		case encLineStart:
			e.state = encInLine
			if p[0] == '.' && !e.noDots {
				dst = append(dst, '.')
			}
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			dst = append(dst, p...)
			if p[len(p)-1] == '\r' {
				e.state = encAfterCR
			}
			return dst
		}
		if i > 0 && p[i-1] == '\r' {
			dst = append(dst, p[:i+1]...)
		} else {
			dst = append(dst, p[:i]...)
			dst = append(dst, '\r', '\n')
		}
		p = p[i+1:]
		e.state = encLineStart
		e.lines++
	}
	return dst
}

// finish ends an unfinished last line, as DotWriter's Close does.
func (e *bodyEncoder) finish(dst []byte) []byte {
	switch e.state {
	case encAfterCR:
		dst = append(dst, '\n')
	case encInLine:
		dst = append(dst, '\r', '\n')
	default:
		return dst
	}
	e.state = encLineStart
	e.lines++
	return dst
}

// contentLines adds content that bypassed the tap to the line count of
// the "(N lines of message content not shown)" summary.
func (t *transcript) contentLines(n int) {
	if t == nil || n <= 0 {
		return
	}
	t.mu.Lock()
	t.dataLines += n
	t.mu.Unlock()
}
