package steps

import (
	"strings"
	"unicode/utf16"
)

// Encodings of the artifacts on disk, chosen for the Windows program that
// reads each file:
//
//   - .ps1: UTF-8 with a byte order mark and CRLF line ends. Windows
//     PowerShell 5.1 (the Exchange Management Shell) reads a .ps1 without
//     a BOM in the ANSI code page, which garbles any non-ASCII name.
//   - .reg: UTF-16LE with a BOM and CRLF, the format regedit itself
//     exports for "Windows Registry Editor Version 5.00" files and the one
//     it always imports. UTF-8 files are reported to import as well, but
//     a UTF-8 BOM has been seen to make regedit reject a file ("not a
//     registry script"), so relaywiz does not depend on it.
//   - .md: plain UTF-8 without a BOM, LF line ends (any editor or viewer).
const (
	EncodingPS1      = "UTF-8 with BOM, CRLF"
	EncodingReg      = "UTF-16LE with BOM, CRLF"
	EncodingMarkdown = "UTF-8, LF"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// crlf turns LF line ends into CRLF (the templates use LF; no value can
// contain a line break, Validate rejects control characters).
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// encodePS1 returns the bytes of a .ps1 file.
func encodePS1(text string) []byte {
	body := crlf(text)
	out := make([]byte, 0, len(utf8BOM)+len(body))
	out = append(out, utf8BOM...)
	return append(out, body...)
}

// encodeReg returns the bytes of a .reg file: UTF-16LE, BOM, CRLF.
func encodeReg(text string) []byte {
	units := utf16.Encode([]rune(crlf(text)))
	out := make([]byte, 0, 2+2*len(units))
	out = append(out, 0xFF, 0xFE)
	for _, u := range units {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// DecodeText turns artifact bytes back into text with LF line ends,
// whatever encoding relaywiz used: UTF-16LE or UTF-8, with or without BOM.
// Package files uses it to show what would change in an existing file.
func DecodeText(b []byte) string {
	var s string
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		b = b[2:]
		units := make([]uint16, len(b)/2)
		for i := range units {
			units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		s = string(utf16.Decode(units))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		s = string(b[3:])
	default:
		s = string(b)
	}
	return strings.ReplaceAll(s, "\r\n", "\n")
}
