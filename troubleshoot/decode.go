package troubleshoot

import (
	"io"
	"mime"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// wordDecoder decodes RFC 2047 encoded words. Outlook and Exchange commonly
// emit windows-1252 and iso-8859-15 besides UTF-8, which the standard
// library alone does not know, so other charsets go through x/text.
var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(charset)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(input), nil
	},
}

// decodeHeader returns the display form of a header value; on a malformed
// encoded word it keeps the raw text, which is still more useful to a
// support engineer than an error.
func decodeHeader(v string) string {
	if !strings.Contains(v, "=?") {
		return strings.TrimSpace(v)
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(d)
}
