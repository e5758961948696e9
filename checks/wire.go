package checks

import (
	"net"
	"strings"
	"sync"
	"time"
)

// deadlineCap is the session's hard deadline (the --timeout budget, or
// "now" once the context is cancelled). go-smtp sets its own per-command
// deadlines on the connection and clears them afterwards; clamping every
// SetDeadline to the cap keeps the whole session inside its budget no
// matter which layer sets a deadline.
type deadlineCap struct {
	mu   sync.Mutex
	hard time.Time // zero: no cap
}

func (d *deadlineCap) set(t time.Time) {
	d.mu.Lock()
	d.hard = t
	d.mu.Unlock()
}

func (d *deadlineCap) clamp(t time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hard.IsZero() {
		return t
	}
	if t.IsZero() || t.After(d.hard) {
		return d.hard
	}
	return t
}

// wireConn is the connection the SMTP conversation runs on. It taps the
// plaintext for the transcript, clamps deadlines, and can present a
// synthetic greeting: after STARTTLS there is no new 220, but go-smtp's
// Client reads one before its first command, so we replay it locally
// (never logged, never sent).
type wireConn struct {
	net.Conn
	cap      *deadlineCap
	tap      *transcript // nil: no transcript
	tls      bool        // the Conn below is the TLS layer
	greeting []byte
	record   *replyRecorder // when set, keeps the bytes received
	limit    replyLimit     // caps reply lines and replies (replylimit.go)
	// afterWrite, when set, runs after every write (see ackpolicy*.go).
	afterWrite func()
	// replace, when set, writes in place of the next write (once);
	// replaced records that it wrote everything.
	replace  func(net.Conn) error
	replaced bool
	// ahead: commands relaywiz already wrote as one pipelined batch
	// (pipeline.go); go-smtp's next writes are matched against them and
	// not sent again, so go-smtp reads their replies in order.
	ahead []aheadCmd
}

func (w *wireConn) Read(p []byte) (int, error) {
	if len(w.greeting) > 0 {
		n := copy(p, w.greeting)
		w.greeting = w.greeting[n:]
		return n, nil
	}
	n, err := w.Conn.Read(p)
	if n > 0 {
		if lerr := w.limit.feed(p[:n]); lerr != nil {
			// Nothing of an over-long reply is passed on: the reader
			// above stops here, with what it holds already bounded.
			return 0, lerr
		}
		w.tap.received(p[:n], w.tls)
		if w.record != nil {
			w.record.buf = append(w.record.buf, p[:n]...)
		}
	}
	return n, err
}

func (w *wireConn) Write(p []byte) (int, error) {
	if len(w.ahead) > 0 {
		return w.swallow(p)
	}
	if w.replace != nil {
		// BDAT rides on a go-smtp command (see BodyWriter.commitBDAT):
		// its bytes go out instead, and go-smtp reads the reply.
		r := w.replace
		w.replace = nil
		err := r(w.Conn)
		w.replaced = err == nil // all of it left: the server may act on it
		if w.afterWrite != nil {
			w.afterWrite()
		}
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
	w.tap.sent(p, w.tls)
	n, err := w.Conn.Write(p)
	if w.afterWrite != nil {
		w.afterWrite()
	}
	return n, err
}

func (w *wireConn) SetDeadline(t time.Time) error { return w.Conn.SetDeadline(w.cap.clamp(t)) }
func (w *wireConn) SetReadDeadline(t time.Time) error {
	return w.Conn.SetReadDeadline(w.cap.clamp(t))
}
func (w *wireConn) SetWriteDeadline(t time.Time) error {
	return w.Conn.SetWriteDeadline(w.cap.clamp(t))
}

// replyRecorder keeps a raw reply that go-smtp parses but does not expose
// (the full EHLO list after TLS: go-smtp only answers "is X advertised?").
type replyRecorder struct{ buf []byte }

// message returns the reply's lines without their "250-"/"250 " codes,
// joined by "\n" like textproto.Reader.ReadResponse.
func (r *replyRecorder) message() string {
	var lines []string
	for _, line := range strings.Split(strings.ReplaceAll(string(r.buf), "\r\n", "\n"), "\n") {
		if len(line) >= 4 {
			lines = append(lines, line[4:])
		} else if len(line) == 3 {
			lines = append(lines, "")
		}
	}
	return strings.Join(lines, "\n")
}
