//go:build windows

package files

// syncDir is a no-op on Windows: a directory cannot be opened for syncing
// there, and MoveFileEx (os.Rename) already replaces the file in one step.
func syncDir(string) {}
