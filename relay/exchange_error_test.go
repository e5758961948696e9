package relay

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// A failed upstream login tells the relay's client what Exchange's queue
// will show for the same smart host (the check's exchange_error).
func TestRelayUpstreamFailureNamesTheExchangeQueueError(t *testing.T) {
	lab := startTestLab(t, LabOptions{})
	cfg, dial := labUpstream(t, lab, "not-the-password")
	srv, recs := startTestRelay(t, Options{Upstream: dial, UpstreamName: cfg.Name()})
	c := dialClient(t, srv.Addr())
	err := c.Mail("a@example.com", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || !strings.Contains(se.Message, `Exchange's queue will show: 451 4.4.0 Primary target IP address responded with: "535 `) {
		t.Fatalf("MAIL FROM with a bad upstream password: %v", err)
	}
	c.Quit()
	recs.next(t)
}

// Only a refusal of the credentials (535, x.7.8) is headlined as one: the
// auth stage also fails when the smart host offers no STARTTLS or no AUTH
// LOGIN line, and "check --user and the stored password" was the wrong fix
// for those (the Exchange dialects added them).
func TestRelayUpstreamAuthFailureBlamesCredentialsOnlyFor535(t *testing.T) {
	for _, c := range []struct {
		cause error
		creds bool
	}{
		{&smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}, true},
		{errors.New("no STARTTLS: Exchange refuses basic authentication without it"), false},
		{errors.New("the server offers no AUTH line listing LOGIN after TLS"), false},
		{&smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Temporary authentication failure"}, false},
	} {
		reply := upstreamFailure("smtp.example.com:587", &checks.StageError{Stage: checks.StageAuth, Err: c.cause})
		blames := strings.Contains(reply.Message, "check --user and the stored password")
		if blames != c.creds || reply.Code != 451 {
			t.Errorf("cause %v: reply %d %q; blames the credentials: %v, want %v", c.cause, reply.Code, reply.Message, blames, c.creds)
		}
	}
}
