package relay

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// startTestLab runs a lab smart host on a free loopback port.
func startTestLab(t testing.TB, o LabOptions) *Lab {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	lab, err := StartLab(context.Background(), o)
	if err != nil {
		t.Fatalf("StartLab: %v", err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab
}

// labUpstream is the production dialer (checks.Dial) aimed at a lab.
func labUpstream(t testing.TB, lab *Lab, password string) (UpstreamConfig, UpstreamDialer) {
	t.Helper()
	host, port, _ := net.SplitHostPort(lab.Addr)
	p, _ := strconv.Atoi(port)
	cfg := UpstreamConfig{Host: host, Port: p, CAFile: lab.CAFile, User: lab.User, Password: []byte(password), Timeout: 10 * time.Second}
	return cfg, NewUpstreamDialer(cfg)
}

// startTestRelay runs the relay on a free loopback port and collects its
// session records.
func startTestRelay(t testing.TB, o Options) (*Server, *records) {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	recs := &records{ch: make(chan SessionRecord, 16)}
	user := o.OnSession
	o.OnSession = func(r SessionRecord) {
		if user != nil {
			user(r)
		}
		select {
		case recs.ch <- r:
		default: // nobody reads them (benchmarks): never block the relay
		}
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("relay Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, recs
}

type records struct{ ch chan SessionRecord }

// next waits for the next session record (the client must have closed).
func (r *records) next(t testing.TB) SessionRecord {
	t.Helper()
	select {
	case rec := <-r.ch:
		return rec
	case <-time.After(20 * time.Second):
		t.Fatal("no session record from the relay")
	}
	return SessionRecord{}
}

// dialClient connects a plain go-smtp client to the relay and says EHLO.
func dialClient(t testing.TB, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("dial relay: %v", err)
	}
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sendVia runs one transaction and returns the final reply text or error.
func sendVia(c *smtp.Client, from string, to []string, body []byte) (string, error) {
	if err := c.Mail(from, nil); err != nil {
		return "", err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return "", err
		}
	}
	w, err := c.Data()
	if err != nil {
		return "", err
	}
	if _, err := w.Write(body); err != nil {
		return "", err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", err
	}
	return resp.StatusText, nil
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// emlFiles lists the .eml files in dir, and fails on leftover temp files
// (an aborted transfer must leave nothing behind).
func emlFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		switch {
		case strings.HasSuffix(e.Name(), ".eml"):
			out = append(out, filepath.Join(dir, e.Name()))
		case strings.HasSuffix(e.Name(), ".tmp"):
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	return out
}

// splitTrace separates the trace headers the lab prepends (Return-Path,
// Received) from the message as the client sent it.
func splitTrace(t testing.TB, eml []byte) (trace string, msg []byte) {
	t.Helper()
	rest := eml
	for {
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			t.Fatalf("no end of trace headers in %q", eml)
		}
		isTrace := bytes.HasPrefix(line, []byte("Return-Path:")) || bytes.HasPrefix(line, []byte("Received:")) || bytes.HasPrefix(line, []byte("\t"))
		if !isTrace {
			return string(eml[:len(eml)-len(rest)]), rest
		}
		rest = after
	}
}

func caPool(t testing.TB, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", file)
	}
	return p
}

// fakeUpstream is an in-process smart host (STARTTLS, no AUTH) whose
// replies the test scripts, for the failure paths a real MTA will not
// produce on demand. Use fakeDialer to reach it.
type fakeUpstream struct {
	Addr string

	mu        sync.Mutex
	mailErr   *smtp.SMTPError
	mailHook  func() *smtp.SMTPError // when set, decides MAIL FROM (under mu)
	rcptErr   map[string]*smtp.SMTPError
	dataErr   *smtp.SMTPError // returned after the whole body was read
	dropAfter int64           // >0: close the connection after this many body bytes
	delivered [][]byte
	aborted   int // transfers that ended without a final "."
	sessions  int // connections
	conns     []*smtp.Conn
}

// dropAll closes every connection from the server side, as a smart host
// does with idle connections.
func (f *fakeUpstream) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Conn().Close()
	}
	f.conns = nil
}

func startFakeUpstream(t testing.TB, configure func(*fakeUpstream)) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{rcptErr: map[string]*smtp.SMTPError{}}
	if configure != nil {
		configure(f)
	}
	s := smtp.NewServer(f)
	s.Domain = "fake-upstream.test"
	s.TLSConfig = fakePKI().serverTLSConfig()
	s.ErrorLog = discardLogger{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.Addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return f
}

func (f *fakeUpstream) NewSession(c *smtp.Conn) (smtp.Session, error) {
	f.mu.Lock()
	// go-smtp starts a new session after STARTTLS on the same connection:
	// count connections.
	if !slices.Contains(f.conns, c) {
		f.sessions++
		f.conns = append(f.conns, c)
	}
	f.mu.Unlock()
	return &fakeSession{f: f, c: c}, nil
}

func (f *fakeUpstream) snapshot() (delivered [][]byte, aborted, sessions int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.delivered...), f.aborted, f.sessions
}

type fakeSession struct {
	f *fakeUpstream
	c *smtp.Conn
}

func (s *fakeSession) Mail(string, *smtp.MailOptions) error {
	s.f.mu.Lock()
	hook := s.f.mailHook
	s.f.mu.Unlock()
	if hook != nil {
		if e := hook(); e != nil {
			return e
		}
		return nil
	}
	if s.f.mailErr != nil {
		return s.f.mailErr
	}
	return nil
}

func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.f.rcptErr[to]; e != nil {
		return e
	}
	return nil
}

func (s *fakeSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if s.f.dropAfter > 0 {
		io.CopyN(&buf, r, s.f.dropAfter)
		s.c.Conn().Close()
	}
	_, err := io.Copy(&buf, r)
	if err != nil {
		s.f.mu.Lock()
		s.f.aborted++
		s.f.mu.Unlock()
		return err
	}
	if s.f.dataErr != nil {
		return s.f.dataErr
	}
	s.f.mu.Lock()
	s.f.delivered = append(s.f.delivered, buf.Bytes())
	s.f.mu.Unlock()
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as FAKE123"}
}

func (s *fakeSession) Reset()        {}
func (s *fakeSession) Logout() error { return nil }

// fakePKI is the certificate every fakeUpstream presents. fakeDialer
// trusts its CA, so the relay reaches the fakes through checks.Dial exactly
// as it reaches a real smart host (STARTTLS, verified certificate; no AUTH).
var fakePKI = sync.OnceValue(func() *throwawayPKI {
	p, err := newThrowawayPKI("fake-upstream.test")
	if err != nil {
		panic(err)
	}
	return p
})

// fakeDialer is the production dialer aimed at a fakeUpstream; it counts
// dials.
func fakeDialer(addr string, dials *int) UpstreamDialer {
	var mu sync.Mutex
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(fakePKI().CAPEM)
	dial := NewUpstreamDialer(UpstreamConfig{Host: host, Port: p, RootCAs: roots, Timeout: 10 * time.Second})
	return func(ctx context.Context, h DialHooks) (*checks.Conn, error) {
		mu.Lock()
		if dials != nil {
			*dials++
		}
		mu.Unlock()
		return dial(ctx, h)
	}
}
