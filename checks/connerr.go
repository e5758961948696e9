package checks

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
)

// connFailure is why a TCP connect failed, in the three kinds an admin
// acts on differently.
type connFailure string

const (
	connRefused     connFailure = "refused"     // RST: nothing listening, or a firewall rejecting
	connTimeout     connFailure = "timeout"     // silence: the port is filtered
	connUnreachable connFailure = "unreachable" // no route to the host or network
	connOther       connFailure = "failed"
)

func classifyConnectError(err error) connFailure {
	switch {
	case err == nil:
		return ""
	case isRefused(err):
		return connRefused
	case isUnreachable(err):
		return connUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return connTimeout
	}
	return connOther
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func errnoIn(err error, codes ...syscall.Errno) bool {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return false
	}
	for _, c := range codes {
		if en == c {
			return true
		}
	}
	return false
}
