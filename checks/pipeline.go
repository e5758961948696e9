package checks

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Pipelines reports whether MailRcpt sends its commands as one batch: an
// Exchange dialect and a smart host offering PIPELINING (RFC 2920), which
// is what Exchange's send connector does then for RSET, MAIL FROM and
// RCPT TO. The generic dialect keeps one command per round trip.
func (c *Conn) Pipelines() bool {
	if c.s == nil || c.s.secure == nil || !c.s.dialect.Exchange() {
		return false
	}
	ok, _ := c.Client.Extension("PIPELINING")
	return ok
}

// EnvelopeReplies are the smart host's answers to one MailRcpt batch.
type EnvelopeReplies struct {
	// Pipelined: the commands left in one write, before any reply was read.
	Pipelined bool
	// Reset is the answer to the leading RSET, when one was asked for.
	Reset error
	// Mail is the answer to MAIL FROM (nil: 250).
	Mail error
	// Rcpt has one answer per recipient (nil: accepted), only when MAIL
	// FROM was accepted: after a refused MAIL the RCPT replies are moot
	// (the server has no transaction to add them to) and are discarded.
	Rcpt []error
}

// MailRcpt opens a transaction: RSET first when reset is set (a
// transaction may still be open), then MAIL FROM and RCPT TO for each of
// to. When Pipelines, all of it leaves in one write and the replies are
// read afterwards in order, as Exchange does; otherwise one command at a
// time, stopping at the first refusal of RSET or MAIL. A reply is an
// *smtp.SMTPError; any other error means the connection broke or is out of
// step, and it is closed.
func (c *Conn) MailRcpt(reset bool, from string, opts *smtp.MailOptions, to []string) EnvelopeReplies {
	var r EnvelopeReplies
	mail, ok := c.mailCommand(from, opts)
	if !ok || !c.Pipelines() || !plainLines(append([]string{from}, to...)) {
		if reset {
			if r.Reset = c.Reset(); r.Reset != nil {
				return r
			}
		}
		if r.Mail = c.Client.Mail(from, opts); r.Mail != nil {
			return r
		}
		for _, t := range to {
			err := c.Client.Rcpt(t, nil)
			r.Rcpt = append(r.Rcpt, err)
			if err != nil && !isSMTPReply(err) {
				break // the connection is gone; the rest were never sent
			}
		}
		return r
	}
	var batch []aheadCmd
	if reset {
		batch = append(batch, rsetAhead)
	}
	batch = append(batch, aheadCmd{wire: mail, stand: mail})
	for _, t := range to {
		line := []byte("RCPT TO:<" + t + ">\r\n") // what go-smtp writes without RcptOptions
		batch = append(batch, aheadCmd{wire: line, stand: line})
	}
	if err := c.sendAhead(batch); err != nil {
		r.Mail = err
		return r
	}
	r.Pipelined = true
	// go-smtp now reads each reply with its own reader, timeouts and reply
	// caps; its writes are matched against the batch and not sent again.
	broken := func(err error) bool {
		if err != nil && !isSMTPReply(err) {
			_ = c.Close()
			return true
		}
		return false
	}
	if reset {
		if r.Reset = c.Client.Noop(); broken(r.Reset) {
			c.s.secure.ahead = nil
			r.Mail = r.Reset
			return r
		}
	}
	if r.Mail = c.Client.Mail(from, opts); broken(r.Mail) {
		c.s.secure.ahead = nil
		return r
	}
	var rcpts []error
	for _, t := range to {
		err := c.Client.Rcpt(t, nil)
		rcpts = append(rcpts, err)
		if broken(err) {
			c.s.secure.ahead = nil
			for len(rcpts) < len(to) {
				rcpts = append(rcpts, err) // never answered
			}
			break
		}
	}
	if len(c.s.secure.ahead) > 0 {
		// go-smtp did not write what was sent: never read on out of step.
		c.s.secure.ahead = nil
		_ = c.Close()
		err := errors.New("pipelined commands out of step with the client library")
		if r.Mail == nil {
			r.Mail = err
		}
		return r
	}
	if r.Mail == nil {
		r.Rcpt = rcpts
	}
	return r
}

// Reset aborts any open transaction with RSET. In the Exchange dialects it
// does so without the new EHLO that go-smtp's Client.Reset sends with the
// next command, as Exchange does not greet again after RSET; generic keeps
// go-smtp's behaviour.
func (c *Conn) Reset() error {
	if c.s == nil || c.s.secure == nil || !c.s.dialect.Exchange() {
		return c.Client.Reset()
	}
	if err := c.sendAhead([]aheadCmd{rsetAhead}); err != nil {
		return err
	}
	err := c.Client.Noop() // reads RSET's reply
	c.s.secure.ahead = nil
	if err != nil && !isSMTPReply(err) {
		_ = c.Close()
	}
	return err
}

// aheadCmd is a command already written by relaywiz: wire is what went
// out, stand what go-smtp writes when it is then called to read the reply
// (RSET rides on go-smtp's Noop, which does not forget the EHLO).
type aheadCmd struct{ wire, stand []byte }

var rsetAhead = aheadCmd{wire: []byte("RSET\r\n"), stand: []byte("NOOP\r\n")}

// sendAhead writes the batch in one write (one TLS record, one TCP
// segment for a short batch) and arms the secure connection to swallow
// go-smtp's writes of the same commands.
func (c *Conn) sendAhead(batch []aheadCmd) error {
	sec := c.s.secure
	var all []byte
	for _, b := range batch {
		c.s.tap.sent(b.wire, true)
		all = append(all, b.wire...)
	}
	if t := c.Client.CommandTimeout; t > 0 {
		_ = sec.SetWriteDeadline(time.Now().Add(t))
		defer sec.SetWriteDeadline(time.Time{})
	}
	if _, err := sec.Conn.Write(all); err != nil {
		_ = c.Close()
		return fmt.Errorf("sending the pipelined commands: %w", err)
	}
	sec.ahead = batch
	return nil
}

// mailCommand is the MAIL FROM line go-smtp's Client.Mail writes for these
// options, for the options relaywiz uses (SIZE); ok is false for any other
// option, which then goes the unpipelined way. The write is compared with
// what go-smtp really writes (wireConn.Write), so a difference can never
// put the session out of step unnoticed.
func (c *Conn) mailCommand(from string, opts *smtp.MailOptions) ([]byte, bool) {
	if opts != nil && (opts.RequireTLS || opts.UTF8 || opts.Return != "" || opts.EnvelopeID != "" || opts.Auth != nil) {
		return nil, false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "MAIL FROM:<%s>", from)
	if ok, _ := c.Client.Extension("8BITMIME"); ok {
		b.WriteString(" BODY=8BITMIME")
	}
	if ok, _ := c.Client.Extension("SIZE"); ok && opts != nil && opts.Size != 0 {
		fmt.Fprintf(&b, " SIZE=%v", opts.Size)
	}
	b.WriteString("\r\n")
	return []byte(b.String()), true
}

// plainLines: no CR or LF that go-smtp would refuse before writing.
func plainLines(ss []string) bool {
	for _, s := range ss {
		if strings.ContainsAny(s, "\r\n") {
			return false
		}
	}
	return true
}

func isSMTPReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// swallow matches one of go-smtp's writes against the batch already sent.
func (w *wireConn) swallow(p []byte) (int, error) {
	a := w.ahead[0]
	w.ahead = w.ahead[1:]
	if !bytes.Equal(p, a.stand) {
		w.ahead = nil
		return 0, fmt.Errorf("pipelined commands out of step: the client library wrote %q where %q had been sent", strings.TrimSpace(string(p)), strings.TrimSpace(string(a.wire)))
	}
	return len(p), nil
}
