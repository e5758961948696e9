package troubleshoot

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"time"
)

// AttachedMessage is a message attached to the analysed one: a forwarded
// "as attachment" copy, a user's phishing report, an NDR's returned
// message. Admins often get the problem message this way, so it is offered
// as the message to analyse (Options.Attached = Index).
type AttachedMessage struct {
	Index   int        `json:"index"` // 1-based, in the order found
	Subject string     `json:"subject,omitempty"`
	From    string     `json:"from,omitempty"`
	Date    *time.Time `json:"date,omitempty"`
	Hops    int        `json:"hops"` // its Received headers
}

// maxAttached bounds the list; maxMIMEDepth the nesting followed
// (multipart/mixed → multipart/alternative is the usual depth 2).
const (
	maxAttached  = 20
	maxMIMEDepth = 4
)

// findAttached walks the MIME tree of the body in br for message/rfc822
// parts. Malformed MIME ends the walk quietly: the outer message is still
// analysed, only the offer of attached messages is shorter.
func findAttached(fields []field, br *bufio.Reader, limit int64) ([]AttachedMessage, [][]byte) {
	ct := ""
	for _, f := range fields {
		if f.Key == "content-type" {
			ct = f.Value
			break
		}
	}
	var list []AttachedMessage
	var raws [][]byte
	budget := limit
	var walk func(ct string, body io.Reader, depth int)
	walk = func(ct string, body io.Reader, depth int) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || depth > maxMIMEDepth || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for len(list) < maxAttached {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			pct := p.Header.Get("Content-Type")
			pmt, _, _ := mime.ParseMediaType(pct)
			switch {
			case strings.HasPrefix(pmt, "multipart/"):
				walk(pct, p, depth+1)
			case pmt == "message/rfc822" || pmt == "message/global" || isEMLFile(pmt, p):
				raw := readPart(p, &budget)
				if len(raw) == 0 {
					continue
				}
				list = append(list, describeAttached(len(list)+1, raw))
				raws = append(raws, raw)
			case isMsgFile(pmt, p):
				// A saved Outlook item attached as a file: its transport
				// headers are the message.
				raw := readPart(p, &budget)
				if !bytes.HasPrefix(raw, cfbMagic) {
					continue
				}
				m, err := readMsg(raw)
				if err != nil || m.headers == "" {
					continue
				}
				list = append(list, describeAttached(len(list)+1, []byte(m.headers)))
				raws = append(raws, []byte(m.headers))
			}
			if budget <= 0 {
				return
			}
		}
	}
	walk(ct, br, 0)
	return list, raws
}

// describeAttached reads the attached message's headers for the offer.
func describeAttached(index int, raw []byte) AttachedMessage {
	am := AttachedMessage{Index: index}
	fields, _, err := readHeaderBlock(bufio.NewReader(bytes.NewReader(raw)), DefaultMaxHeaderBytes)
	if err != nil {
		return am
	}
	for _, f := range fields {
		switch f.Key {
		case "subject":
			setOnce(&am.Subject, decodeHeader(f.Value))
		case "from":
			setOnce(&am.From, decodeHeader(f.Value))
		case "date":
			if t, _, ok := parseDate(f.Value); ok && am.Date == nil {
				am.Date = &t
			}
		case "received":
			am.Hops++
		}
	}
	return am
}

// isEMLFile: some clients attach a saved message as a generic file named
// *.eml instead of as message/rfc822.
func isEMLFile(mediaType string, p *multipart.Part) bool {
	if mediaType != "application/octet-stream" {
		return false
	}
	return strings.HasSuffix(strings.ToLower(p.FileName()), ".eml")
}

// isMsgFile: an Outlook .msg attached as a file.
func isMsgFile(mediaType string, p *multipart.Part) bool {
	switch mediaType {
	case "application/vnd.ms-outlook", "application/x-msg":
		return true
	case "application/octet-stream":
		return strings.HasSuffix(strings.ToLower(p.FileName()), ".msg")
	}
	return false
}

// readPart returns a part's content, transfer decoding undone, within the
// remaining budget.
func readPart(p *multipart.Part, budget *int64) []byte {
	var r io.Reader = p
	if strings.EqualFold(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")), "base64") {
		r = base64.NewDecoder(base64.StdEncoding, p) // it skips CR and LF itself
	}
	raw, err := io.ReadAll(io.LimitReader(r, *budget))
	*budget -= int64(len(raw))
	if err != nil {
		return nil
	}
	return raw
}
