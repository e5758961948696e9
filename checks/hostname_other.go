//go:build !windows

package checks

import "os"

// localFQDN is this machine's host name; fully qualified where the system
// is set up that way (most servers).
func localFQDN() string {
	h, _ := os.Hostname()
	return h
}
