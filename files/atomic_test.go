package files

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteAtomicCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "apply.ps1")
	if err := WriteAtomic(path, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "two" {
		t.Fatalf("content %q", got)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Fatalf("temporary files left behind: %v", names)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
	}
}

// When the final rename fails, the old file must be untouched and the
// temporary file gone: the write happened entirely or not at all.
func TestWriteAtomicFailureKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "verify.ps1")
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	var tmpSeen string
	boom := errors.New("disk on fire")
	err := writeAtomic(path, []byte("new content"), 0o644, func(oldpath, newpath string) error {
		tmpSeen = oldpath
		// The new bytes are complete in the temporary file before the
		// rename, in the same directory (so the rename is atomic).
		b, _ := os.ReadFile(oldpath)
		if string(b) != "new content" || filepath.Dir(oldpath) != dir {
			t.Errorf("temporary file %s holds %q", oldpath, b)
		}
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v should wrap the cause and name the file", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old content" {
		t.Fatalf("old file changed to %q", got)
	}
	if _, err := os.Stat(tmpSeen); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file %s left behind", tmpSeen)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %v", names)
	}
}

func TestWriteAtomicMissingDirectory(t *testing.T) {
	err := WriteAtomic(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "temporary file") {
		t.Fatalf("want a clear error, got %v", err)
	}
}

// A reader running while the file is rewritten again and again must only
// ever see one complete version or the other. With a plain truncate-and-
// write it would see empty or half-written files.
func TestWriteAtomicReadersNeverSeePartialFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checklist.md")
	a := bytes.Repeat([]byte("a"), 256<<10)
	b := bytes.Repeat([]byte("b"), 128<<10)
	if err := WriteAtomic(path, a, 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	bad := make(chan int, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := os.ReadFile(path)
			if runtime.GOOS == "windows" {
				// A Windows rename cannot replace a file while a reader
				// has it open (Go opens without FILE_SHARE_DELETE), so
				// WriteAtomic retries; a reader that never lets go would
				// starve it, which no real reader (editor, scanner) does.
				time.Sleep(time.Millisecond)
			}
			if err != nil {
				continue // Windows may refuse to open a file mid-rename
			}
			if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
				select {
				case bad <- len(got):
				default:
				}
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		data := a
		if i%2 == 0 {
			data = b
		}
		if err := WriteAtomic(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case n := <-bad:
		t.Fatalf("a reader saw a partial file (%d bytes)", n)
	default:
	}
}
