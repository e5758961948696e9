package relay

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"relaywiz/files"
)

// Defaults shared by the lab and the relay.
const (
	// DefaultMaxMessageBytes is 50 MB, the largest message the providers
	// (Zivver, Cryptshare) accept including attachments.
	DefaultMaxMessageBytes int64 = 50 << 20
	DefaultLabListen             = "127.0.0.1:2587"
	DefaultLabUser               = "relaywiz"
	// LabCAFileName is the file in the lab directory holding the CA
	// certificate to pass to --ca-file.
	LabCAFileName = "relaywiz-lab-ca.pem"
)

// LabListenHint is the lab's advice for a non-loopback listen address.
const LabListenHint = "the lab is a stand-in smart host for this computer only: listen on 127.0.0.1 or localhost"

// LabOptions configures the stand-in smart host.
type LabOptions struct {
	Listen   string // HOST:PORT on loopback; default 127.0.0.1:2587 ("…:0" picks a free port)
	User     string // SASL user name; default "relaywiz"
	Password string // empty: generate one (read it from Lab.Password)
	Dir      string // where the CA file and every accepted .eml go; created if missing (required)
	// MaxMessageBytes is advertised as SIZE and enforced; default 50 MB.
	MaxMessageBytes int64
	// Hostname is the server name in the greeting and Received lines.
	Hostname string
	// Log, if set, gets one line per accepted or refused message.
	Log io.Writer
	// OnMessage, if set, is called after each message is stored, on the
	// session's goroutine before the client gets its 250: keep it short.
	OnMessage func(LabMessage)
}

// LabMessage describes one message the lab accepted.
type LabMessage struct {
	ID   string
	Path string // the .eml file
	From string
	To   []string
	Size int64 // bytes of the message as received (without the added trace headers)
	User string
}

// Lab is a running stand-in smart host: STARTTLS with a throwaway CA, AUTH
// LOGIN/PLAIN only after TLS, SIZE, and every accepted message stored as an
// .eml file. It lets an admin (and the tests, and the TUI) try relaywiz with
// no provider account and no network.
type Lab struct {
	Addr        string // where it listens, e.g. 127.0.0.1:2587
	CAFile      string // PEM of the CA that signed its certificate (for --ca-file)
	User        string
	Password    string // shown once to the person who started it; never logged
	Dir         string
	Fingerprint string // SHA-256 of the server certificate

	server   *smtp.Server
	done     chan struct{} // closed when Serve returns
	serveErr error         // what Serve returned (nil after Close)
	closing  sync.Once
	mu       sync.Mutex
	count    int
	logw     io.Writer
}

// StartLab generates the certificates, writes the CA file and starts
// serving in the background. Close stops it; ctx cancellation does too.
func StartLab(ctx context.Context, o LabOptions) (*Lab, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Listen == "" {
		o.Listen = DefaultLabListen
	}
	if o.User == "" {
		o.User = DefaultLabUser
	}
	if o.Dir == "" {
		return nil, errors.New("lab: no directory given for the CA file and received messages (--dir)")
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.Hostname == "" {
		o.Hostname = "lab.relaywiz.localhost"
	}
	if err := CheckListenAddr(o.Listen, false); err != nil {
		if errors.Is(err, ErrNotLoopback) {
			return nil, fmt.Errorf("lab: %w; %s", err, LabListenHint)
		}
		return nil, fmt.Errorf("lab: %w", err)
	}
	if o.Password == "" {
		var err error
		if o.Password, err = GeneratePassword(); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("lab: directory %q: %w", o.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lab: create directory %s: %w", dir, err)
	}
	host, _, _ := net.SplitHostPort(o.Listen)
	pki, err := newThrowawayPKI(o.Hostname, host, o.Hostname)
	if err != nil {
		return nil, fmt.Errorf("lab: certificates: %w", err)
	}
	caFile := filepath.Join(dir, LabCAFileName)
	if err := files.WriteAtomic(caFile, pki.CAPEM, 0o644); err != nil {
		return nil, fmt.Errorf("lab: write CA certificate: %w", err)
	}

	l, err := listenLocal(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	lab := &Lab{
		Addr:        l.Addr().String(),
		CAFile:      caFile,
		User:        o.User,
		Password:    o.Password,
		Dir:         dir,
		Fingerprint: pki.Fingerprint,
		done:        make(chan struct{}),
		logw:        o.Log,
	}
	be := &labBackend{lab: lab, opts: o, check: credentialCheck(o.User, o.Password)}
	s := smtp.NewServer(be)
	s.Domain = o.Hostname
	s.TLSConfig = pki.serverTLSConfig()
	s.MaxMessageBytes = o.MaxMessageBytes
	s.MaxRecipients = 100
	s.ReadTimeout = 10 * time.Minute // caps a whole DATA upload in go-smtp
	s.WriteTimeout = time.Minute
	s.ErrorLog = discardLogger{}
	lab.server = s

	go func() {
		lab.serveErr = s.Serve(newCapListener(l, 20, true))
		close(lab.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			lab.Close()
		case <-lab.done:
		}
	}()
	return lab, nil
}

// Wait blocks until the lab stops and returns why (nil after Close).
func (l *Lab) Wait() error {
	if l.done == nil {
		return nil
	}
	<-l.done
	return l.serveErr
}

// Close stops listening, drops open sessions and waits for the server to
// stop. Messages not yet stored are not stored: their senders get no 250,
// so nothing is lost silently.
func (l *Lab) Close() error {
	if l.server == nil {
		return nil // a Lab value not made by StartLab (e.g. a test double)
	}
	var err error
	l.closing.Do(func() {
		err = l.server.Close()
	})
	<-l.done
	return err
}

// Received returns how many messages have been stored since the start.
func (l *Lab) Received() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count
}

func (l *Lab) logf(format string, args ...any) {
	if l.logw == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.logw, format+"\n", args...)
}

// GeneratePassword makes a 24-character URL-safe random password that
// starts with a letter.
func GeneratePassword() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return passwordFrom(b), nil
}

// passwordFrom encodes b, first folding the top six bits of b[0] onto the
// 52 letters of the alphabet: a password that starts with "-" reads as a
// flag when pasted after swaks --auth-password or into a command line.
func passwordFrom(b [18]byte) string {
	b[0] = b[0]%(52<<2) | b[0]&3
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// discardLogger silences go-smtp's internal "error handling conn" lines;
// the lab and relay report what matters themselves.
type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}

type labBackend struct {
	lab   *Lab
	opts  LabOptions
	check func(u, p string) error
}

func (b *labBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	ip := ""
	if ta, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.IP.String()
	}
	return &labSession{b: b, helo: c.Hostname(), ip: ip, tls: isTLS}, nil
}

// labSession behaves like a provider's submission port: TLS first, then
// AUTH, then the transaction.
type labSession struct {
	b    *labBackend
	helo string
	ip   string
	tls  bool
	user string
	from string
	to   []string
}

var (
	errLabNeedsTLS  = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errLabNeedsAuth = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
)

func (s *labSession) AuthMechanisms() []string { return authMechanisms }

func (s *labSession) Auth(mech string) (sasl.Server, error) {
	return saslServerFor(mech, func(u, p string) error {
		err := s.b.check(u, p)
		if err != nil {
			s.b.lab.logf("lab: AUTH %s failed for user %q from %s", mech, u, s.ip)
		}
		return err
	}, func(u string) { s.user = u })
}

func (s *labSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.tls {
		return errLabNeedsTLS
	}
	if s.user == "" {
		return errLabNeedsAuth
	}
	if err := validateSender(from); err != nil {
		return err
	}
	s.from, s.to = from, nil
	return nil
}

func (s *labSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := validateRecipient(to); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *labSession) Data(r io.Reader) error {
	now := time.Now()
	id := newMessageID(now)
	trace := "Return-Path: <" + s.from + ">\r\n" +
		receivedHeader(s.helo, s.ip, s.b.opts.Hostname, "relaywiz lab", "ESMTPSA", id, s.to, now)
	path, size, err := storeMessage(s.b.lab.Dir, id, trace, r)
	if err != nil {
		s.b.lab.logf("lab: message from <%s> refused after %d bytes: %v", s.from, size, err)
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se // e.g. 552 5.3.4 for an oversized message
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "lab could not store the message: " + err.Error()}
	}
	msg := LabMessage{ID: id, Path: path, From: s.from, To: append([]string(nil), s.to...), Size: size, User: s.user}
	s.b.lab.mu.Lock()
	s.b.lab.count++
	s.b.lab.mu.Unlock()
	s.b.lab.logf("lab: accepted %s from <%s> to %v, %d bytes, user %q -> %s", id, s.from, s.to, size, s.user, path)
	if s.b.opts.OnMessage != nil {
		s.b.opts.OnMessage(msg)
	}
	// go-smtp sends any *SMTPError as-is, including a 2xx one: that is the
	// only way to return a queue id, which clients (and relaywiz send) show.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as " + id}
}

func (s *labSession) Reset()        { s.from, s.to = "", nil }
func (s *labSession) Logout() error { return nil }
