package relay

import (
	"sync"
	"time"
)

// Client deadlines, the way Postfix's smtpd does it.
//
// go-smtp sets one read deadline (ReadTimeout) before each command line
// and keeps it for whatever follows, a whole DATA upload included; and
// since every line restarts it, a client that sends NOOP one byte a second
// is never dropped, and twenty clients that connect and wait hold every
// session slot for the full timeout. The relay takes the deadlines over
// (trackedConn.SetReadDeadline) and applies its own:
//
//   - a command line must be complete within ReadTimeout of its start;
//   - between transactions (no MAIL FROM open) the whole idle stretch
//     since the last transaction ended, or since connecting, counts: NOOP,
//     RSET or EHLO do not extend it;
//   - under stress (sessions near MaxSessions) that idle stretch is cut to
//     StressIdleTimeout (Postfix: 10 s), also for sessions already idle, so
//     a real client waiting for a slot is served within seconds;
//   - message content is read with a deadline that moves with every read:
//     a slow but moving upload is never cut off, a stalled one is.
type clientDeadlines struct {
	mu        sync.Mutex
	cmdStart  time.Time // when the current command line started
	idleSince time.Time // end of the last transaction, or the connect
	inTxn     bool      // MAIL FROM accepted, no final reply yet
	content   bool      // reading message content (after our 354)
}

// StressIdleTimeout default: Postfix's smtpd_timeout under stress.
const DefaultStressIdleTimeout = 10 * time.Second

// stressed reports whether the relay is near its session cap: at least
// three quarters of the slots taken.
func (s *Server) stressed() bool {
	if s.capl == nil {
		return false
	}
	n, max := len(s.capl.slots), cap(s.capl.slots)
	return n*4 >= max*3
}

// deadline is when the next read must have completed.
func (c *trackedConn) deadline(now time.Time) time.Time {
	d := &c.dl
	d.mu.Lock()
	defer d.mu.Unlock()
	o := &c.srv.opts
	if d.content {
		return now.Add(o.ReadTimeout)
	}
	t := d.cmdStart.Add(o.ReadTimeout)
	if !d.inTxn {
		idle := o.ReadTimeout
		if c.srv.stressed() {
			idle = o.StressIdleTimeout
		}
		if until := d.idleSince.Add(idle); until.Before(t) {
			t = until
		}
	}
	return t
}

// SetReadDeadline is go-smtp announcing that it reads the next command
// line (it calls it with now+ReadTimeout before each one; a zero time
// clears). The relay puts its own deadline there instead.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if t.IsZero() {
		return c.Conn.SetReadDeadline(t)
	}
	now := time.Now()
	c.dl.mu.Lock()
	c.dl.cmdStart, c.dl.content = now, false
	c.dl.mu.Unlock()
	return c.Conn.SetReadDeadline(c.deadline(now))
}

// SetDeadline: go-smtp uses it around the TLS handshake of STARTTLS.
func (c *trackedConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// refreshDeadline applies the current rules to a read already waiting
// (stress has just begun).
func (c *trackedConn) refreshDeadline() {
	c.dl.mu.Lock()
	skip := c.dl.content || c.dl.cmdStart.IsZero()
	c.dl.mu.Unlock()
	if !skip {
		_ = c.Conn.SetReadDeadline(c.deadline(time.Now()))
	}
}

// setTxn marks a transaction open (MAIL FROM accepted) or ended.
func (c *trackedConn) setTxn(open bool) {
	c.dl.mu.Lock()
	defer c.dl.mu.Unlock()
	c.dl.inTxn = open
	if !open {
		c.dl.idleSince = time.Now()
	}
}

// contentStarts: we sent 354; the client's message content follows.
func (c *trackedConn) contentStarts() {
	c.dl.mu.Lock()
	c.dl.content = true
	c.dl.mu.Unlock()
}

func (c *trackedConn) readingContent() bool {
	c.dl.mu.Lock()
	defer c.dl.mu.Unlock()
	return c.dl.content
}

// liveConns is the set of open client connections, for applying a stress
// deadline to all of them at once.
type liveConns struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func (l *liveConns) add(c *trackedConn) {
	l.mu.Lock()
	if l.conns == nil {
		l.conns = map[*trackedConn]struct{}{}
	}
	l.conns[c] = struct{}{}
	l.mu.Unlock()
}

func (l *liveConns) remove(c *trackedConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

func (l *liveConns) refresh() {
	l.mu.Lock()
	all := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		all = append(all, c)
	}
	l.mu.Unlock()
	for _, c := range all {
		c.refreshDeadline()
	}
}
