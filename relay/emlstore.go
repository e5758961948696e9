package relay

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
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
	if validHELO(helo) {
		fmt.Fprintf(&b, "Received: from %s ([%s])", helo, clientIP)
	} else {
		// Never copy what the client typed into the header: it could fake
		// a hop or break the line. The address is what we know.
		fmt.Fprintf(&b, "Received: from [%s] ([%s] unverified)", clientIP, clientIP)
	}
	fmt.Fprintf(&b, "\r\n\tby %s (%s) with %s id %s", by, what, with, id)
	if len(rcpts) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", rcpts[0])
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", now.Format(time.RFC1123Z))
	return b.String()
}

// validHELO reports whether a HELO/EHLO argument is a host name (letters,
// digits, "-" and "_" in dot-separated labels of at most 63 characters) or
// an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"), the only forms
// RFC 5321 allows and the only ones fit for a Received line.
func validHELO(helo string) bool {
	if len(helo) == 0 || len(helo) > 253 {
		return false
	}
	if lit, ok := strings.CutPrefix(helo, "["); ok {
		lit, ok = strings.CutSuffix(lit, "]")
		if !ok {
			return false
		}
		if v6, isV6 := strings.CutPrefix(lit, "IPv6:"); isV6 {
			ip := net.ParseIP(v6)
			return ip != nil && strings.Contains(v6, ":")
		}
		ip := net.ParseIP(lit)
		return ip != nil && ip.To4() != nil && !strings.Contains(lit, ":")
	}
	for _, label := range strings.Split(helo, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return false
			}
		}
	}
	return true
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
