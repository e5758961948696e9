package files

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadLimitedAcceptsUpToTheLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLimited(p, 5)
	if err != nil || string(got) != "12345" {
		t.Fatalf("ReadLimited at the limit = %q, %v", got, err)
	}
	_, err = ReadLimited(p, 4)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || tl.Path != p {
		t.Fatalf("ReadLimited over the limit = %v, want a *TooLargeError for %s", err, p)
	}
	if !strings.Contains(err.Error(), "4 bytes") {
		t.Errorf("message %q does not name the limit", err)
	}
}

func TestReadLimitedRefusesAnEndlessDevice(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/zero on Windows")
	}
	_, err := ReadLimited("/dev/zero", MaxProfileBytes)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadLimited(/dev/zero) = %v, want ErrTooLarge", err)
	}
}

func TestReadAllLimitedNamesTheSource(t *testing.T) {
	_, err := ReadAllLimited(strings.NewReader(strings.Repeat("x", 2048)), "standard input", 1024)
	if err == nil || !strings.Contains(err.Error(), "standard input is larger than 1 KiB") {
		t.Fatalf("err = %v", err)
	}
}
