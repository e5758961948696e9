package checks

import (
	"bytes"
	"fmt"
)

// Limits on what a server may send us. RFC 5321 4.5.3.1 allows 512 octets
// a reply line; real servers stay far below these caps, which only exist
// so that a hostile or broken peer (an endless EHLO reply, a line without
// end) cannot grow our memory or hold a stage past its timeout.
const (
	MaxReplyLineBytes = 4 << 10  // one line of a reply
	MaxReplyBytes     = 64 << 10 // all lines of one (multi-line) reply
)

// ReplyTooLongError: the server's reply went over a cap; the session is
// unusable afterwards.
type ReplyTooLongError struct {
	Line  bool // the cap of a single line (else: of the whole reply)
	Limit int
}

func (e *ReplyTooLongError) Error() string {
	if e.Line {
		return fmt.Sprintf("the server sent a reply line longer than %d bytes (RFC 5321 allows 512); relaywiz stopped reading", e.Limit)
	}
	return fmt.Sprintf("the server sent a multi-line reply longer than %d bytes in total; relaywiz stopped reading", e.Limit)
}

// replyLimit follows the reply lines in the byte stream from the server
// and fails as soon as one line or one reply is over its cap. It looks at
// every byte once, so it costs next to nothing on the reply path.
type replyLimit struct {
	line, reply int     // bytes of the current line and reply so far
	head        [4]byte // the first bytes of the current line ("250-")
	headN       int
	err         error // sticky
}

func (l *replyLimit) feed(p []byte) error {
	if l.err != nil {
		return l.err
	}
	for len(p) > 0 {
		seg := p
		i := bytes.IndexByte(p, '\n')
		if i >= 0 {
			seg = p[:i+1]
		}
		if l.headN < len(l.head) {
			l.headN += copy(l.head[l.headN:], seg)
		}
		l.line += len(seg)
		l.reply += len(seg)
		switch {
		case l.line > MaxReplyLineBytes:
			l.err = &ReplyTooLongError{Line: true, Limit: MaxReplyLineBytes}
		case l.reply > MaxReplyBytes:
			l.err = &ReplyTooLongError{Limit: MaxReplyBytes}
		}
		if l.err != nil {
			return l.err
		}
		if i < 0 {
			return nil
		}
		// "250-" continues the reply; "250 " (or a short line) ends it.
		if l.headN < 4 || l.head[3] != '-' {
			l.reply = 0
		}
		l.line, l.headN = 0, 0
		p = p[i+1:]
	}
	return nil
}
