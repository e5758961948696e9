package checks

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// floodServer greets and then answers EHLO with an endless stream (a
// never-ending multi-line reply, or one line that never ends), counting
// what it managed to send before the client hung up.
func floodServer(t *testing.T, chunk string) (port int, sent *atomic.Int64) {
	t.Helper()
	sent = &atomic.Int64{}
	port = serveRaw(t, func(c net.Conn) {
		defer c.Close()
		_, _ = io.WriteString(c, "220 flood.test ESMTP\r\n")
		buf := make([]byte, 64)
		if _, err := c.Read(buf); err != nil {
			return
		}
		block := []byte(strings.Repeat(chunk, 32<<10/len(chunk)))
		for {
			n, err := c.Write(block)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	return port, sent
}

func TestEHLOFloodFailsTheStageAtTheCap(t *testing.T) {
	for name, chunk := range map[string]string{
		"endless multi-line reply": "250-XEXTENSION-PADDING-PADDING-PADDING\r\n",
		"endless line":             "250-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	} {
		t.Run(name, func(t *testing.T) {
			port, sent := floodServer(t, chunk)
			start := time.Now()
			_, err := Dial(context.Background(), DialOptions{Host: "127.0.0.1", Port: port, Timeout: 5 * time.Second})
			took := time.Since(start)
			var se *StageError
			var tooLong *ReplyTooLongError
			if !errors.As(err, &se) || se.Stage != StageEHLO || !errors.As(err, &tooLong) {
				t.Fatalf("want the ehlo stage to fail with ReplyTooLongError, got %v", err)
			}
			if took > 2*time.Second {
				t.Errorf("took %s: the cap must end the stage at once, not at the timeout", took)
			}
			// What the server could push before we hung up: our cap plus
			// socket buffers, not a stream limited only by the timeout.
			time.Sleep(100 * time.Millisecond)
			if n := sent.Load(); n > 32<<20 {
				t.Errorf("the server sent %d bytes before we stopped reading", n)
			}
		})
	}
}

func TestReplyLimitCountsLinesAndReplies(t *testing.T) {
	var l replyLimit
	// Many short replies: each ends and resets the count.
	for i := 0; i < 10000; i++ {
		if err := l.feed([]byte("250-A\r\n250 B\r\n")); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	// A reply line split across reads still counts as one line.
	l = replyLimit{}
	part := []byte("250 " + strings.Repeat("x", MaxReplyLineBytes/2))
	if l.feed(part) != nil {
		t.Fatal("half a line refused")
	}
	var e *ReplyTooLongError
	if err := l.feed(part); !errors.As(err, &e) || !e.Line {
		t.Fatalf("over-long line: %v", err)
	}
	// Continuation lines add up to the reply cap.
	l = replyLimit{}
	line := []byte("250-" + strings.Repeat("y", 1000) + "\r\n")
	var err error
	for i := 0; i < MaxReplyBytes/len(line)+2 && err == nil; i++ {
		err = l.feed(line)
	}
	if !errors.As(err, &e) || e.Line {
		t.Fatalf("over-long reply: %v", err)
	}
}

// A plaintext EHLO that gets no answer must not show the hint for EHLO
// after STARTTLS, and a connection reset during AUTH is no credentials
// verdict.
func TestEHLONoReplyHintIsThePlaintextOne(t *testing.T) {
	port := scripted{greeting: "220 mute.test ESMTP\r\n", replies: map[string]string{"EHLO": ""}}.start(t)
	_, err := Dial(context.Background(), DialOptions{Host: "127.0.0.1", Port: port, Timeout: 500 * time.Millisecond})
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageEHLO || se.Hint == hintEHLOTLS() || !strings.Contains(se.Hint, "did not answer EHLO") {
		t.Fatalf("got %v (hint %q)", err, se.Hint)
	}
}

func TestAuthConnectionResetIsNotBadCredentials(t *testing.T) {
	st, detail, hint := classifyAuthError(io.ErrUnexpectedEOF)
	if st == AuthFailed || !strings.Contains(detail, "connection broke during AUTH") || hint == hintAuthBadCredentials() {
		t.Fatalf("status %s detail %q hint %q", st, detail, hint)
	}
}
