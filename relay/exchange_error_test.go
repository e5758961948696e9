package relay

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
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
