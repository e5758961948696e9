package troubleshoot

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding/charmap"
)

// An Outlook .msg file is an OLE compound file ([MS-CFB]) whose streams
// hold MAPI properties ([MS-OXMSG]). A received message keeps its Internet
// headers in PR_TRANSPORT_MESSAGE_HEADERS (property 0x007D), in the stream
// __substg1.0_007D001F (UTF-16LE) or __substg1.0_007D001E (8-bit). An
// attached Outlook item is a storage __attach_version1.0_#N with the
// embedded message in its __substg1.0_3701000D sub-storage, laid out the
// same way.

// MsgError says an Outlook .msg file cannot give the headers.
type MsgError struct{ Reason string }

func (e *MsgError) Error() string { return "Outlook .msg file: " + e.Reason }

const (
	transportHeadersUnicode = "__substg1.0_007d001f"
	transportHeaders8bit    = "__substg1.0_007d001e"
	embeddedMessage         = "__substg1.0_3701000d"
	attachPrefix            = "__attach_version1.0_#"
)

type msgContent struct {
	headers  string   // the message's own transport headers
	embedded []string // transport headers of attached Outlook items, in storage order
}

// readMsg extracts the transport headers. The compound-file reader is a
// third-party parser fed with untrusted input: a panic in it is turned into
// a MsgError rather than taking the command down.
func readMsg(data []byte) (c msgContent, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = msgContent{}, &MsgError{Reason: fmt.Sprintf("the file is damaged (%v)", r)}
		}
	}()
	doc, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return msgContent{}, &MsgError{Reason: "not a readable compound file (" + err.Error() + "); save the message again from Outlook (File > Save As > Outlook Message Format)"}
	}
	var unicodeHdr, ansiHdr string
	embedded := map[string]string{}
	var order []string
	for _, f := range doc.File {
		name := strings.ToLower(f.Name)
		if name != transportHeadersUnicode && name != transportHeaders8bit {
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(f, int64(len(data))))
		if err != nil {
			return msgContent{}, &MsgError{Reason: "the transport headers stream cannot be read (" + err.Error() + ")"}
		}
		text := decodeMsgString(raw, name == transportHeadersUnicode)
		switch {
		case len(f.Path) == 0:
			if name == transportHeadersUnicode {
				unicodeHdr = text
			} else {
				ansiHdr = text
			}
		case len(f.Path) == 2 && strings.HasPrefix(strings.ToLower(f.Path[0]), attachPrefix) && strings.ToLower(f.Path[1]) == embeddedMessage:
			key := strings.ToLower(f.Path[0])
			if _, seen := embedded[key]; !seen {
				order = append(order, key)
			}
			if name == transportHeadersUnicode || embedded[key] == "" {
				embedded[key] = text
			}
		}
	}
	c.headers = unicodeHdr
	if c.headers == "" {
		c.headers = ansiHdr
	}
	for _, k := range order {
		if embedded[k] != "" {
			c.embedded = append(c.embedded, embedded[k])
		}
	}
	return c, nil
}

// decodeMsgString turns a PT_UNICODE (UTF-16LE) or PT_STRING8 value into a
// Go string without the terminating NUL. 8-bit text that is not UTF-8 is
// read as windows-1252, Outlook's usual code page for Western locales.
func decodeMsgString(raw []byte, unicode bool) string {
	if unicode {
		u := make([]uint16, len(raw)/2)
		for i := range u {
			u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
		}
		return strings.TrimRight(string(utf16.Decode(u)), "\x00")
	}
	raw = bytes.TrimRight(raw, "\x00")
	if utf8.Valid(raw) {
		return string(raw)
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	if err != nil {
		return string(raw)
	}
	return string(s)
}
