package relay

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// trackingListener wraps every accepted connection in a trackedConn.
type trackingListener struct {
	net.Listener
	srv *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	id := l.srv.nextID.Add(1)
	now := time.Now()
	tc := &trackedConn{Conn: c, srv: l.srv, id: id, start: now, client: c.RemoteAddr().String(), br: bufio.NewReaderSize(c, 64<<10)}
	tc.dl.idleSince = now
	if l.srv.transcript != nil {
		tc.tr = &connTranscript{sink: l.srv.transcript, prefix: fmt.Sprintf("[#%d client] ", id)}
	}
	l.srv.live.add(tc)
	if l.srv.stressed() {
		// Near the cap: idle sessions get the short deadline now, not
		// only at their next command.
		l.srv.live.refresh()
	}
	return tc, nil
}

// trackedConn is the relay's view of one client connection. It outlives
// go-smtp's sessions (which restart at STARTTLS), collects the message
// records for the one log line per connection, and taps the bytes for the
// --verbose transcript.
type trackedConn struct {
	net.Conn
	srv    *Server
	id     int64
	start  time.Time
	client string
	tr     *connTranscript
	// br batches reads: go-smtp reads through a 4 KB buffer, which for a
	// large message means a system call per 4 KB. Safe below STARTTLS:
	// bytes a client pipelines after STARTTLS reach the TLS handshake (and
	// break it), never the command stream.
	br *bufio.Reader

	// readEnded is set once a read from the client failed or hit EOF.
	// go-smtp's BDAT path cannot tell a chunk cut short by a hang-up from
	// a complete one (io.LimitReader turns the early EOF into a clean end
	// of chunk), so Data asks here before committing.
	readEnded atomic.Bool

	dl clientDeadlines // see deadlines.go

	// authFailures counts failed AUTH attempts on this connection (it
	// outlives go-smtp's sessions, so STARTTLS does not reset it);
	// closeAfterWrite hangs up once the next reply is written.
	authFailures    atomic.Int32
	closeAfterWrite atomic.Bool

	mu   sync.Mutex
	helo string
	tls  bool
	user string
	msgs []MessageRecord
	once sync.Once
}

// trackedOf finds the trackedConn under c (go-smtp puts a *tls.Conn on top
// after STARTTLS).
func trackedOf(c net.Conn) *trackedConn {
	for c != nil {
		switch v := c.(type) {
		case *trackedConn:
			return v
		case *tls.Conn:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

func (c *trackedConn) Read(p []byte) (int, error) {
	if c.readingContent() {
		// Message content: the deadline moves with every read.
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.srv.opts.ReadTimeout))
	}
	n, err := c.br.Read(p)
	if n > 0 && c.tr != nil {
		c.tr.clientBytes(p[:n])
	}
	if err != nil {
		c.readEnded.Store(true)
	}
	return n, err
}

// clientGone reports whether the client's side of the connection has
// ended (EOF, reset, timeout): no further bytes of a message will come.
func (c *trackedConn) clientGone() bool { return c.readEnded.Load() }

func (c *trackedConn) Write(p []byte) (int, error) {
	if c.tr != nil {
		c.tr.serverBytes(p)
	}
	n, err := c.Conn.Write(p)
	if c.closeAfterWrite.Load() {
		c.hangUp()
	}
	return n, err
}

func (c *trackedConn) setHello(helo string, isTLS bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.helo, c.tls = helo, c.tls || isTLS
}

func (c *trackedConn) setUser(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user = u
}

func (c *trackedConn) addMessage(m MessageRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

func (c *trackedConn) messageCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// upstreamTranscript returns the sink for this connection's upstream leg,
// or nil without --verbose.
func (c *trackedConn) upstreamTranscript() func(string) {
	if c.srv.transcript == nil {
		return nil
	}
	prefix := fmt.Sprintf("[#%d upstream] ", c.id)
	return func(line string) { c.srv.transcript.line(prefix, line) }
}

// hangUp closes the client's socket without emitting the session record
// (Close does that when go-smtp gets to it), so a read blocked on the
// client fails at once.
func (c *trackedConn) hangUp() { _ = c.Conn.Close() }

// Close closes the connection and, the first time, emits the session
// record. go-smtp calls Session.Logout before closing the connection, so
// every message record is in by now.
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.srv.live.remove(c)
	c.once.Do(func() {
		c.mu.Lock()
		rec := SessionRecord{
			ID:       c.id,
			Start:    c.start,
			Client:   c.client,
			HELO:     c.helo,
			TLS:      c.tls,
			User:     c.user,
			Upstream: c.srv.opts.UpstreamName,
			Messages: append([]MessageRecord(nil), c.msgs...),
			Duration: time.Since(c.start),
		}
		c.mu.Unlock()
		c.srv.emit(rec)
	})
	return err
}
