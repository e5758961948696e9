package checks

// The one SMTP client path against the real Postfix + Dovecot SASL smart
// host that `make test` starts (see testpeers). Skipped locally without
// it, failing under CI.

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/testpeers"
)

func TestRealMTADialReadyForMailOnBothPorts(t *testing.T) {
	m := testpeers.RequireMTA(t)
	for _, port := range []int{m.Port25, m.Port587} {
		t.Run(strconv.Itoa(port), func(t *testing.T) {
			conn, err := Dial(context.Background(), DialOptions{
				Host: m.Host, Port: port, TLSServerName: m.ServerName, CAFile: m.CAFile,
				User: m.User, Password: []byte(m.Password), Timeout: 10 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Quit()
			if conn.Result.AuthMechanism != "LOGIN" || conn.TLS.Version < 0x0303 || conn.MaxMessageSize() <= 0 {
				t.Errorf("mech %q tls %x size %d", conn.Result.AuthMechanism, conn.TLS.Version, conn.MaxMessageSize())
			}
			// Ready for MAIL FROM: the envelope is accepted (no DATA, so
			// nothing is delivered), then reset.
			if err := conn.Client.Mail(m.User, nil); err != nil {
				t.Fatalf("MAIL FROM: %v", err)
			}
			if err := conn.Client.Rcpt("nobody@"+m.SinkDomain, nil); err != nil {
				t.Fatalf("RCPT TO: %v", err)
			}
			if err := conn.Client.Reset(); err != nil {
				t.Fatalf("RSET: %v", err)
			}
		})
	}
}

func TestRealMTAWrongPasswordKeeps535(t *testing.T) {
	m := testpeers.RequireMTA(t)
	_, err := Dial(context.Background(), DialOptions{
		Host: m.Host, Port: m.Port587, TLSServerName: m.ServerName, CAFile: m.CAFile,
		User: m.User, Password: []byte("not-the-password"), Timeout: 10 * time.Second,
	})
	var se *StageError
	var reply *smtp.SMTPError
	if !errors.As(err, &se) || se.Stage != StageAuth || !errors.As(err, &reply) || reply.Code != 535 || se.Hint == "" {
		t.Fatalf("got %v", err)
	}
}

func TestRealMTAVerifiesByIPWithoutServerName(t *testing.T) {
	// The test certificate also names the IP, so connecting by address
	// verifies without --tls-server-name, as a provider's IP SAN would.
	m := testpeers.RequireMTA(t)
	rep := Run(context.Background(), Options{Host: m.Host, Ports: []int{m.Port25}, CAFile: m.CAFile, Timeout: 10 * time.Second})
	if !rep.OK || rep.Ports[0].TLS == nil || !rep.Ports[0].TLS.Verified || rep.Ports[0].TLS.ServerName != m.Host {
		f, _ := rep.Ports[0].FailedStage()
		t.Fatalf("ok %v, failed %s: %s", rep.OK, f.Name, f.Detail)
	}
	if net.ParseIP(m.Host) == nil {
		t.Skip("MTA host is not an IP literal")
	}
}
