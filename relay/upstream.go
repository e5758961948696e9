package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// DialHooks lets the relay watch an upstream dial: transcript lines (AUTH
// already redacted by checks) and stage progress (for `send` and the TUI).
type DialHooks struct {
	Transcript func(line string)
	Progress   func(checks.Event)
}

// UpstreamDialer opens one connection to the smart host that is past
// STARTTLS, certificate verification and AUTH, ready for MAIL FROM. It is
// always checks.Dial (see NewUpstreamDialer), so the relay does exactly
// what `relaywiz check` proved and sends the message content through
// checks.Conn.Body; tests point it at in-process fakes or wrap it.
// Failures should be *checks.StageError so the relay can say which step of
// the smart host connection broke.
type UpstreamDialer func(ctx context.Context, h DialHooks) (*checks.Conn, error)

// upstreamFailure turns a failed upstream dial into the reply the relay's
// client gets at MAIL FROM. It is always 4xx: the smart host being down,
// untrusted or refusing our credentials is a problem of this relay's set-up,
// not of the message, so a sender such as Exchange must keep the message
// queued and retry rather than bounce it. The text names the upstream, the
// stage and what it said, and the hint says what to do.
func upstreamFailure(upstream string, err error) *smtp.SMTPError {
	stage, _ := checks.StageOf(err)
	var se *checks.StageError
	hint := ""
	if errors.As(err, &se) {
		hint = se.Hint
	}
	cause := err
	if se != nil && se.Err != nil {
		cause = se.Err
	}
	enh := smtp.EnhancedCode{4, 4, 0}
	what := "cannot be used"
	switch stage {
	case checks.StageDNS:
		enh, what = smtp.EnhancedCode{4, 4, 3}, "name could not be resolved"
	case checks.StageConnect:
		enh, what = smtp.EnhancedCode{4, 4, 1}, "is unreachable"
	case checks.StageBanner, checks.StageEHLO:
		enh, what = smtp.EnhancedCode{4, 4, 2}, "did not greet properly"
	case checks.StageStartTLS, checks.StageTLS, checks.StageEHLOTLS:
		enh, what = smtp.EnhancedCode{4, 7, 5}, "failed the TLS step"
	case checks.StageAuth:
		enh, what = smtp.EnhancedCode{4, 7, 0}, "could not be logged in to the way the connector does it"
		if credentialsRefused(cause) {
			enh, what = smtp.EnhancedCode{4, 7, 8}, "refused relaywiz's authentication (check --user and the stored password)"
		}
	default:
		if errors.Is(err, context.DeadlineExceeded) {
			enh, what = smtp.EnhancedCode{4, 4, 2}, "did not answer in time"
		}
	}
	msg := fmt.Sprintf("relaywiz: upstream %s %s", upstream, what)
	if stage != "" {
		msg += fmt.Sprintf(" [stage %s]", stage)
	}
	msg += ": " + describeCause(cause)
	lines := []string{oneLine(msg)}
	if hint != "" {
		lines = append(lines, oneLine("hint: "+hint))
	}
	if se != nil && se.ExchangeError != "" {
		// The same smart host refuses Exchange's connector this way.
		lines = append(lines, oneLine("Exchange's queue will show: "+se.ExchangeError))
	}
	lines = append(lines, "Nothing was sent; the message can be retried once this is fixed")
	return &smtp.SMTPError{Code: 451, EnhancedCode: enh, Message: multiLine(enh, lines)}
}

// credentialsRefused reports whether the smart host said no to the user
// name and password (535, or 5.7.8 in any class). The auth stage also
// fails without STARTTLS, without an AUTH LOGIN line, on a malformed 334 or
// without a password: blaming the credentials then sends the admin to the
// wrong fix.
func credentialsRefused(err error) bool {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return false
	}
	return se.Code == 535 || (se.EnhancedCode[1] == 7 && se.EnhancedCode[2] == 8)
}

// multiLine joins reply lines for go-smtp, which writes the enhanced code
// only on the last line of a multi-line reply. RFC 2034 wants it on every
// line, and clients (go-smtp's included) parse it from the first, so the
// other lines get it here.
func multiLine(enh smtp.EnhancedCode, lines []string) string {
	code := fmt.Sprintf("%d.%d.%d ", enh[0], enh[1], enh[2])
	var b strings.Builder
	for i, l := range lines {
		if i < len(lines)-1 {
			b.WriteString(code + l + "\n")
		} else {
			b.WriteString(l)
		}
	}
	return b.String()
}

// describeCause prefers the smart host's own words (its reply code and text)
// over Go's error chain.
func describeCause(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return replyString(se)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out (" + err.Error() + ")"
	}
	return err.Error()
}

// replyString renders an SMTP reply the way it appeared on the wire.
func replyString(se *smtp.SMTPError) string {
	s := fmt.Sprintf("%d", se.Code)
	msg := se.Message
	if se.EnhancedCode != smtp.EnhancedCodeNotSet && se.EnhancedCode != smtp.NoEnhancedCode {
		code := fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		s += " " + code
		// Lines prefixed by multiLine carry the code already.
		msg = strings.TrimPrefix(strings.ReplaceAll(msg, "\n"+code+" ", "\n"), code+" ")
	}
	if msg != "" {
		s += " " + msg
	}
	return oneLine(s)
}

// replyFirstLine is replyString for logs and summaries: a multi-line reply
// (the relay's own carry a hint line) is cut to its first line.
func replyFirstLine(se *smtp.SMTPError) string {
	msg, _, _ := strings.Cut(se.Message, "\n")
	return replyString(&smtp.SMTPError{Code: se.Code, EnhancedCode: se.EnhancedCode, Message: msg})
}

// upstreamLost is the reply when the smart host connection broke without
// an SMTP reply during a transaction (not a refusal, so the client should
// retry).
func upstreamLost(upstream, during string, err error) *smtp.SMTPError {
	return &smtp.SMTPError{
		Code:         451,
		EnhancedCode: smtp.EnhancedCode{4, 4, 2},
		Message:      oneLine(fmt.Sprintf("relaywiz: connection to upstream %s lost during %s: %v; the message was not delivered, retry", upstream, during, err)),
	}
}

// unexpectedReply is the relay's answer when the smart host replied
// positively out of turn before the message could have been taken (e.g.
// 250 to DATA): nothing was delivered, so the client may simply retry.
func unexpectedReply(upstream, during string, se *smtp.SMTPError) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 5, 0}, Message: oneLine(fmt.Sprintf(
		"relaywiz: upstream %s answered %s with an unexpected %q; the message was not delivered, retry", upstream, during, replyString(se)))}
}

// unknownFate is the relay's answer when the smart host's reply to the
// end of the message is neither an acceptance nor a refusal: it may or may
// not have kept the message, so the client must retry (4xx), knowing that
// may duplicate it.
func unknownFate(upstream, during string, se *smtp.SMTPError) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 5, 0}, Message: oneLine(fmt.Sprintf(
		"relaywiz: upstream %s answered %s with %q instead of 250; it may or may not have been delivered, a retry may duplicate it", upstream, during, replyString(se)))}
}

// oneLine keeps a reply text on one line and within the 512-octet reply
// limit of RFC 5321 (we leave room for the code).
func oneLine(s string) string {
	s = strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
	if len(s) > 480 {
		s = s[:477] + "..."
	}
	return s
}

var queuedAs = regexp.MustCompile(`(?i)queued as ([A-Za-z0-9][A-Za-z0-9._@<>-]*)`)

// parseDataReply splits the upstream's final reply text (as go-smtp's
// CloseWithResponse returns it: "2.0.0 Ok: queued as 4Xyz") into the
// enhanced code and the text, and picks out the queue id when the server
// says "queued as ID" (Postfix, Exim, Sendmail, our lab).
func parseDataReply(status string) (enh smtp.EnhancedCode, text, queueID string) {
	enh, text = smtp.EnhancedCode{2, 0, 0}, strings.TrimSpace(status)
	if code, rest, ok := strings.Cut(text, " "); ok {
		var a, b, c int
		if n, _ := fmt.Sscanf(code, "%d.%d.%d", &a, &b, &c); n == 3 && a == 2 {
			enh, text = smtp.EnhancedCode{a, b, c}, rest
		}
	}
	if m := queuedAs.FindStringSubmatch(text); m != nil {
		queueID = strings.TrimRight(m[1], ".")
	}
	return enh, oneLine(text), queueID
}
