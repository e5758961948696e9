package files

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Size limits for the files relaywiz reads. Each is far above what a real
// file of that kind holds and far below what would hurt: a path pointing at
// /dev/zero or a multi-gigabyte log must fail fast with a clear message
// instead of eating all memory.
const (
	MaxProfileBytes  = 1 << 20  // wizard profile (JSON, a few KB in practice)
	MaxCAFileBytes   = 4 << 20  // PEM bundle (Debian's full bundle is ~220 KB)
	MaxSecretBytes   = 64 << 10 // a password file
	MaxExportBytes   = 32 << 20 // export.ps1's JSON of a large organisation
	MaxMessageBytes  = 64 << 20 // a message or header file given to headers/send
	MaxArtifactBytes = 8 << 20  // an existing artifact compared before it is replaced
)

// TooLargeError says a file was over its limit. Callers map it to exit 64
// (bad input): the user pointed relaywiz at the wrong file.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, which is more than a file of this kind can be; check the path", e.Path, humanBytes(e.Limit))
}

// ErrTooLarge matches any *TooLargeError with errors.Is.
var ErrTooLarge = errors.New("file too large")

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ReadLimited reads the whole of path, refusing it when it holds more than
// limit bytes. It reads at most limit+1 bytes, so devices and endless pipes
// are refused as quickly as big files.
func ReadLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimited(f, path, limit)
}

// ReadAllLimited is ReadLimited for an already-open reader (stdin); name is
// what the error calls it.
func ReadAllLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	return readAllLimited(r, name, limit)
}

func readAllLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: name, Limit: limit}
	}
	return data, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
