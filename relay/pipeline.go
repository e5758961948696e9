package relay

import (
	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// Pipelining upstream (what Exchange's send connector does when the smart
// host offers PIPELINING): the relay answers its client's MAIL FROM with
// 250 at once, after the upstream connection is ready, and keeps the
// sender. The client's first RCPT TO then goes upstream as one write —
// RSET (when the connection's last transaction was left open), MAIL FROM,
// RCPT TO — and the replies are mapped back:
//
//   - MAIL accepted: the RCPT's own reply is the client's answer, as
//     without pipelining.
//   - MAIL refused with a reply: the RCPT reply in that batch is moot; the
//     client's RCPT gets the MAIL refusal's code (a 550 stays a 550, a 451
//     a 451), its text saying that it was the sender, and so does every
//     further RCPT until RSET or a new MAIL. The transaction is recorded as
//     ended at StepMail. An unexpected positive reply (251, 221) or a lost
//     connection answers 451: nothing was delivered.
//   - On a connection kept from an earlier message (pooled, or this
//     session's previous transaction), any MAIL or RSET failure is retried
//     once on a fresh dial before the client hears anything, as without
//     pipelining.
//
// The early 250 to MAIL therefore never stands for a delivery: a message
// is accepted only by the 250 to its end of data, which the relay gives
// only after the smart host's, and a client cannot get there without an
// accepted RCPT, which needs the smart host's 250 to the MAIL. Later
// recipients go one round trip each: go-smtp hands the relay one client
// command at a time.
type pendingMail struct {
	from  string
	size  int64
	fresh bool // the connection was dialled for this MAIL
}

// pipelinedRcpt sends the deferred MAIL FROM with this first RCPT TO.
func (s *session) pipelinedRcpt(to string) error {
	p := s.pending
	s.pending = nil
	up := s.currentUpstream()
	r := s.envelope(up, p, to)
	if (r.Reset != nil || r.Mail != nil) && !p.fresh {
		// Kept from an earlier transaction: it may have been dropped by
		// the smart host or be out of step. Dial once more; a real
		// refusal of the sender comes again on the fresh connection.
		s.dropUpstream()
		var err error
		if up, _, err = s.upstream(); err != nil {
			return s.finish(StepMail, upstreamFailure(s.upstreamName(), err), err)
		}
		r = s.envelope(up, p, to)
	}
	if r.Mail == nil && r.Reset != nil && !isReply(r.Reset) {
		r.Mail = r.Reset
	}
	if r.Mail != nil {
		return s.mailRefusedAtRcpt(r.Mail)
	}
	if s.conn != nil {
		s.conn.setTxn(true)
	}
	if err := r.Rcpt[0]; err != nil {
		if se, ok := err.(*smtp.SMTPError); ok && se.Code >= 400 {
			s.refuseRcpt(to, replyString(se))
			return se
		}
		return s.refusedEnd(StepRcpt, err)
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) envelope(up *upstreamConn, p *pendingMail, to string) checks.EnvelopeReplies {
	reset := up.dirty
	up.dirty = true
	return up.MailRcpt(reset, p.from, &smtp.MailOptions{Size: p.size}, []string{to})
}

// mailRefusedAtRcpt answers the first RCPT for a sender the smart host did
// not take, and ends the transaction.
func (s *session) mailRefusedAtRcpt(err error) error {
	se, ok := err.(*smtp.SMTPError)
	if !ok || se.Code < 400 {
		return s.refusedEnd(StepMail, err) // 451: lost, or out of step
	}
	if s.msg != nil {
		s.msg.UpstreamReply = replyString(se)
	}
	reply := &smtp.SMTPError{Code: se.Code, EnhancedCode: se.EnhancedCode, Message: oneLine(
		"relaywiz: upstream " + s.upstreamName() + " refused the sender (MAIL FROM, sent pipelined with this RCPT): " + replyString(se))}
	s.mailRefused = reply
	return s.finish(StepMail, reply, err)
}
