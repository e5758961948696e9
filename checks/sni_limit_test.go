package checks

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The SNI comparison opens a second connection of its own: the reply caps
// apply there too. A server that answers its EHLO with an endless reply
// (here 1 MB, then silence) is stopped at the cap, not read until the
// budget runs out.
func TestCertWithSNICapsTheEHLOReply(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "220 flood.test ESMTP\r\n")
		bufio.NewReader(c).ReadString('\n') // EHLO
		line := "250-" + strings.Repeat("X", 1000) + "\r\n"
		for i := 0; i < 1000; i++ {
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
		<-done
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s := &session{ctx: ctx, ehloName: "relaywiz.test"}
	s.res.RemoteAddr = l.Addr().String()
	_, err = s.certWithSNI("flood.test", nil)
	var tl *ReplyTooLongError
	if !errors.As(err, &tl) {
		t.Fatalf("err %v, want the reply cap (%T)", err, tl)
	}
}
