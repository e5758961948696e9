package troubleshoot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxHeaderBytes caps how much of the input Analyze reads before the
// blank line that ends the header block. Real header blocks are a few KiB;
// even long Exchange Online chains stay far below 1 MiB, so anything larger
// is a wrong file (a whole mailbox export, a binary) and is refused early
// instead of being held in memory.
const DefaultMaxHeaderBytes = 1 << 20

// TooLargeError reports a header block above the cap.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the header block is larger than %d KiB: pass one message's headers (an .eml file or the text from Outlook's \"Internet headers\" box), not a mailbox or binary file", e.Limit>>10)
}

// ErrNoHeaders means the input held no header field at all.
var ErrNoHeaders = errors.New("no mail headers found: expected lines like \"Received: from …\" (paste the full header block or pass the .eml file)")

// field is one unfolded header field, in input order.
type field struct {
	Name  string // as written
	Key   string // lower-case name for lookups
	Value string // unfolded, not yet decoded
}

// readHeaderBlock reads fields up to the first empty line (the body is never
// read). It accepts CRLF and LF line ends, a leading mbox "From " line and
// leading blank lines from pasted text; lines that are neither a field nor a
// continuation are counted in ignored and skipped.
//
// The caller bounds br (readInput wraps the input in a LimitedReader of
// limit+1 bytes) so one endless line cannot exhaust memory.
func readHeaderBlock(br *bufio.Reader, limit int64) (fields []field, ignored int, err error) {
	if limit <= 0 {
		limit = DefaultMaxHeaderBytes
	}
	var read int64
	first := true
	// The value of the field being read grows in one byte buffer and
	// becomes a string once, when the next field starts: appending to a
	// string per continuation line would be quadratic on hostile input (a
	// megabyte of one-character continuation lines), and a string per line
	// was most of the cost of a large block.
	var val, long []byte
	open := false
	flush := func() {
		if open {
			fields[len(fields)-1].Value = string(val)
			open = false
		}
	}
	readLine := func() ([]byte, error) {
		line, err := br.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return line, err
		}
		long = append(long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		return long, err
	}
	for {
		line, rerr := readLine()
		read += int64(len(line))
		if read > limit {
			return nil, 0, &TooLargeError{Limit: limit}
		}
		if rerr != nil && rerr != io.EOF {
			return nil, 0, fmt.Errorf("reading headers: %w", rerr)
		}
		line = bytes.TrimRight(line, "\r\n")
		blank := len(bytes.TrimSpace(line)) == 0
		switch {
		case blank:
			if len(fields) > 0 {
				flush()
				// End of the header block. A whitespace-only line counts
				// too: pasted text often carries trailing blanks.
				return fields, ignored, nil
			}
			// leading blank lines of pasted text
		case first && bytes.HasPrefix(line, []byte("From ")):
			// mbox separator line, not a header
		case line[0] == ' ' || line[0] == '\t':
			if len(fields) == 0 {
				ignored++
				break
			}
			// RFC 5322 §2.2.3: unfolding removes the line break only.
			val = append(val, line...)
		default:
			name, value, ok := splitField(line)
			if !ok {
				ignored++
				break
			}
			flush()
			fields = append(fields, field{Name: name, Key: strings.ToLower(name)})
			val = append(val[:0], value...)
			open = true
		}
		first = first && blank
		if rerr == io.EOF {
			break
		}
	}
	if len(fields) == 0 {
		return nil, ignored, ErrNoHeaders
	}
	flush()
	return fields, ignored, nil
}

// splitField splits "Name: value". The name must be printable ASCII without
// spaces or colons (RFC 5322 ftext).
func splitField(line []byte) (name string, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", nil, false
	}
	for j := 0; j < i; j++ {
		if c := line[j]; c < 33 || c > 126 {
			return "", nil, false
		}
	}
	return string(line[:i]), bytes.TrimLeft(line[i+1:], " \t"), true
}
