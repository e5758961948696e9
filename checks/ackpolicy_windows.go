//go:build windows

package checks

import (
	"net"
	"unsafe"

	"golang.org/x/sys/windows"
)

// sioTCPSetAckFrequency is SIO_TCP_SET_ACK_FREQUENCY (mstcpip.h):
// _WSAIOW(IOC_VENDOR, 23). A frequency of 1 acknowledges every segment.
const sioTCPSetAckFrequency = 0x98000017

// ackAtOnce: on Windows tuneAcks changes the socket once, for good.
func ackAtOnce(net.Conn) func() { return nil }

// tuneAcks turns off delayed ACKs on the socket (Windows 8 / 2012 and
// later; older systems reject the ioctl and keep their default).
func tuneAcks(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		freq := uint32(1)
		var returned uint32
		_ = windows.WSAIoctl(windows.Handle(fd), sioTCPSetAckFrequency,
			(*byte)(unsafe.Pointer(&freq)), uint32(unsafe.Sizeof(freq)), nil, 0, &returned, nil, 0)
	})
}
