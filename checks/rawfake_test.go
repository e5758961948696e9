package checks

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// rawSmartHost is a hand-driven smart host with STARTTLS for the ways real
// servers differ from what go-smtp's server does: the old "AUTH=LOGIN"
// form, refusing an initial response, multi-line 334 prompts, choosing
// the certificate by SNI. It accepts goodUser/goodPass.
type rawSmartHost struct {
	cert    tls.Certificate  // presented without SNI (or for other names)
	sniCert *tls.Certificate // when set, presented for SNI fakeName
	// ehloTLS are the extension lines after TLS (default "AUTH LOGIN").
	ehloTLS      []string
	refuseIR     bool // "AUTH LOGIN <initial response>" gets 501
	multiLine334 bool // the first prompt comes as a two-line 334
	// replies overrides the answer to a command line (e.g. "MAIL FROM:<x>"
	// or "RCPT TO:<y>", matched by prefix) after TLS.
	replies map[string]string

	mu       sync.Mutex
	auths    int      // AUTH commands received
	sniSeen  []string // the SNI of every handshake ("" none)
	commands []string // every command verb received
	// groups: the command lines after TLS, grouped by the socket read
	// that brought them (one group: sent in one write, pipelined).
	groups [][]string
}

func (f *rawSmartHost) readGroups() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]string
	for _, g := range f.groups {
		out = append(out, append([]string(nil), g...))
	}
	return out
}

func (f *rawSmartHost) start(t testing.TB) int {
	t.Helper()
	return serveRaw(t, f.handle)
}

func (f *rawSmartHost) replyFor(line string) (string, bool) {
	for prefix, reply := range f.replies {
		if strings.HasPrefix(line, prefix) {
			return reply, true
		}
	}
	return "", false
}

func (f *rawSmartHost) record(verb string) {
	f.mu.Lock()
	f.commands = append(f.commands, verb)
	if verb == "AUTH" {
		f.auths++
	}
	f.mu.Unlock()
}

func (f *rawSmartHost) snapshot() (auths int, sni []string, cmds []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths, append([]string(nil), f.sniSeen...), append([]string(nil), f.commands...)
}

func (f *rawSmartHost) handle(c net.Conn) {
	defer c.Close()
	var conn net.Conn = c
	r := bufio.NewReader(conn)
	say := func(s string) bool { _, err := io.WriteString(conn, s); return err == nil }
	read := func() (string, bool) {
		line, err := r.ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err == nil
	}
	decode := func(s string) string { b, _ := base64.StdEncoding.DecodeString(s); return string(b) }
	finish := func(user, pass string) bool {
		if user == goodUser && pass == goodPass {
			return say("235 2.7.0 Authentication successful\r\n")
		}
		return say("535 5.7.8 Error: authentication failed\r\n")
	}
	inTLS := false
	if !say("220 raw.smarthost.test ESMTP\r\n") {
		return
	}
	for {
		newRead := r.Buffered() == 0
		line, ok := read()
		if !ok {
			return
		}
		if inTLS {
			f.mu.Lock()
			if newRead || len(f.groups) == 0 {
				f.groups = append(f.groups, nil)
			}
			f.groups[len(f.groups)-1] = append(f.groups[len(f.groups)-1], line)
			f.mu.Unlock()
		}
		if reply, ok := f.replyFor(line); ok && inTLS {
			say(reply + "\r\n")
			continue
		}
		f := f
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		verb := strings.ToUpper(fields[0])
		f.record(verb)
		switch verb {
		case "EHLO":
			if !inTLS {
				say("250-raw.smarthost.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SIZE 10240000\r\n")
				continue
			}
			ext := f.ehloTLS
			if ext == nil {
				ext = []string{"AUTH LOGIN"}
			}
			var b strings.Builder
			b.WriteString("250-raw.smarthost.test\r\n")
			for _, e := range ext {
				b.WriteString("250-" + e + "\r\n")
			}
			b.WriteString("250 SIZE 10240000\r\n")
			say(b.String())
		case "STARTTLS":
			say("220 2.0.0 Ready to start TLS\r\n")
			cfg := &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
				f.mu.Lock()
				f.sniSeen = append(f.sniSeen, h.ServerName)
				f.mu.Unlock()
				if f.sniCert != nil && h.ServerName == fakeName {
					return f.sniCert, nil
				}
				return &f.cert, nil
			}}
			tc := tls.Server(c, cfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, inTLS = tc, true
			r = bufio.NewReader(conn)
		case "AUTH":
			if len(fields) < 2 || !inTLS {
				say("503 5.5.1 Error: authentication not enabled\r\n")
				continue
			}
			switch mech := strings.ToUpper(fields[1]); {
			case mech == "LOGIN" && len(fields) > 2 && f.refuseIR:
				say("501 5.5.2 Initial response not allowed for LOGIN\r\n")
			case mech == "LOGIN":
				user := ""
				if len(fields) > 2 {
					user = decode(fields[2])
				} else {
					if f.multiLine334 {
						say("334-VXNlcm5hbWU6\r\n334 VXNlcm5hbWU6\r\n")
					} else {
						say("334 VXNlcm5hbWU6\r\n")
					}
					l, ok := read()
					if !ok || l == "*" {
						say("501 5.7.0 Authentication aborted\r\n")
						continue
					}
					user = decode(l)
				}
				say("334 UGFzc3dvcmQ6\r\n")
				l, ok := read()
				if !ok || l == "*" {
					say("501 5.7.0 Authentication aborted\r\n")
					continue
				}
				finish(user, decode(l))
			case mech == "PLAIN" && len(fields) > 2:
				parts := strings.Split(decode(fields[2]), "\x00")
				if len(parts) != 3 {
					say("501 5.5.2 bad PLAIN\r\n")
					continue
				}
				finish(parts[1], parts[2])
			default:
				say("504 5.5.4 Unrecognized authentication type\r\n")
			}
		case "QUIT":
			say("221 2.0.0 Bye\r\n")
			return
		default:
			say("250 2.0.0 Ok\r\n")
		}
	}
}
