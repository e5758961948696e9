package checks

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/emersion/go-smtp"
)

// UsesBDAT reports whether Body sends the message as one BDAT <n> LAST:
// an Exchange dialect and a smart host offering CHUNKING, which is what
// Exchange's send connector does then.
func (c *Conn) UsesBDAT() bool {
	if c.s == nil || !c.s.dialect.Exchange() {
		return false
	}
	ok, _ := c.Client.Extension("CHUNKING")
	return ok
}

// commitBDAT sends the held message as "BDAT <n> LAST" followed by its n
// octets (line ends made CRLF, no dot-stuffing: BDAT content is counted,
// never scanned for an end marker) and returns the reply text as Commit
// does.
//
// go-smtp's client has no BDAT. Its NOOP carries ours instead: the
// connection writes the BDAT command and content in place of "NOOP", and
// go-smtp reads the reply with its own reader, timeout and error
// handling, so its view of the session stays in step.
func (w *BodyWriter) commitBDAT() (string, error) {
	sp := w.spool
	defer sp.close()
	if err := sp.finish(); err != nil {
		return "", w.fail(err)
	}
	cmd := fmt.Sprintf("BDAT %d LAST", sp.size)
	sec := w.c.s.secure
	w.c.s.tap.sent([]byte(cmd+"\r\n"), true)
	w.c.s.tap.contentSummary(sp.enc.lines, true)

	rec := &replyRecorder{}
	sec.replace = func(c net.Conn) error {
		if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
			return err
		}
		return sp.writeTo(c)
	}
	sec.replaced, sec.record = false, rec
	cl := w.c.Client
	saved := cl.CommandTimeout
	if cl.SubmissionTimeout > 0 {
		cl.CommandTimeout = cl.SubmissionTimeout // the reply comes after the whole message
	}
	err := cl.Noop()
	cl.CommandTimeout = saved
	sec.replace, sec.record = nil, nil
	w.endSent = sec.replaced
	if err != nil {
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			_ = w.c.Close() // no reply: the session is out of step
		}
		w.err = err
		return "", err
	}
	return strings.TrimSpace(strings.ReplaceAll(rec.message(), "\n", " ")), nil
}

// contentSummary stands for message content that bypassed the tap.
func (t *transcript) contentSummary(lines int, tls bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emit(Sent, tls, fmt.Sprintf("(%d lines of message content not shown)", lines))
}
