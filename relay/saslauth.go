package relay

import (
	"crypto/subtle"
	"errors"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Exchange's send connector authenticates with AUTH LOGIN ("basic
// authentication"), but go-sasl only ships a LOGIN client. loginServer is
// the server half: it prompts "Username:" and "Password:" (go-smtp base64
// encodes the challenges) and accepts the username as an initial response,
// which is how go-sasl's own LOGIN client and swaks send it.
type loginServer struct {
	step     int // 0 start, 1 waiting for user name, 2 waiting for password, 3 done
	username string
	check    func(username, password string) error
}

// newLoginServer returns a sasl.Server for the LOGIN mechanism.
func newLoginServer(check func(username, password string) error) sasl.Server {
	return &loginServer{check: check}
}

var errLoginSequence = errors.New("sasl: LOGIN: unexpected client response")

func (s *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch s.step {
	case 0:
		// go-smtp passes nil when the client sent no initial response and
		// an empty slice for "AUTH LOGIN =".
		if response == nil {
			s.step = 1
			return []byte("Username:"), false, nil
		}
		s.username = string(response)
		s.step = 2
		return []byte("Password:"), false, nil
	case 1:
		s.username = string(response)
		s.step = 2
		return []byte("Password:"), false, nil
	case 2:
		s.step = 3
		return nil, true, s.check(s.username, string(response))
	default:
		return nil, true, errLoginSequence
	}
}

// credentialCheck accepts exactly one user name and password. The
// comparison is constant-time so a client on the network cannot learn the
// password byte by byte from response timing. A mismatch is
// smtp.ErrAuthFailed, which go-smtp sends as 535 5.7.8.
func credentialCheck(user, password string) func(u, p string) error {
	return func(u, p string) error {
		okUser := subtle.ConstantTimeCompare([]byte(u), []byte(user))
		okPass := subtle.ConstantTimeCompare([]byte(p), []byte(password))
		if okUser&okPass != 1 || password == "" {
			return smtp.ErrAuthFailed
		}
		return nil
	}
}

// authMechanisms is what the lab and the relay offer. LOGIN first because
// that is what Exchange uses; PLAIN for everything else.
var authMechanisms = []string{sasl.Login, sasl.Plain}

// saslServerFor returns the server side of mech, checking credentials with
// check, or smtp.ErrAuthUnknownMechanism.
func saslServerFor(mech string, check func(u, p string) error, onSuccess func(user string)) (sasl.Server, error) {
	wrapped := func(u, p string) error {
		if err := check(u, p); err != nil {
			return err
		}
		if onSuccess != nil {
			onSuccess(u)
		}
		return nil
	}
	switch mech {
	case sasl.Login:
		return newLoginServer(wrapped), nil
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, u, p string) error {
			// An authorization identity other than the user itself would
			// mean "act on behalf of someone else", which we do not offer.
			if identity != "" && identity != u {
				return smtp.ErrAuthFailed
			}
			return wrapped(u, p)
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}
