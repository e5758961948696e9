package troubleshoot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"relaywiz/files"
)

// input is what Analyze read: the header fields of the message to judge
// and the messages attached to it.
type input struct {
	kind        string // "headers" or "msg"
	fields      []field
	ignored     int
	attached    []AttachedMessage
	attachedRaw [][]byte // the attached messages' text, same order
}

// AttachedError: Options.Attached asked for an attached message that is not there.
type AttachedError struct{ Want, Have int }

func (e *AttachedError) Error() string {
	if e.Have == 0 {
		return fmt.Sprintf("attached message %d asked for, but this message has no attached message (message/rfc822 part or embedded Outlook item)", e.Want)
	}
	return fmt.Sprintf("attached message %d asked for, but this message has %d", e.Want, e.Have)
}

// IsBadInput reports the errors that mean "the user gave the wrong input"
// (exit 64), as opposed to a failing read.
func IsBadInput(err error) bool {
	var tl *TooLargeError
	var ae *AttachedError
	var me *MsgError
	return errors.As(err, &tl) || errors.Is(err, ErrNoHeaders) || errors.As(err, &ae) ||
		errors.As(err, &me) || errors.Is(err, files.ErrTooLarge)
}

func (o Options) maxMessage() int64 {
	if o.MaxMessageBytes > 0 {
		return o.MaxMessageBytes
	}
	return files.MaxMessageBytes
}

// cfbMagic starts every OLE compound file, and so every Outlook .msg.
var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

func readInput(r io.Reader, opts Options) (input, error) {
	limit := opts.MaxHeaderBytes
	if limit <= 0 {
		limit = DefaultMaxHeaderBytes
	}
	lr := &io.LimitedReader{R: r, N: limit + 1}
	br := bufio.NewReader(lr)
	if magic, _ := br.Peek(len(cfbMagic)); bytes.Equal(magic, cfbMagic) {
		// An Outlook .msg is read whole: the compound file's directory
		// may sit anywhere in it.
		lr.N = opts.maxMessage() + 1 - int64(br.Buffered())
		data, err := files.ReadAllLimited(br, "the .msg file", opts.maxMessage())
		if err != nil {
			return input{}, err
		}
		return readMsgInput(data, opts)
	}
	fields, ignored, err := readHeaderBlock(br, limit)
	if err != nil {
		return input{}, err
	}
	in := input{kind: "headers", fields: fields, ignored: ignored}
	if (opts.ScanAttached || opts.Attached > 0) && isMultipart(fields) {
		lr.N += opts.maxMessage()
		in.attached, in.attachedRaw = findAttached(fields, br, opts.maxMessage())
	}
	return in, nil
}

// readMsgInput takes the transport headers of an Outlook .msg and the
// headers of the messages embedded in it as attachments.
func readMsgInput(data []byte, opts Options) (input, error) {
	m, err := readMsg(data)
	if err != nil {
		return input{}, err
	}
	if m.headers == "" {
		return input{}, &MsgError{Reason: "it has no transport headers (PR_TRANSPORT_MESSAGE_HEADERS): it was saved before it was sent, or from Sent Items; save the copy the recipient received (their Inbox) or paste its Internet headers"}
	}
	fields, ignored, err := readHeaderBlock(bufio.NewReader(strings.NewReader(m.headers)), opts.MaxHeaderBytes)
	if err != nil {
		return input{}, err
	}
	in := input{kind: "msg", fields: fields, ignored: ignored}
	for _, h := range m.embedded {
		if len(in.attached) >= maxAttached {
			break
		}
		in.attached = append(in.attached, describeAttached(len(in.attached)+1, []byte(h)))
		in.attachedRaw = append(in.attachedRaw, []byte(h))
	}
	return in, nil
}

func isMultipart(fields []field) bool {
	for _, f := range fields {
		if f.Key == "content-type" {
			return strings.HasPrefix(strings.ToLower(strings.TrimSpace(f.Value)), "multipart/")
		}
	}
	return false
}
