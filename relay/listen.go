package relay

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// ErrNotLoopback is returned (wrapped) when asked to listen on an address
// other computers can reach without explicitly allowing remote clients.
var ErrNotLoopback = errors.New("not a loopback address")

// isLoopbackHost reports whether host (from a host:port listen address)
// can only be reached from this computer. "localhost" counts; an empty
// host or 0.0.0.0/:: means every interface and does not.
func isLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListenAddr validates a listen address and, unless remote clients are
// allowed, insists on loopback. The error says what is wrong with the
// address only: which flag fixes it depends on the command (the relay has
// --allow-remote, the lab has no such thing), so each caller adds its own.
func CheckListenAddr(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: want HOST:PORT, e.g. 127.0.0.1:2525: %w", addr, err)
	}
	if port == "" {
		return fmt.Errorf("listen address %q: the port is missing (use 0 for any free port)", addr)
	}
	if !allowRemote && !isLoopbackHost(host) {
		shown := host
		if shown == "" {
			shown = "all interfaces"
		}
		return fmt.Errorf("listen address %q (%s): %w; other computers could connect to it", addr, shown, ErrNotLoopback)
	}
	return nil
}

// listenLocal opens the TCP listener. "localhost" is pinned to 127.0.0.1
// so the port we print is the one that answers.
func listenLocal(addr string) (net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	if strings.EqualFold(host, "localhost") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another program using the port? pick another with --listen)", addr, err)
	}
	return l, nil
}

// capListener limits concurrent sessions. Over the cap a client gets an
// immediate 421 instead of hanging unanswered in the accept queue, which
// clients would only notice at their own timeout.
type capListener struct {
	net.Listener
	slots chan struct{}
	// loopbackOnly drops non-loopback peers as a second line of defence
	// behind listening on a loopback address.
	loopbackOnly bool
}

func newCapListener(l net.Listener, max int, loopbackOnly bool) *capListener {
	return &capListener{Listener: l, slots: make(chan struct{}, max), loopbackOnly: loopbackOnly}
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.loopbackOnly {
			if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
				_, _ = c.Write([]byte("554 5.7.1 relaywiz accepts loopback clients only\r\n"))
				c.Close()
				continue
			}
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			_, _ = c.Write([]byte(fmt.Sprintf("421 4.3.2 relaywiz: too many concurrent sessions (limit %d), try again later\r\n", cap(l.slots))))
			c.Close()
		}
	}
}

// slotConn gives its session slot back exactly once, however often it is
// closed (go-smtp may close both on QUIT and on shutdown).
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
