package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// session is one go-smtp session of the relay: it opens the upstream
// connection when the client's transaction begins (MAIL FROM) and then
// mirrors each step upstream, so every reply the client gets is the smart
// host's own or names the smart host's problem.
//
// go-smtp calls the methods from the connection's goroutine, with two
// exceptions: Server.Close may call Logout from another goroutine while a
// command runs, and with BDAT Data runs on its own goroutine, which go-smtp
// does not wait for when the client sends RSET (or an oversize chunk, or
// hangs up): the connection's goroutine goes on with Reset, MAIL, Logout
// while Data is still aborting. So Data's run is observable (dataDone,
// under mu) and every other method waits for it before touching the
// transaction state (inTxn, msg, msgStart); busy marks Mail/Rcpt for a
// Logout from another goroutine.
type session struct {
	srv          *Server
	conn         *trackedConn // nil only if the listener was bypassed
	tls          bool
	user         string // client AUTH user (remote mode)
	upTranscript func(string)
	ctx          context.Context // cancelled by Logout: aborts a dial in progress
	cancel       context.CancelFunc

	mu        sync.Mutex
	up        *upstreamConn
	busy      bool          // inside Mail/Rcpt (the connection's goroutine)
	dataDone  chan struct{} // non-nil while Data runs; closed when it returns
	loggedOut bool

	// The transaction: owned by whichever of Mail/Rcpt/Reset/Logout or
	// Data runs, never both at once (see waitData).
	inTxn    bool           // the client's MAIL was accepted and no final reply yet
	msg      *MessageRecord // the transaction being relayed
	msgStart time.Time
	// pending: the client's MAIL FROM, answered 250 but not yet sent
	// upstream, because the smart host pipelines: it goes out with the
	// first RCPT TO in one write (see pipeline.go).
	pending *pendingMail
	// mailRefused: the smart host refused the pipelined MAIL FROM; every
	// further RCPT of this client transaction gets the same answer.
	mailRefused *smtp.SMTPError
}

// dataWaitLimit bounds how long a command waits for an aborting Data. The
// abort only closes the upstream socket, so it is quick; the bound keeps a
// wedged upstream write from holding the client's session forever.
const dataWaitLimit = 10 * time.Second

var (
	errClientAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required (this relay accepts remote clients only after AUTH)"}
	errClientNeedsTLS     = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first, then AUTH"}
	errShuttingDown       = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "relaywiz is shutting down"}
	errStillAborting      = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "relaywiz is still closing the previous message's smart host transfer; try again"}
	errDraining           = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "relaywiz is stopping (--once: one message was relayed); no new messages"}
)

// enter marks the session busy for Mail or Rcpt, after any Data still
// running on go-smtp's BDAT goroutine has returned. It fails once Logout
// has run.
func (s *session) enter() *smtp.SMTPError {
	if !s.waitData() {
		return errStillAborting
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loggedOut {
		return errShuttingDown
	}
	s.busy = true
	return nil
}

// enterData marks Data running; leaveData ends that.
func (s *session) enterData() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loggedOut {
		return false
	}
	s.dataDone = make(chan struct{})
	return true
}

func (s *session) leaveData() {
	s.mu.Lock()
	close(s.dataDone)
	s.dataDone = nil
	s.mu.Unlock()
}

// waitData waits (at most dataWaitLimit) until no Data call is running,
// and reports whether that is so. Closing dataDone orders everything Data
// did before whatever the caller does next.
func (s *session) waitData() bool {
	s.mu.Lock()
	done := s.dataDone
	s.mu.Unlock()
	if done == nil {
		return true
	}
	t := time.NewTimer(dataWaitLimit)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

func (s *session) leave() {
	s.mu.Lock()
	s.busy = false
	s.mu.Unlock()
}

func (s *session) upstreamName() string { return s.srv.opts.UpstreamName }

// AuthMechanisms: AUTH is offered only when clients must authenticate
// (remote mode); go-smtp advertises it only over TLS.
func (s *session) AuthMechanisms() []string {
	if !s.srv.requireAuth {
		return nil
	}
	return authMechanisms
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if !s.srv.requireAuth {
		return nil, smtp.ErrAuthUnsupported
	}
	check := s.throttled(credentialCheck(s.srv.opts.ClientUser, s.srv.opts.ClientPassword))
	return saslServerFor(mech, check, func(u string) {
		s.user = u
		if s.conn != nil {
			s.conn.setUser(u)
		}
	})
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.srv.draining.Load() {
		return errDraining
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if s.inTxn {
		// go-smtp lets a second MAIL through; the upstream would refuse it
		// anyway, and the first transaction's record must not be lost.
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Nested MAIL command: finish this message or send RSET first"}
	}
	s.mailRefused = nil
	s.msg, s.msgStart = &MessageRecord{From: from}, time.Now()
	if opts != nil {
		s.msg.Size = opts.Size
	}
	if s.srv.requireAuth && s.user == "" {
		if !s.tls {
			return s.finish(StepMail, errClientNeedsTLS, nil)
		}
		return s.finish(StepMail, errClientAuthRequired, nil)
	}
	if err := validateSender(from); err != nil {
		return s.finish(StepMail, err.(*smtp.SMTPError), nil)
	}
	var size int64
	if opts != nil && opts.Size > 0 {
		// SIZE is an estimate (RFC 1870); ours adds the Received line.
		size = opts.Size + receivedAllowance
	}
	up, fresh, err := s.upstream()
	if err != nil {
		reply := upstreamFailure(s.upstreamName(), err)
		return s.finish(StepMail, reply, err)
	}
	if up.Pipelines() {
		// Deferred: the client hears the smart host's verdict on the
		// sender with its first RCPT (pipeline.go explains the mapping).
		s.pending = &pendingMail{from: from, size: size, fresh: fresh}
		s.inTxn = true
		if s.conn != nil {
			s.conn.setTxn(true)
		}
		return nil
	}
	up.dirty = true
	err = up.Client.Mail(from, &smtp.MailOptions{Size: size})
	if err != nil && !fresh {
		// A connection kept from an earlier message may have been closed
		// by the smart host in the meantime, or be out of step in a way
		// the pool could not see: whatever it answered, dial once more
		// before telling the client anything. A real refusal (the sender
		// is not allowed) comes again on the fresh connection.
		s.dropUpstream()
		if up, _, err = s.upstream(); err != nil {
			return s.finish(StepMail, upstreamFailure(s.upstreamName(), err), err)
		}
		up.dirty = true
		err = up.Client.Mail(from, &smtp.MailOptions{Size: size})
	}
	if err != nil {
		return s.refusedEnd(StepMail, err)
	}
	s.inTxn = true
	if s.conn != nil {
		s.conn.setTxn(true)
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := validateRecipient(to); err != nil {
		s.refuseRcpt(to, "")
		return err
	}
	if s.mailRefused != nil {
		s.refuseRcpt(to, "")
		return s.mailRefused
	}
	up := s.currentUpstream()
	if up == nil || s.msg == nil {
		return upstreamLost(s.upstreamName(), "RCPT TO", errors.New("no upstream connection; send RSET and start again"))
	}
	if s.pending != nil {
		return s.pipelinedRcpt(to)
	}
	if err := up.Client.Rcpt(to, nil); err != nil {
		if se, ok := err.(*smtp.SMTPError); ok && se.Code >= 400 {
			// One refused recipient does not end the transaction; pass the
			// smart host's reply through unchanged (a 550 stays a 550).
			s.refuseRcpt(to, replyString(se))
			return se
		}
		return s.refusedEnd(StepRcpt, err)
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) refuseRcpt(to, upstreamReply string) {
	if s.msg == nil {
		return
	}
	s.msg.Refused = append(s.msg.Refused, to)
	if upstreamReply != "" {
		s.msg.UpstreamReply = upstreamReply
	}
}

func (s *session) Data(r io.Reader) error {
	if !s.enterData() {
		return errShuttingDown
	}
	defer s.leaveData()
	if s.conn != nil {
		s.conn.contentStarts() // the content's reads get a moving deadline
	}
	up := s.currentUpstream()
	if up == nil || s.msg == nil {
		return upstreamLost(s.upstreamName(), "DATA", errors.New("no upstream connection"))
	}
	w, err := up.Body()
	if err != nil {
		return s.refusedEnd(StepData, err)
	}
	// Like every MTA, add our own trace line on top (RFC 5321 4.4): the
	// headers command and a support engineer can then see this hop. Then
	// stream the body straight through: go-smtp's reader removes the
	// client's dot-stuffing and enforces MaxMessageBytes; checks' body
	// writer dot-stuffs it again a line at a time (go-smtp's own DATA
	// writer works a byte at a time, the relay's main cost for large
	// messages). Memory stays at pipeCopy's and the writer's few blocks
	// whatever the message size.
	var n int64
	var readErr error
	_, writeErr := io.WriteString(w, s.received())
	if writeErr == nil {
		n, readErr, writeErr = pipeCopy(w, r)
	}
	s.msg.Size = n
	if readErr == nil && s.conn != nil && s.conn.clientGone() {
		// A BDAT chunk cut short by a hang-up reaches us as a clean end.
		readErr = errClientGone
	}
	if err = readErr; err == nil {
		err = writeErr
	}
	if err != nil {
		// Abort without the final ".": the smart host discards a
		// transaction whose connection drops mid-DATA. Committing here
		// would deliver a truncated message.
		w.Abort()
		s.dropUpstream()
		var reply *smtp.SMTPError
		if errors.Is(readErr, smtp.ErrTooLongLine) {
			// Not abandoned: the client sent a message no smart host has
			// to take. Permanent, because resending it fails the same way.
			reply = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: fmt.Sprintf(
				"relaywiz: the message has a line longer than %d bytes (RFC 5321 allows 998 characters and CRLF); nothing was delivered. Encode long lines (quoted-printable or base64)", maxClientLine)}
			return s.finish(StepData, reply, fmt.Errorf("the message has a line longer than %d bytes: %w", maxClientLine, readErr))
		}
		if readErr != nil {
			if se, ok := readErr.(*smtp.SMTPError); ok {
				reply = se // 552 5.3.4 when over MaxMessageBytes
			} else {
				// The client hung up, sent RSET or stalled: it ended the
				// transaction itself, so it is abandoned, not answered.
				// go-smtp may still try to write this reply.
				reply = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2},
					Message: oneLine("relaywiz: reading the message from the client failed: " + readErr.Error() + "; nothing was delivered")}
				return s.finish(StepAbandoned, reply, fmt.Errorf("the client ended the transaction during the message content (%w); nothing was delivered", readErr))
			}
		} else {
			reply = upstreamLost(s.upstreamName(), "DATA", writeErr)
		}
		return s.finish(StepData, reply, err)
	}
	status, err := w.Commit()
	if err != nil {
		if se, ok := err.(*smtp.SMTPError); ok && se.Code >= 400 {
			return s.finish(StepDot, se, err)
		}
		if se, ok := err.(*smtp.SMTPError); ok {
			// Anything but 250 to the final "." (a 251, a 221, a 354) is
			// no acceptance the client may be told about: whether the
			// smart host kept the message is unknown.
			s.dropUpstream()
			s.msg.UpstreamReply = replyString(se)
			return s.finish(StepDot, unknownFate(s.upstreamName(), "the end of the message", se), err)
		}
		s.dropUpstream()
		if !w.EndSent() {
			// Broken before the final "." left: certainly not delivered.
			return s.finish(StepData, upstreamLost(s.upstreamName(), "DATA", err), err)
		}
		reply := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: oneLine(
			"relaywiz: upstream " + s.upstreamName() + " did not confirm the message (" + err.Error() +
				"); it may or may not have been delivered, a retry may duplicate it")}
		return s.finish(StepDot, reply, err)
	}
	enh, text, queueID := parseDataReply(status)
	s.msg.QueueID = queueID
	s.msg.UpstreamReply = replyString(&smtp.SMTPError{Code: 250, EnhancedCode: enh, Message: text})
	// go-smtp writes any *SMTPError it gets as the reply, a 250 included:
	// that is how the client sees the smart host's own text and queue id.
	reply := &smtp.SMTPError{Code: 250, EnhancedCode: enh, Message: oneLine(text + " (relayed by relaywiz to " + s.upstreamName() + ")")}
	up.dirty = false
	s.msg.Accepted = true
	return s.finish(StepDone, reply, nil)
}

// maxClientLine is the longest line, CRLF included, taken from a client.
const maxClientLine = 1000

// errClientGone: the client's connection ended before the message did.
var errClientGone = errors.New("the client's connection ended before the end of the message")

// receivedAllowance is what the relay's Received line adds to a message.
const receivedAllowance = 512

// received is the relay's Received header for the current message.
func (s *session) received() string {
	helo, ip, id := "unknown", "unknown", "0"
	if s.conn != nil {
		s.conn.mu.Lock()
		helo = s.conn.helo
		s.conn.mu.Unlock()
		if ta, ok := s.conn.RemoteAddr().(*net.TCPAddr); ok {
			ip = ta.IP.String()
		}
		id = fmt.Sprintf("%d.%d", s.conn.id, s.conn.messageCount()+1)
	}
	with := "ESMTP"
	if s.tls {
		with += "S"
	}
	if s.user != "" {
		with += "A"
	}
	return receivedHeader(helo, ip, s.srv.opts.Hostname, "relaywiz relay", with, id, s.msg.To, time.Now())
}

// refusedEnd ends the transaction at step after the upstream said no or the
// connection broke. An *smtp.SMTPError from the smart host goes back to
// the client unwrapped, so its code and enhanced code survive.
func (s *session) refusedEnd(step string, err error) error {
	if se, ok := err.(*smtp.SMTPError); ok && se.Code < 400 {
		// A positive reply where go-smtp expected another one (250 to
		// DATA instead of 354, 251 to MAIL, 221 anywhere): the smart
		// host is out of step. Passing it on would tell the client
		// "accepted" for a step that did not happen (after DATA the
		// client already has our 354 and its body was never sent on), so
		// drop the connection and answer 451: nothing was delivered.
		if s.msg != nil {
			s.msg.UpstreamReply = replyString(se)
		}
		s.dropUpstream()
		return s.finish(step, unexpectedReply(s.upstreamName(), stepCommand(step), se), err)
	}
	if se, ok := err.(*smtp.SMTPError); ok {
		if s.msg != nil {
			s.msg.UpstreamReply = replyString(se)
		}
		if step != StepMail {
			// The upstream transaction may still be open (e.g. DATA refused
			// after RCPT): RSET it so the connection can be reused.
			s.inTxn = true
			s.resetUpstream()
		}
		return s.finish(step, se, err)
	}
	s.dropUpstream()
	return s.finish(step, upstreamLost(s.upstreamName(), stepCommand(step), err), err)
}

func stepCommand(step string) string {
	switch step {
	case StepMail:
		return "MAIL FROM"
	case StepRcpt:
		return "RCPT TO"
	case StepDot:
		return "end of DATA"
	}
	return "DATA"
}

// finish records the end of the current transaction and returns reply,
// which go-smtp writes to the client as is. Unless the client abandoned the
// transaction, this is its final reply: OnMessage hears of it.
func (s *session) finish(step string, reply *smtp.SMTPError, err error) error {
	s.inTxn = false
	s.pending = nil
	if s.conn != nil {
		s.conn.setTxn(false)
	}
	if s.msg != nil {
		m := *s.msg
		m.Step = step
		if reply != nil {
			m.Reply = replyFirstLine(reply)
		}
		m.Err = err
		if stage, ok := checks.StageOf(err); ok {
			m.UpstreamStage = stage
		}
		m.Duration = time.Since(s.msgStart)
		if s.conn != nil {
			m.Session = s.conn.id
			s.conn.addMessage(m)
		}
		s.msg = nil
		if step != StepAbandoned && s.srv.opts.OnMessage != nil {
			s.srv.opts.OnMessage(m)
		}
	}
	if reply == nil {
		return nil // avoid a typed nil in the error interface
	}
	return reply
}

// abandon records a transaction the client gave up on (RSET, QUIT,
// disconnect) before the final reply.
func (s *session) abandon() {
	if s.msg == nil {
		return
	}
	s.finish(StepAbandoned, nil, errors.New("the client ended the transaction before DATA completed"))
}

func (s *session) Reset() {
	// With BDAT (CHUNKING, which Exchange uses) go-smtp runs Data on its
	// own goroutine and may reset the session (RSET, an oversize chunk)
	// while it runs. The reset has closed Data's reader, so Data fails,
	// drops the upstream connection without committing and records the
	// outcome: wait for that. Should it not finish in time, leave the
	// transaction to it; touching the upstream here as well would
	// interleave two commands.
	if !s.waitData() {
		return
	}
	s.mailRefused = nil
	if s.pending != nil {
		// The deferred MAIL never left: upstream has nothing to reset.
		s.pending, s.inTxn = nil, false
	} else if s.inTxn {
		s.resetUpstream()
	}
	s.abandon()
}

func (s *session) resetUpstream() {
	s.inTxn = false
	if up := s.currentUpstream(); up != nil {
		if up.Pipelines() {
			// Left dirty: the RSET goes out in front of the next MAIL
			// and RCPT, in the same write, or before the pool parks it.
			return
		}
		if err := up.Reset(); err != nil {
			s.dropUpstream()
			return
		}
		up.dirty = false
	}
}

// Logout ends the session. On a normal QUIT it runs on the connection's
// goroutine and says QUIT upstream. During Server.Close it may run while
// Mail or Data is in progress on the other goroutine, and with BDAT while
// Data runs on its own: then it only cancels the dial and closes the
// upstream socket, which makes the running command fail without committing
// anything, and leaves the rest to that command.
func (s *session) Logout() error {
	s.cancel()
	s.mu.Lock()
	busy, data := s.busy, s.dataDone != nil
	s.loggedOut = true
	up := s.up
	s.up = nil
	s.mu.Unlock()
	if busy || data {
		if up != nil {
			up.Close()
		}
		if data {
			// Data records the message, and the session line is written
			// once Logout returns: let it finish first. Its message cannot
			// complete any more (the upstream is closed); hanging up on
			// the client unblocks a DATA upload it may be waiting for
			// (a BDAT reader is closed by go-smtp already).
			if s.conn != nil {
				s.conn.hangUp()
			}
			s.waitData()
		}
		return nil
	}
	s.abandon()
	s.inTxn = false
	if up != nil {
		// The pool parks it only once RSET proved it clean (put): a
		// transaction left open here (MAIL, RCPT, QUIT) would make every
		// later message fail with "nested MAIL command".
		s.srv.pool.put(up)
	}
	return nil
}

// upstream returns the session's upstream connection, a parked one from
// the pool, or a new one (fresh: just dialled, so an error on it is real).
func (s *session) upstream() (up *upstreamConn, fresh bool, err error) {
	if up := s.currentUpstream(); up != nil {
		return up, false, nil
	}
	if up = s.srv.pool.get(); up == nil {
		up = &upstreamConn{}
		hooks := DialHooks{Progress: s.srv.opts.OnUpstreamProgress}
		if s.upTranscript != nil {
			hooks.Transcript = up.logLine
		}
		up.transcript.Store(&s.upTranscript)
		ctx, cancel := context.WithTimeout(s.ctx, s.srv.opts.UpstreamTimeout)
		up.Conn, err = s.srv.opts.Upstream(ctx, hooks)
		cancel()
		if err != nil {
			return nil, false, err
		}
		// Bound every later upstream step so the client always gets its
		// reply before it gives up itself (RFC 5321 4.5.3.2: 5 minutes
		// for MAIL/RCPT, 10 for the final reply).
		up.Client.CommandTimeout = s.srv.opts.UpstreamCommandTimeout
		up.Client.SubmissionTimeout = s.srv.opts.UpstreamDataTimeout
		fresh = true
	} else {
		up.transcript.Store(&s.upTranscript)
		if s.upTranscript != nil {
			s.upTranscript("== reusing an open, authenticated connection")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loggedOut {
		up.Close()
		return nil, false, errShuttingDown
	}
	s.up = up
	return up, fresh, nil
}

func (s *session) currentUpstream() *upstreamConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up
}

// dropUpstream closes the upstream connection without a QUIT (it is
// broken, or must not see the end of the message) and forgets it.
func (s *session) dropUpstream() {
	s.mu.Lock()
	up := s.up
	s.up = nil
	s.mu.Unlock()
	if up != nil {
		up.Close()
	}
}

func replyCode(err error) int {
	if se, ok := err.(*smtp.SMTPError); ok {
		return se.Code
	}
	return 0
}

func isReply(err error) bool {
	_, ok := err.(*smtp.SMTPError)
	return ok
}
