//go:build windows

package checks

import "syscall"

// Winsock reports its own error numbers (WSAE*), which syscall.ECONNREFUSED
// and friends do not match on Windows.
const (
	wsaeNetDown     syscall.Errno = 10050
	wsaeNetUnreach  syscall.Errno = 10051
	wsaeConnRefused syscall.Errno = 10061
	wsaeHostDown    syscall.Errno = 10064
	wsaeHostUnreach syscall.Errno = 10065
)

func isRefused(err error) bool { return errnoIn(err, wsaeConnRefused, syscall.ECONNREFUSED) }

func isUnreachable(err error) bool {
	return errnoIn(err, wsaeNetDown, wsaeNetUnreach, wsaeHostDown, wsaeHostUnreach)
}
