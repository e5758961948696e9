package checks

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// loginClient is a SASL LOGIN client (draft-murchison-sasl-login) as
// Exchange's send connector speaks it. go-sasl has one, but it insists on
// the exact challenge "Password:" after sending the user name as initial
// response; servers that prompt "Username:" first, or use other wording
// (as several appliances do), would fail. This one answers by prompt
// when it can and by position otherwise, and still sends the user name as
// initial response to save a round trip.
type loginClient struct {
	user, pass string
	step       int
}

func newLoginClient(user, pass string) sasl.Client { return &loginClient{user: user, pass: pass} }

func (c *loginClient) Start() (string, []byte, error) {
	return sasl.Login, []byte(c.user), nil
}

func (c *loginClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	p := bytes.ToLower(bytes.TrimSpace(challenge))
	switch {
	case bytes.HasPrefix(p, []byte("user")):
		return []byte(c.user), nil
	case bytes.HasPrefix(p, []byte("pass")):
		return []byte(c.pass), nil
	case c.step == 1:
		return []byte(c.pass), nil
	}
	return nil, sasl.ErrUnexpectedServerChallenge
}

// chooseMechanism picks LOGIN when offered (what Exchange uses), else
// PLAIN; "" when neither is offered.
func chooseMechanism(mechs []string) string {
	has := func(m string) bool {
		for _, x := range mechs {
			if strings.EqualFold(x, m) {
				return true
			}
		}
		return false
	}
	switch {
	case has(sasl.Login):
		return sasl.Login
	case has(sasl.Plain):
		return sasl.Plain
	}
	return ""
}

func saslClient(mech, user string, pass []byte) sasl.Client {
	if mech == sasl.Login {
		return newLoginClient(user, string(pass))
	}
	return sasl.NewPlainClient("", user, string(pass))
}

// classifyAuthError tells bad credentials from a temporary failure and
// from a broken exchange, and picks the hint.
func classifyAuthError(err error) (AuthStatus, string, string) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		detail := replyText(se)
		switch {
		case se.Code == 454 || se.Temporary():
			return AuthUnavailable, "temporary failure: " + detail, replyHint(err, hintAuthTemporary())
		case se.Code == 535:
			// The catalogue knows the vendor-specific 535s (5.7.139 ...);
			// a plain 535 5.7.8 gets our own, more concrete sentence.
			h := HintFor(err)
			if h == "" || se.EnhancedCode == (smtp.EnhancedCode{5, 7, 8}) {
				h = hintAuthBadCredentials()
			}
			return AuthFailed, "credentials rejected: " + detail, h
		case se.Code == 504:
			return AuthUnavailable, "mechanism refused: " + detail, replyHint(err, hintAuthNotOffered(nil))
		default:
			return AuthFailed, "rejected: " + detail, replyHint(err, hintAuthProtocol())
		}
	}
	// No reply at all (reset, closed, timed out): nothing was said about
	// the credentials, so this must not read as "wrong password".
	return AuthUnavailable, "the connection broke during AUTH, before the server answered (" + err.Error() + ")", hintAuthConnectionLost()
}

// replyText renders an SMTP error as the reply line it came from
// ("535 5.7.8 Authentication credentials invalid").
func replyText(se *smtp.SMTPError) string {
	s := strconv.Itoa(se.Code)
	if ec := se.EnhancedCode; ec != smtp.NoEnhancedCode && ec != smtp.EnhancedCodeNotSet && ec[0] > 0 {
		s += fmt.Sprintf(" %d.%d.%d", ec[0], ec[1], ec[2])
	}
	if m := strings.TrimSpace(strings.ReplaceAll(se.Message, "\n", " ")); m != "" {
		s += " " + m
	}
	return s
}
