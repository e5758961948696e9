package relay

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/emersion/go-smtp"
)

// Remote mode puts the relay's AUTH on the network, so password guessing
// must be slow and visible: each failure on a connection waits a little
// longer before its 535 (AuthFailureDelay, then twice that, ...), the
// MaxAuthFailures-th closes the connection with 421, and every failure is
// logged with the client's address for fail2ban-style tools.
const (
	DefaultAuthFailureDelay = time.Second
	DefaultMaxAuthFailures  = 3
)

var errTooManyAuthFailures = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many failed authentication attempts; closing the connection"}

// throttled wraps the credential check with the delay, the limit and the
// log line.
func (s *session) throttled(check func(u, p string) error) func(u, p string) error {
	return func(u, p string) error {
		err := check(u, p)
		if err == nil || s.conn == nil {
			return err
		}
		n := int(s.conn.authFailures.Add(1))
		o := &s.srv.opts
		s.srv.logAuthFailure(s.conn.client, u, n, n >= o.MaxAuthFailures)
		t := time.NewTimer(time.Duration(n) * o.AuthFailureDelay)
		select {
		case <-t.C:
		case <-s.ctx.Done(): // the relay is stopping
			t.Stop()
		}
		if n >= o.MaxAuthFailures {
			s.conn.closeAfterWrite.Store(true)
			return errTooManyAuthFailures
		}
		return err
	}
}

// logAuthFailure writes one line per failed client AUTH to the session log.
// The password is never part of it; the user name is the client's and
// shown escaped (quoted in JSON).
func (s *Server) logAuthFailure(client, user string, n int, closing bool) {
	if s.opts.Log == nil {
		return
	}
	var line string
	if s.opts.JSONLog {
		b, _ := json.Marshal(struct {
			Event    string    `json:"event"`
			Time     time.Time `json:"time"`
			Client   string    `json:"client"`
			User     string    `json:"user"`
			Failures int       `json:"failures"`
			Closed   bool      `json:"closed"`
		}{"auth_failed", time.Now(), client, user, n, closing})
		line = string(b)
	} else {
		line = fmt.Sprintf("%s auth failed client=%s user=%q failures=%d", time.Now().Format(time.RFC3339), client, user, n)
		if closing {
			line += " closing connection"
		}
	}
	s.logMu.Lock()
	fmt.Fprintln(s.opts.Log, line)
	s.logMu.Unlock()
}
