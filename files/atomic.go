package files

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteAtomic replaces path with data: temporary file in the same
// directory (so the rename cannot cross file systems), fsync, rename. The
// temporary file is removed if anything fails, and the old content of path
// stays as it was.
func WriteAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeAtomic(path, data, perm, replaceFile)
}

// writeAtomic takes the rename step as a parameter so tests can make it
// fail and check that nothing is left behind.
func writeAtomic(path string, data []byte, perm fs.FileMode, rename func(oldpath, newpath string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: create a temporary file next to it: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	// Sync before rename: otherwise a crash can leave the new name pointing
	// at an empty file on some file systems.
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", tmp, err)
	}
	if err = os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("write %s: set permissions: %w", tmp, err)
	}
	if err = rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: replace it with the new version: %w", path, err)
	}
	syncDir(dir)
	return nil
}
