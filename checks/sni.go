package checks

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// Exchange passes the remote IP address, not the smart-host name, as the
// TLS target, so it most likely sends no SNI (INFERRED from its transport
// code, not documented by Microsoft). The Exchange Server dialect therefore
// shakes hands without SNI. When the certificate it gets that way does not
// verify, certWithSNI asks once more with the name as SNI: if the server
// picks its certificate by SNI, the admin sees both and why Exchange will
// fail.

// certWithSNI opens a second connection to the address the session used,
// walks banner, EHLO and STARTTLS, and returns the certificate presented
// for SNI name, verified like the first. It never authenticates and sends
// nothing inside TLS but QUIT.
func (s *session) certWithSNI(name string, roots *x509.CertPool) (*TLSInfo, error) {
	dial := s.o.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(s.ctx, "tcp", s.res.RemoteAddr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := s.ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// The same caps as the session's own replies (replylimit.go): this
	// second connection must not let an endless EHLO reply grow memory.
	tp := textproto.NewReader(bufio.NewReader(&cappedReader{r: conn}))
	say := func(cmd string, expect int) error {
		if cmd != "" {
			if _, err := fmt.Fprintf(conn, "%s\r\n", cmd); err != nil {
				return err
			}
		}
		_, _, err := tp.ReadResponse(expect)
		return err
	}
	if err := say("", 220); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if err := say("EHLO "+s.ehloName, 250); err != nil {
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if err := say("STARTTLS", 220); err != nil {
		return nil, fmt.Errorf("STARTTLS: %w", err)
	}
	var info *TLSInfo
	cfg := &tls.Config{
		ServerName:         name,
		MinVersion:         tls.VersionTLS10,
		InsecureSkipVerify: true, // verified below, as in handshake
		VerifyConnection: func(cs tls.ConnectionState) error {
			now := time.Now()
			info = describeTLS(cs, now)
			info.ServerName, info.SNI = name, true
			judgePeer(info, cs.PeerCertificates, roots, name, now)
			return nil
		},
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(s.ctx); err != nil && info == nil {
		return nil, err
	}
	_, _ = tc.Write([]byte("QUIT\r\n"))
	_ = tc.Close()
	if info == nil {
		return nil, errors.New("no certificate received")
	}
	return info, nil
}

// certLine names a certificate for the SNI comparison.
func certLine(info *TLSInfo) string {
	sans := "none"
	if len(info.SANs) > 0 {
		sans = strings.Join(info.SANs, ", ")
	}
	return fmt.Sprintf("%s (SANs %s) from %s", info.Subject, sans, info.Issuer)
}

// sniDetail is the tls stage's detail when only the SNI certificate
// verifies: the server shows Exchange the wrong one.
func sniDetail(noSNI, withSNI *TLSInfo, name string) string {
	return fmt.Sprintf("without SNI, as Exchange connects, the server presents %s, which does not verify for %s (%s); "+
		"with SNI %q it presents %s, which verifies. Exchange sends no SNI (INFERRED from Exchange's behaviour, not documented by Microsoft) "+
		"and will get the first certificate",
		certLine(noSNI), name, noSNI.VerifyError, name, certLine(withSNI))
}

func hintSNI(name string) string {
	return fmt.Sprintf("The smart host chooses its certificate by SNI, and Exchange's send connector most likely sends none. "+
		"Ask the provider to make the certificate for %s the default one (presented without SNI), "+
		"or have Exchange connect to a name whose default certificate matches.", name)
}

func hintIPSmartHost(ip string) string {
	return fmt.Sprintf("The smart host is given as the IP address %s. With BasicAuthRequireTLS Exchange checks the certificate against the connector's smart host, "+
		"which becomes [%s] and can never match a certificate. Use the host name in the connector's SmartHosts (and here: --smart-host NAME, "+
		"or --tls-server-name NAME when this machine must connect by address).", ip, ip)
}

// cappedReader applies the reply caps to a connection read without
// wireConn (the SNI comparison's own short conversation).
type cappedReader struct {
	r     io.Reader
	limit replyLimit
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		if lerr := c.limit.feed(p[:n]); lerr != nil {
			return 0, lerr
		}
	}
	return n, err
}
