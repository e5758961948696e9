package relay

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relaywiz/checks"
)

// scriptedHost is a raw-socket smart host (STARTTLS, AUTH LOGIN/PLAIN, DATA and
// BDAT) that misbehaves in one chosen way at one chosen stage: the replies
// a real MTA never gives on demand (250 to DATA, a stall after the end of
// the message, a close mid-RCPT). Everything else it answers correctly.
type scriptedHost struct {
	Addr     string
	stage    string // where to misbehave: connect ehlo starttls ehlo_tls auth mail rcpt data body dot bdat
	action   string // ok unexpected2xx 4xx 5xx close stall flood
	chunking bool   // advertise CHUNKING after TLS
	// pipelining: advertise PIPELINING after TLS. dialect: the client the
	// dialer speaks as (zero: Exchange Server).
	pipelining bool
	dialect    checks.Dialect

	mu        sync.Mutex
	delivered int
	sawBDAT   bool
	// mails counts MAIL commands; batched those whose RCPT TO had
	// arrived with them, in the same read (the client did not wait for
	// the MAIL reply); commands lists every verb in arrival order.
	mails, batched int
	commands       []string
	stop           chan struct{}
}

func startScriptedHost(t testing.TB, stage, action string, chunking bool) *scriptedHost {
	t.Helper()
	return startScriptedHostWith(t, &scriptedHost{stage: stage, action: action, chunking: chunking})
}

// startScriptedHostWith serves h as configured (pipelining, dialect).
func startScriptedHostWith(t testing.TB, h *scriptedHost) *scriptedHost {
	t.Helper()
	h.stop = make(chan struct{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.Addr = l.Addr().String()
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				h.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		close(h.stop)
		l.Close()
		wg.Wait()
	})
	return h
}

// dialer reaches the host through the production dialer (checks.Dial),
// trusting fakePKI's CA and logging in as Exchange does (AUTH LOGIN).
func (h *scriptedHost) dialer() UpstreamDialer {
	host, port, _ := net.SplitHostPort(h.Addr)
	p, _ := strconv.Atoi(port)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(fakePKI().CAPEM)
	dial := NewUpstreamDialer(UpstreamConfig{Host: host, Port: p, RootCAs: roots, User: "relay", Password: []byte("pw"), Timeout: time.Second, Dialect: h.dialect})
	return func(ctx context.Context, hk DialHooks) (*checks.Conn, error) { return dial(ctx, hk) }
}

// pipelineCounts: MAIL commands seen, and how many came with their RCPT.
func (h *scriptedHost) pipelineCounts() (mails, batched int, commands []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mails, h.batched, append([]string(nil), h.commands...)
}

func (h *scriptedHost) counts() (delivered int, sawBDAT bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.delivered, h.sawBDAT
}

// misbehave answers a stage per the script; ok is the normal reply. It
// reports whether a reply was sent (false: closed or stalled, the
// conversation is over) and whether it was the normal one.
func (h *scriptedHost) misbehave(c net.Conn, w *bufio.Writer, stage, ok, positive string) (sent, normal bool) {
	reply := ok
	if stage == h.stage {
		switch h.action {
		case "unexpected2xx":
			reply = positive
		case "4xx":
			reply = "451 4.3.0 scripted temporary failure"
		case "5xx":
			reply = "554 5.7.1 scripted permanent failure"
		case "close":
			return false, false
		case "stall":
			// Hold the connection without a word until the peer gives up.
			_, _ = io.Copy(io.Discard, c)
			return false, false
		case "flood":
			// An endless multi-line reply, until the peer hangs up.
			block := []byte(strings.Repeat("250-FLOODFLOODFLOODFLOODFLOODFLOODFLOOD\r\n", 1024))
			for {
				if _, err := c.Write(block); err != nil {
					return false, false
				}
			}
		}
	}
	w.WriteString(reply + "\r\n")
	w.Flush()
	return true, reply == ok
}

func (h *scriptedHost) serve(raw net.Conn) {
	var c net.Conn = raw
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	if sent, _ := h.misbehave(c, w, "connect", "220 fake-upstream.test ESMTP scripted", "250 fake-upstream.test hello?"); !sent {
		return
	}
	tlsOn := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		h.mu.Lock()
		h.commands = append(h.commands, verb)
		if verb == "MAIL" {
			h.mails++
			// Already read from the socket with the MAIL line: sent in
			// the same write, before the client saw the MAIL reply.
			if next, _ := r.Peek(r.Buffered()); strings.HasPrefix(strings.ToUpper(string(next)), "RCPT") {
				h.batched++
			}
		}
		h.mu.Unlock()
		switch verb {
		case "EHLO":
			if !tlsOn {
				if sent, _ := h.misbehave(c, w, "ehlo", "250-fake-upstream.test\r\n250-SIZE 10000000\r\n250 STARTTLS", "221 2.0.0 bye?"); !sent {
					return
				}
				continue
			}
			ext := "250-fake-upstream.test\r\n250-SIZE 10000000\r\n250-8BITMIME\r\n"
			if h.chunking {
				ext += "250-CHUNKING\r\n"
			}
			if h.pipelining {
				ext += "250-PIPELINING\r\n"
			}
			if sent, _ := h.misbehave(c, w, "ehlo_tls", ext+"250 AUTH LOGIN PLAIN", "221 2.0.0 bye?"); !sent {
				return
			}
		case "STARTTLS":
			sent, normal := h.misbehave(c, w, "starttls", "220 2.0.0 go ahead", "250 2.0.0 no TLS for you")
			if !sent {
				return
			}
			if !normal {
				continue
			}
			tc := tls.Server(raw, fakePKI().serverTLSConfig())
			if tc.Handshake() != nil {
				return
			}
			c, tlsOn = tc, true
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
		case "AUTH":
			// Exchange's form (the relay's default dialect): bare AUTH
			// LOGIN, then a 334 prompt for each of user name and password;
			// the script's answer is the final one.
			if f := strings.Fields(line); len(f) == 2 && strings.EqualFold(f[1], "LOGIN") {
				for _, prompt := range []string{"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"} {
					w.WriteString(prompt + "\r\n")
					w.Flush()
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
				}
			}
			if sent, _ := h.misbehave(c, w, "auth", "235 2.7.0 authenticated", "250 2.0.0 whatever"); !sent {
				return
			}
		case "MAIL":
			if sent, _ := h.misbehave(c, w, "mail", "250 2.1.0 ok", "251 2.1.0 odd"); !sent {
				return
			}
		case "RCPT":
			if sent, _ := h.misbehave(c, w, "rcpt", "250 2.1.5 ok", "221 2.0.0 bye"); !sent {
				return
			}
		case "DATA":
			sent, normal := h.misbehave(c, w, "data", "354 go ahead", "250 2.0.0 Ok: queued as NOTHING")
			if !sent {
				return
			}
			if !normal {
				continue
			}
			if !h.body(c, r, w) {
				return
			}
		case "BDAT":
			f := strings.Fields(line)
			n, _ := strconv.Atoi(f[1])
			h.mu.Lock()
			h.sawBDAT = true
			h.mu.Unlock()
			if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
				return
			}
			last := len(f) > 2 && strings.EqualFold(f[2], "LAST")
			ok := "250 2.0.0 chunk ok"
			if last {
				ok = "250 2.0.0 Ok: queued as BDAT1"
			}
			if last && (h.stage != "bdat" || h.action == "ok") {
				h.mu.Lock()
				h.delivered++
				h.mu.Unlock()
			}
			if sent, _ := h.misbehave(c, w, "bdat", ok, "251 2.0.0 odd"); !sent {
				return
			}
		case "RSET", "NOOP":
			fmt.Fprintf(w, "250 2.0.0 ok\r\n")
			w.Flush()
		case "QUIT":
			fmt.Fprintf(w, "221 2.0.0 bye\r\n")
			w.Flush()
			return
		default:
			fmt.Fprintf(w, "502 5.5.2 unknown command\r\n")
			w.Flush()
		}
	}
}

// body reads the content up to the lone "." and gives the final reply; at
// stage "body" it misbehaves after the first line instead.
func (h *scriptedHost) body(c net.Conn, r *bufio.Reader, w *bufio.Writer) bool {
	first := true
	early := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if first && h.stage == "body" {
			first = false
			switch h.action {
			case "close":
				return false
			case "stall":
				_, _ = io.Copy(io.Discard, c)
				return false
			case "4xx", "5xx":
				// An early refusal; the rest of the content is read and
				// gets no second reply.
				_, _ = h.misbehave(c, w, "body", "", "")
				early = true
			}
		}
		if line == ".\r\n" {
			break
		}
	}
	if early {
		return true
	}
	// Counted before the reply leaves, so the client never sees a 250
	// the count does not have yet.
	if h.stage != "dot" || h.action == "ok" {
		h.mu.Lock()
		h.delivered++
		h.mu.Unlock()
	}
	sent, _ := h.misbehave(c, w, "dot", "250 2.0.0 Ok: queued as SCRIPTED1", "251 2.0.0 queued, maybe")
	return sent
}
