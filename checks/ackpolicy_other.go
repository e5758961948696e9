//go:build !linux && !windows

package checks

import "net"

// Other systems (macOS) offer no per-socket control of delayed ACKs.
func ackAtOnce(net.Conn) func() { return nil }
func tuneAcks(net.Conn)         {}
