//go:build !windows

package files

import "os"

// syncDir makes the rename itself durable. Best effort: the file content is
// already safe, and some file systems refuse to sync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
