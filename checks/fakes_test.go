package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// fakeName is the smart host name the tests use; fakeResolver maps it to
// loopback so no real DNS is ever asked.
const fakeName = "smtp.checks.test"

type fakeResolver map[string][]string

func (r fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if len(addrs) == 1 && addrs[0] == "SERVFAIL" {
		return nil, &net.DNSError{Err: "server misbehaving", Name: host, IsTemporary: true}
	}
	var out []net.IPAddr
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

var loopbackResolver = fakeResolver{fakeName: {"127.0.0.1"}}

// fakeMTA configures an in-process go-smtp server.
type fakeMTA struct {
	tls   *tls.Config // nil: no STARTTLS
	mechs []string    // AUTH mechanisms (only advertised after TLS)
	// check decides an AUTH attempt: nil accepts user "alice" with
	// password "s3cret" and rejects everything else with 535.
	check func(user, pass string) error

	mu       sync.Mutex
	authMech string // the mechanism the client used
}

const (
	goodUser = "alice@example.test"
	goodPass = "s3cret-Pa55"
)

func (f *fakeMTA) NewSession(*smtp.Conn) (smtp.Session, error) { return &fakeSession{f: f}, nil }

type fakeSession struct{ f *fakeMTA }

func (s *fakeSession) AuthMechanisms() []string { return s.f.mechs }
func (s *fakeSession) Auth(mech string) (sasl.Server, error) {
	s.f.mu.Lock()
	s.f.authMech = mech
	s.f.mu.Unlock()
	check := s.f.check
	if check == nil {
		check = func(u, p string) error {
			if u == goodUser && p == goodPass {
				return nil
			}
			return smtp.ErrAuthFailed
		}
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, u, p string) error { return check(u, p) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}
func (s *fakeSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *fakeSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *fakeSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (s *fakeSession) Reset()                               {}
func (s *fakeSession) Logout() error                        { return nil }

func (f *fakeMTA) usedMech() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authMech
}

// loginServer is the LOGIN server side go-sasl lacks (test only).
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (s *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		s.step = 1
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		s.user, s.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 1:
		s.user, s.step = string(resp), 2
		return []byte("Password:"), false, nil
	}
	return nil, true, s.check(s.user, string(resp))
}

// start serves f on 127.0.0.1 and returns the port.
func (f *fakeMTA) start(t testing.TB) int {
	t.Helper()
	srv := smtp.NewServer(f)
	srv.Domain = fakeName
	srv.TLSConfig = f.tls
	srv.MaxMessageBytes = 50 << 20
	srv.ErrorLog = nopLogger{}
	return serve(t, srv.Serve, func() { stopServer(srv) })
}

// stopServer ends a go-smtp fake without racing a connection that is still
// inside STARTTLS: go-smtp v0.25.1's Server.Close reads each connection's
// net.Conn while handleStartTLS replaces it, unlocked (the race detector
// sees it when a test ends while the check's second, SNI handshake is
// being answered). Shutdown only closes the listeners and waits for the
// connections to end, which the client's own close brings about.
func stopServer(srv *smtp.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

func serve(t testing.TB, fn func(net.Listener) error, stop func()) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = fn(l) }()
	t.Cleanup(stop)
	return l.Addr().(*net.TCPAddr).Port
}

// scripted is a hand-driven SMTP peer for what go-smtp will not do
// (masked banners, injected data, silence): it sends greeting, then for
// each line received the next reply from replies (missing: "250 ok").
type scripted struct {
	greeting string // "" sends nothing at all (a port that never greets)
	replies  map[string]string
}

func (s scripted) start(t testing.TB) int {
	t.Helper()
	return serveRaw(t, s.handle)
}

// serveRaw accepts connections on a free loopback port and hands each to
// handle; at the end of the test the listener and every connection are
// closed, so a fake that holds a connection open cannot outlive the test.
func serveRaw(t testing.TB, handle func(net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go handle(c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().(*net.TCPAddr).Port
}

func (s scripted) handle(c net.Conn) {
	if s.greeting == "" {
		_, _ = io.Copy(io.Discard, c) // hold the connection, say nothing
		return
	}
	_, _ = io.WriteString(c, s.greeting)
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		reply, ok := s.replies[verb]
		if !ok {
			reply = "250 ok\r\n"
		}
		if _, err := io.WriteString(c, reply); err != nil || verb == "QUIT" {
			c.Close()
			return
		}
	}
}

// closedPort returns a loopback port where nothing listens.
func closedPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
