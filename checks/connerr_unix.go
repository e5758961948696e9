//go:build !windows

package checks

import "syscall"

func isRefused(err error) bool { return errnoIn(err, syscall.ECONNREFUSED) }

func isUnreachable(err error) bool {
	return errnoIn(err, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.ENETDOWN)
}
