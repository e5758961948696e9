//go:build windows

package files

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// replaceFile renames tmp over path. On Windows the rename fails with
// "Access is denied" or a sharing violation while another process has path
// open without FILE_SHARE_DELETE, which is how Go's os.Open, Notepad, an
// Explorer preview or a virus scanner open files: a reader that looks at
// the old version for a moment must not make the write fail. So the rename
// is retried for a bounded time, as cmd/go's robustio does. Found by running
// the files tests under Wine (TestWriteAtomicReadersNeverSeePartialFiles).
func replaceFile(tmp, path string) error {
	const budget = 2 * time.Second
	deadline := time.Now().Add(budget)
	wait := time.Millisecond
	for {
		err := os.Rename(tmp, path)
		if err == nil || !renameRetryable(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

// ERROR_SHARING_VIOLATION is not in package syscall.
const errorSharingViolation syscall.Errno = 32

func renameRetryable(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return errno == syscall.ERROR_ACCESS_DENIED || errno == errorSharingViolation
}
