package relay

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// newMessageID returns a short, sortable, unique id for a stored message
// (also used as the lab's "queued as" id): UTC time plus random bits.
func newMessageID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// receivedHeader builds the trace header an MTA prepends when it accepts a
// message (RFC 5321 section 4.4), so the .eml shows where it came from.
// with is the RFC 3848 protocol keyword, e.g. "ESMTPSA"; what is
// "relaywiz lab" or "relaywiz relay".
func receivedHeader(helo, clientIP, by, what, with, id string, rcpts []string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (%s) with %s id %s", helo, clientIP, by, what, with, id)
	if len(rcpts) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", rcpts[0])
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", now.Format(time.RFC1123Z))
	return b.String()
}

// storeMessage writes trace headers followed by the message read from r to
// dir/ID.eml. It is atomic: the data goes to a temporary file that is synced
// and renamed only when complete, so a watcher never sees half a message and
// an aborted or oversized transfer leaves nothing behind.
func storeMessage(dir, id, trace string, r io.Reader) (path string, size int64, err error) {
	tmp, err := os.CreateTemp(dir, ".incoming-*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.WriteString(tmp, trace); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	// Return the reader's error untouched: go-smtp turns an *smtp.SMTPError
	// such as ErrDataTooLarge into its own reply code.
	size, err = io.Copy(tmp, r)
	if err != nil {
		return "", size, err
	}
	if err = tmp.Sync(); err != nil {
		return "", size, fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return "", size, fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	path = filepath.Join(dir, id+".eml")
	if err = os.Rename(tmp.Name(), path); err != nil {
		return "", size, fmt.Errorf("rename to %s: %w", path, err)
	}
	return path, size, nil
}
