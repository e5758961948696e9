// Command dist packs release archives reproducibly: the same inputs give
// the same bytes on any machine, at any time, under any umask or time zone.
// Test tooling / release tooling only; `make dist` runs it.
//
//	go run ./.ci/dist -out DIR -name relaywiz_1.2.0_windows_amd64 -format zip -mtime EPOCH FILE...
//	go run ./.ci/dist -out DIR -sums            # write DIR/SHA256SUMS for every archive in DIR
//
// Every entry gets the same modification time (the commit time), owner and
// group 0 with no names, mode 0755 for the binary and 0644 for the rest, in
// the order given; gzip carries no name and no time.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "", "output directory")
	name := flag.String("name", "", "archive base name, also the top-level directory inside it")
	format := flag.String("format", "tar.gz", "zip or tar.gz")
	mtime := flag.Int64("mtime", 0, "modification time of every entry, seconds since 1970 (the commit time)")
	sums := flag.Bool("sums", false, "write SHA256SUMS for the archives in -out")
	flag.Parse()
	if err := run(*out, *name, *format, time.Unix(*mtime, 0).UTC(), *sums, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func run(out, name, format string, mtime time.Time, sums bool, files []string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if sums {
		return writeSums(out)
	}
	if name == "" || len(files) == 0 {
		return fmt.Errorf("-name and at least one file are required")
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "zip":
		err = packZip(&buf, name, mtime, files)
	case "tar.gz":
		err = packTarGz(&buf, name, mtime, files)
	default:
		err = fmt.Errorf("unknown -format %q", format)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, name+"."+format), buf.Bytes(), 0o644)
}

// mode is 0755 for programs and 0644 for documents, whatever the umask made.
func mode(path string) int64 {
	base := filepath.Base(path)
	if base == "relaywiz" || strings.HasSuffix(base, ".exe") {
		return 0o755
	}
	return 0o644
}

func packZip(w *bytes.Buffer, name string, mtime time.Time, files []string) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		h := &zip.FileHeader{Name: name + "/" + filepath.Base(f), Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(mode(f)))
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func packTarGz(w *bytes.Buffer, name string, mtime time.Time, files []string) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	// No file name and no time in the gzip header (gzip -n).
	gz.Header = gzip.Header{OS: 255}
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatUSTAR}); err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: name + "/" + filepath.Base(f), Mode: mode(f),
			Size: int64(len(data)), ModTime: mtime, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// writeSums writes SHA256SUMS in the format `sha256sum -c` reads.
func writeSums(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".zip") || strings.HasSuffix(n, ".tar.gz")) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no archives in %s", out)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(out, n))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), n)
	}
	return os.WriteFile(filepath.Join(out, "SHA256SUMS"), []byte(b.String()), 0o644)
}
