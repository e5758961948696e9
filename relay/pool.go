package relay

import (
	"sync"
	"sync/atomic"
	"time"

	"relaywiz/checks"
)

// upstreamConn is one authenticated smart host connection. It can outlive
// the client session that opened it (see upstreamPool), so its transcript
// sink is switchable: lines always go to the session using it now.
type upstreamConn struct {
	*checks.Conn
	transcript atomic.Pointer[func(string)]
	idle       *time.Timer // set while parked in the pool
	// dirty: a MAIL FROM went out and no final reply (250 to the final
	// ".") or RSET has closed that transaction since. Only the session
	// holding the connection touches it.
	dirty bool
}

func (u *upstreamConn) logLine(line string) {
	if f := u.transcript.Load(); f != nil && *f != nil {
		(*f)(line)
	}
}

// quit ends the connection politely but never waits long for it.
func (u *upstreamConn) quit() {
	u.Client.CommandTimeout = 5 * time.Second
	_ = u.Quit() // closes the connection either way
}

// upstreamPool keeps a few idle, authenticated smart host connections
// between client sessions. Exchange and scripts open one session per
// message; without the pool each would pay TCP + STARTTLS + AUTH again, and
// the smart host would see a new connection start before the last one has
// finished its QUIT. A parked connection is closed after ttl; one that the
// smart host dropped in the meantime is detected at MAIL FROM and replaced
// by a fresh dial (session.Mail).
type upstreamPool struct {
	mu     sync.Mutex
	idle   []*upstreamConn
	max    int
	ttl    time.Duration
	closed bool
}

func newUpstreamPool(max int, ttl time.Duration) *upstreamPool {
	return &upstreamPool{max: max, ttl: ttl}
}

// get returns the most recently parked connection, or nil.
func (p *upstreamPool) get() *upstreamConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		u := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if u.idle.Stop() { // false: its idle timer already fired and is closing it
			u.idle = nil
			return u
		}
	}
	return nil
}

// put parks a healthy connection with no open transaction; when the pool
// is full, disabled or closed it is ended instead.
//
// A connection that may still have a transaction open is parked only after
// RSET was answered 250; otherwise it is closed. A later client's MAIL FROM
// on it would get "503 nested MAIL command", a permanent error.
func (p *upstreamPool) put(u *upstreamConn) {
	if u.dirty {
		if p.unusable() {
			u.quit()
			return
		}
		timeout := u.Client.CommandTimeout
		u.Client.CommandTimeout = min(timeout, resetTimeout)
		err := u.Reset()
		u.Client.CommandTimeout = timeout
		if err != nil {
			_ = u.Close()
			return
		}
		u.dirty = false
	}
	p.mu.Lock()
	if p.closed || p.max <= 0 || len(p.idle) >= p.max {
		p.mu.Unlock()
		u.quit()
		return
	}
	u.transcript.Store(nil)
	u.idle = time.AfterFunc(p.ttl, func() {
		if p.remove(u) {
			u.quit()
		}
	})
	p.idle = append(p.idle, u)
	p.mu.Unlock()
}

// resetTimeout bounds the RSET that cleans a connection before it is
// parked: the client that used it is gone and nobody waits for it.
const resetTimeout = 10 * time.Second

func (p *upstreamPool) unusable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed || p.max <= 0 || len(p.idle) >= p.max
}

func (p *upstreamPool) remove(u *upstreamConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, v := range p.idle {
		if v == u {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return true
		}
	}
	return false
}

// close ends every parked connection and refuses new ones.
func (p *upstreamPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, u := range idle {
		if u.idle.Stop() {
			u.quit()
		}
	}
}
