package checks

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// delayProxy models a network path with a round-trip time on loopback: a
// TCP proxy that delivers every chunk half an RTT after it was read, in
// each direction, without serialising chunks (pipelined data stays
// pipelined). The TCP handshake cannot be delayed from user space, so
// dialer() adds one RTT before connecting, and the proxy connects
// upstream half an RTT after accepting (our final ACK travelling): the
// greeting then reaches the client one RTT after connect, as on a real
// path.
type delayProxy struct {
	rtt      time.Duration
	upstream string
	l        net.Listener
	wg       sync.WaitGroup
}

func newDelayProxy(t testing.TB, upstream string, rtt time.Duration) *delayProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &delayProxy{rtt: rtt, upstream: upstream, l: l}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.wg.Wait() })
	return p
}

func (p *delayProxy) port() int { return p.l.Addr().(*net.TCPAddr).Port }

// dialer is the DialContext the client uses: SYN and SYN-ACK cost an RTT.
func (p *delayProxy) dialer() DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case <-time.After(p.rtt):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func (p *delayProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			time.Sleep(p.rtt / 2)
			up, err := net.Dial("tcp", p.upstream)
			if err != nil {
				c.Close()
				return
			}
			var both sync.WaitGroup
			both.Add(2)
			go func() { defer both.Done(); p.pump(up, c) }()
			go func() { defer both.Done(); p.pump(c, up) }()
			both.Wait()
			c.Close()
			up.Close()
		}()
	}
}

type chunk struct {
	data []byte
	due  time.Time
}

// pump copies src to dst, each chunk delayed by half an RTT.
func (p *delayProxy) pump(dst, src net.Conn) {
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{buf[:n], time.Now().Add(p.rtt / 2)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			go func() {
				for range q { // drain so the reader can finish
				}
			}()
			break
		}
	}
	// Pass the EOF on, after the data in flight.
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
	_, _ = io.Copy(io.Discard, src)
}
