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
	return AuthFailed, err.Error(), hintAuthProtocol()
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

// isCredentialRejection: the server judged the credentials and said no
// (535, or an enhanced 5.7.8). Only then is another port's login pointless.
func isCredentialRejection(err error) bool {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return false
	}
	return se.Code == 535 || se.EnhancedCode == (smtp.EnhancedCode{5, 7, 8})
}

// exchangeLoginClient is AUTH LOGIN exactly as Exchange's send connector
// sends it: a bare "AUTH LOGIN" (no initial response), the user name in
// answer to the first 334 and the password to the second, whatever the
// prompts say. A 334 reply of more than one line ends the exchange, as it
// does for Exchange ("AUTH response was illegally formatted").
type exchangeLoginClient struct {
	user, pass string
	step       int
	rec        *replyRecorder // the raw replies, to see "334-" lines
	illegal    bool
}

var errIllegalAuthResponse = errors.New("the server's 334 reply had more than one line (Exchange: " + ExchangeIllegalAuthResponse + ")")

func (c *exchangeLoginClient) Start() (string, []byte, error) { return sasl.Login, nil, nil }

func (c *exchangeLoginClient) Next([]byte) ([]byte, error) {
	if c.rec != nil && (bytes.HasPrefix(c.rec.buf, []byte("334-")) || bytes.Contains(c.rec.buf, []byte("\n334-"))) {
		c.illegal = true
		return nil, errIllegalAuthResponse
	}
	c.step++
	switch c.step {
	case 1:
		return []byte(c.user), nil
	case 2:
		return []byte(c.pass), nil
	}
	return nil, sasl.ErrUnexpectedServerChallenge
}

// authLikeExchange is the auth stage of the Exchange Server dialect.
func (s *session) authLikeExchange() (string, string, error) {
	if !s.ehloTLS.authLogin {
		s.res.Auth = AuthUnavailable
		s.predicted = ExchangeRequireBasicAuth
		var offered string
		mechs := s.res.AuthMechanisms
		switch {
		case s.ehloTLS.authOldForm && containsFold(mechs, sasl.Login):
			offered = "the server lists LOGIN only in the old form AUTH=LOGIN"
		case len(mechs) > 0:
			offered = "the server offers AUTH " + strings.Join(mechs, " ") + ", not LOGIN"
		default:
			offered = "the server offers no AUTH after TLS"
		}
		return "Exchange will not log in: " + offered + " (Exchange needs a line \"AUTH ... LOGIN\")",
			hintExchangeNoLogin(), errors.New("no \"AUTH ... LOGIN\" line in the EHLO reply after TLS")
	}
	rec := &replyRecorder{}
	s.secure.record = rec
	c := &exchangeLoginClient{user: s.o.User, pass: string(s.o.Password), rec: rec}
	err := s.client.Auth(c)
	s.secure.record = nil
	if c.illegal {
		s.res.Auth = AuthFailed
		s.predicted = ExchangeIllegalAuthResponse
		return "LOGIN as " + s.o.User + ": the server answered with a 334 reply of more than one line; Exchange gives up there",
			hintIllegal334(), err
	}
	if err != nil {
		status, detail, hint := classifyAuthError(err)
		s.res.Auth = status
		s.credsRejected = isCredentialRejection(err)
		return "LOGIN as " + s.o.User + ": " + detail, hint, err
	}
	s.res.Auth = AuthOK
	s.res.AuthMechanism = sasl.Login
	return "accepted (LOGIN as " + s.o.User + ", two 334 prompts, as Exchange logs in)", "", nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func hintExchangeNoLogin() string {
	return "Exchange's send connector authenticates only with AUTH LOGIN and only when the EHLO reply after STARTTLS has a line " +
		"\"AUTH ... LOGIN\" (space-separated). Ask the provider to advertise it that way on this port, or use the port that does; " +
		"check with --as generic shows what else the server accepts."
}

func hintIllegal334() string {
	return "The server's AUTH LOGIN prompt came as a multi-line 334 reply. Exchange accepts only single-line 334 prompts and drops the attempt; " +
		"ask the provider to fix the prompt (or use another port or smart host)."
}
