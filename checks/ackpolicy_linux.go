//go:build linux

package checks

import (
	"net"
	"syscall"
)

// tcpQuickAck is TCP_QUICKACK from linux/tcp.h (not in package syscall).
const tcpQuickAck = 12

// ackAtOnce returns a function that puts the socket in quick-ACK mode.
// Linux leaves that mode again by itself, so it must be re-armed after
// each write (the write is what makes the kernel delay ACKs again).
func ackAtOnce(c net.Conn) func() {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() {
		_ = rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpQuickAck, 1)
		})
	}
}

// tuneAcks is a no-op on Linux: ackAtOnce does the work per write.
func tuneAcks(net.Conn) {}
