package relay

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

// throwawayPKI is a certificate authority and one server certificate made
// on the spot for a lab smart host or a relay that accepts remote clients.
// The private keys live only in memory: nothing secret is ever written to
// disk, and the next start makes a new pair, so a copied CA file cannot be
// used to impersonate anything after the process exits.
type throwawayPKI struct {
	CAPEM []byte          // the CA certificate, PEM, safe to hand to clients
	Leaf  tls.Certificate // server certificate + key, for tls.Config
	// Fingerprint is the SHA-256 of the leaf certificate (hex), for people
	// who pin a certificate instead of trusting the CA.
	Fingerprint string
}

// newThrowawayPKI issues a CA and a leaf certificate valid for localhost,
// the loopback addresses and every extra host name or IP given.
func newThrowawayPKI(commonName string, hosts ...string) (*throwawayPKI, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: commonName + " CA", Organization: []string{"relaywiz (throwaway, generated " + now.UTC().Format(time.RFC3339) + ")"}},
		NotBefore:             now.Add(-time.Hour),           // tolerate a little clock skew
		NotAfter:              now.Add(397 * 24 * time.Hour), // a lab cert must not trip the 30-day expiry warning
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("self-sign CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse generated CA certificate: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate server key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(397 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	addSAN(leafTmpl, "localhost")
	addSAN(leafTmpl, "127.0.0.1")
	addSAN(leafTmpl, "::1")
	for _, h := range hosts {
		addSAN(leafTmpl, h)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("sign server certificate: %w", err)
	}
	sum := sha256.Sum256(leafDER)
	return &throwawayPKI{
		CAPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Leaf:        tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey},
		Fingerprint: hex.EncodeToString(sum[:]),
	}, nil
}

// addSAN adds h as an IP or DNS subject alternative name, once. Wildcard
// listen hosts ("", 0.0.0.0, ::) are not names anyone dials, so they are
// replaced by this machine's host name.
func addSAN(c *x509.Certificate, h string) {
	h = strings.Trim(h, "[]")
	if h == "" || h == "0.0.0.0" || h == "::" {
		name, err := os.Hostname()
		if err != nil || name == "" {
			return
		}
		h = name
	}
	if ip := net.ParseIP(h); ip != nil {
		for _, have := range c.IPAddresses {
			if have.Equal(ip) {
				return
			}
		}
		c.IPAddresses = append(c.IPAddresses, ip)
		return
	}
	for _, have := range c.DNSNames {
		if strings.EqualFold(have, h) {
			return
		}
	}
	c.DNSNames = append(c.DNSNames, h)
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand does not fail on supported platforms; a fixed serial
		// would still produce a working (if less unique) certificate.
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// serverTLSConfig is what the lab and the relay offer on STARTTLS: the
// generated certificate and TLS 1.2 or newer, as the providers require.
func (p *throwawayPKI) serverTLSConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.Leaf},
		MinVersion:   tls.VersionTLS12,
	}
}
