package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"relaywiz/creds"
)

// checkTestApp runs `relaywiz check` in-process: no terminal, a given
// stdin, and store as the keyring.
func checkTestApp(stdin string, store creds.Store, env map[string]string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	if store == nil {
		store = creds.NewMemory()
	}
	return &app{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return env[k] },
		store:  func() creds.Store { return store },
	}, &out, &errb
}

// checkFake is a small in-process smart host on 127.0.0.1 with STARTTLS
// (certificate for 127.0.0.1 and fake.relaywiz.test from a throwaway CA)
// and AUTH PLAIN and LOGIN for fakeUser/fakePass. It returns its port and CA file.
const (
	fakeUser = "relay@fake.test"
	fakePass = "fake-Pass-42"
)

func startCheckFake(t *testing.T) (int, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "check cmd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fake.relaywiz.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(60 * 24 * time.Hour),
		DNSNames: []string{"fake.relaywiz.test"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return fakeCheckSession{}, nil }))
	srv.Domain = "fake.relaywiz.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}}
	srv.ErrorLog = silentLog{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	// Shutdown, not Close: go-smtp v0.25.1's Close races a connection
	// still inside STARTTLS (see checks' stopServer).
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return l.Addr().(*net.TCPAddr).Port, caFile
}

type silentLog struct{}

func (silentLog) Printf(string, ...interface{}) {}
func (silentLog) Println(...interface{})        {}

type fakeCheckSession struct{}

func (fakeCheckSession) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }
func (fakeCheckSession) Auth(mech string) (sasl.Server, error) {
	check := func(u, p string) error {
		if u == fakeUser && p == fakePass {
			return nil
		}
		return smtp.ErrAuthFailed
	}
	if mech == sasl.Login {
		return &fakeLoginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, u, p string) error { return check(u, p) }), nil
}

// fakeLoginServer is AUTH LOGIN's server side (go-sasl has none): two
// prompts, as the Exchange dialect expects.
type fakeLoginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (s *fakeLoginServer) Next(resp []byte) ([]byte, bool, error) {
	s.step++
	switch {
	case s.step == 1 && resp == nil:
		return []byte("Username:"), false, nil
	case s.step == 1:
		s.user, s.step = string(resp), 2
		return []byte("Password:"), false, nil
	case s.step == 2:
		s.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, s.check(s.user, string(resp))
}
func (fakeCheckSession) Mail(string, *smtp.MailOptions) error { return nil }
func (fakeCheckSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (fakeCheckSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (fakeCheckSession) Reset()                               {}
func (fakeCheckSession) Logout() error                        { return nil }
