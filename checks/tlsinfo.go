package checks

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"relaywiz/files"
)

// LoadRoots returns the system trust store plus the PEM certificates in
// caFile (empty: system roots only, returned as nil so crypto/x509 uses
// the platform verifier). It fails when the file cannot be read or holds
// no certificate, so a typo in --ca-file is reported up front.
func LoadRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	certs, err := ReadCAFile(caFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// ReadCAFile reads a PEM bundle (bounded by files.MaxCAFileBytes) and
// returns its certificates. It fails when the file cannot be read (the
// error wraps the fs error, so callers can tell "missing" from "denied"),
// when a certificate in it does not parse, or when it holds none. The
// wizard checks its CA field with it, and LoadRoots builds on it, so both
// accept exactly the same files.
func ReadCAFile(caFile string) ([]*x509.Certificate, error) {
	data, err := files.ReadLimited(caFile, files.MaxCAFileBytes)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	var certs []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &CAFileError{Path: caFile, Err: err}
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, &CAFileError{Path: caFile}
	}
	return certs, nil
}

// CAFileError says a CA file was read but is not a usable PEM bundle: Err
// is the parse error of a certificate in it, nil when it holds none.
type CAFileError struct {
	Path string
	Err  error
}

func (e *CAFileError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("CA file %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("CA file %s contains no PEM certificate", e.Path)
}

func (e *CAFileError) Unwrap() error { return e.Err }

// tlsVersionName renders a TLS version the way the JSON shows it: "TLS1.3".
func tlsVersionName(v uint16) string {
	return strings.ReplaceAll(tls.VersionName(v), " ", "")
}

// certNames lists the DNS and IP subject alternative names.
func certNames(c *x509.Certificate) []string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// describeTLS fills TLSInfo from a completed (or verifying) handshake.
func describeTLS(cs tls.ConnectionState, now time.Time) *TLSInfo {
	info := &TLSInfo{
		Version: tlsVersionName(cs.Version),
		Cipher:  tls.CipherSuiteName(cs.CipherSuite),
		SANs:    []string{},
	}
	for _, c := range cs.PeerCertificates {
		info.Chain = append(info.Chain, CertInfo{
			Subject:  c.Subject.String(),
			Issuer:   c.Issuer.String(),
			SANs:     certNames(c),
			NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
		})
	}
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		info.Subject = leaf.Subject.String()
		info.Issuer = leaf.Issuer.String()
		info.SANs = certNames(leaf)
		info.NotAfter = leaf.NotAfter.UTC().Format(time.RFC3339)
		info.DaysLeft = int(leaf.NotAfter.Sub(now).Hours() / 24)
		if leaf.NotAfter.Before(now) {
			// Round towards the past so "expired yesterday" is -1, not 0.
			info.DaysLeft = -int(now.Sub(leaf.NotAfter).Hours()/24) - 1
		}
	}
	return info
}

// judgePeer verifies the certificates a server presented for name and
// records the verdict in info (ChainOK, HostnameOK, Verified, VerifyError);
// it returns the hint for a failure. The handshake and the second, SNI
// handshake judge their certificates with it, so the two cannot disagree
// on what "verified" means.
func judgePeer(info *TLSInfo, certs []*x509.Certificate, roots *x509.CertPool, name string, now time.Time) (hint string) {
	chainErr, nameErr, hint := verifyPeer(certs, roots, name, now)
	info.ChainOK, info.HostnameOK = chainErr == nil, nameErr == nil
	info.Verified = info.ChainOK && info.HostnameOK
	if !info.Verified {
		var leaf *x509.Certificate
		if len(certs) > 0 {
			leaf = certs[0]
		}
		info.VerifyError = verifyErrorText(chainErr, nameErr, name, leaf)
	}
	return hint
}

// verifyPeer checks the chain and the name separately, so the result can
// say which of the two is wrong; either error is nil when that part is
// fine. The returned hint explains the first problem.
func verifyPeer(certs []*x509.Certificate, roots *x509.CertPool, name string, now time.Time) (chainErr, nameErr error, hint string) {
	if len(certs) == 0 {
		return errors.New("the server sent no certificate"), nil, hintTLSHandshake()
	}
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, chainErr = leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	nameErr = leaf.VerifyHostname(name)

	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(chainErr, &invalid) && invalid.Reason == x509.Expired && now.After(leaf.NotAfter):
		hint = hintTLSExpired(leaf.NotAfter.UTC().Format(time.RFC3339))
	case errors.As(chainErr, &invalid) && invalid.Reason == x509.Expired && now.Before(leaf.NotBefore):
		hint = hintTLSNotYetValid(leaf.NotBefore.UTC().Format(time.RFC3339))
	case errors.As(chainErr, &unknown):
		hint = hintTLSUnknownAuthority(leaf.Issuer.String())
	case chainErr != nil:
		hint = "The certificate chain could not be verified: " + chainErr.Error() + ". Tell the provider; pass their CA with --ca-file if they use a private one."
	case nameErr != nil:
		hint = hintTLSHostname(name, certNames(leaf))
	}
	return chainErr, nameErr, hint
}

// verifyErrorText is the plain-language verify_error.
func verifyErrorText(chainErr, nameErr error, name string, leaf *x509.Certificate) string {
	var parts []string
	if chainErr != nil {
		var invalid x509.CertificateInvalidError
		var unknown x509.UnknownAuthorityError
		switch {
		case errors.As(chainErr, &invalid) && invalid.Reason == x509.Expired && leaf != nil && time.Now().After(leaf.NotAfter):
			parts = append(parts, "certificate expired on "+leaf.NotAfter.UTC().Format(time.RFC3339))
		case errors.As(chainErr, &unknown):
			parts = append(parts, "certificate signed by an unknown authority")
		default:
			parts = append(parts, chainErr.Error())
		}
	}
	if nameErr != nil {
		names := []string{}
		if leaf != nil {
			names = certNames(leaf)
		}
		parts = append(parts, fmt.Sprintf("name mismatch: certificate is for %s, not %q", strings.Join(names, ", "), name))
	}
	return strings.Join(parts, "; ")
}
