//go:build !windows

package files

import "os"

// replaceFile renames tmp over path; on Unix a rename never waits for readers.
func replaceFile(tmp, path string) error { return os.Rename(tmp, path) }
