package checks

import (
	"strings"
	"testing"
	"time"
)

func TestTranscriptRedactsAuthAcrossChunks(t *testing.T) {
	var got []string
	tr := newTranscript(func(l TranscriptLine) { got = append(got, l.String()) }, 587, time.Now())
	// Writes split mid-line must still be redacted as whole lines.
	tr.sent([]byte("AUTH LOGIN dXNl"), true)
	tr.sent([]byte("cg==\r\n"), true)
	tr.received([]byte("334 UGFzc3dvcmQ6\r\n"), true)
	tr.sent([]byte("c2VjcmV0\r\n"), true)
	tr.received([]byte("235 2.7.0 ok\r\n"), true)
	tr.sent([]byte("MAIL FROM:<a@b>\r\n"), true)
	want := []string{
		"[587] ~> AUTH LOGIN <redacted>",
		"[587] <~ 334 UGFzc3dvcmQ6",
		"[587] ~> <redacted>",
		"[587] <~ 235 2.7.0 ok",
		"[587] ~> MAIL FROM:<a@b>",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTranscriptAuthFailureEndsRedaction(t *testing.T) {
	var got []string
	tr := newTranscript(func(l TranscriptLine) { got = append(got, l.Text) }, 25, time.Now())
	tr.sent([]byte("AUTH PLAIN AGFsaWNlAHB3\r\n"), true)
	tr.received([]byte("535 5.7.8 Authentication failed\r\n"), true)
	tr.sent([]byte("QUIT\r\n"), true)
	if got[0] != "AUTH PLAIN <redacted>" || got[2] != "QUIT" {
		t.Errorf("got %q", got)
	}
}

func TestTranscriptNilIsSilent(t *testing.T) {
	var tr *transcript = newTranscript(nil, 25, time.Now())
	tr.sent([]byte("EHLO x\r\n"), false) // must not panic
	tr.note("x")
}

func TestTranscriptLongLineIsLinearAndTruncated(t *testing.T) {
	var got []string
	tr := newTranscript(func(l TranscriptLine) { got = append(got, l.Text) }, 25, time.Now())
	// 20 MB in 4 KB reads, as a hostile server would send it: each byte
	// must be looked at once (the old cutter rescanned the whole buffer
	// per read, quadratic: 14 s), and the line shown cut to a screenful.
	chunk := []byte(strings.Repeat("x", 4096))
	start := time.Now()
	tr.received([]byte("250-"), false)
	for i := 0; i < 20<<20/len(chunk); i++ {
		tr.received(chunk, false)
	}
	tr.received([]byte("\r\n250 ok\r\n"), false)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("20 MB line took %s", took)
	}
	if len(got) != 2 || len(got[0]) > maxShownLine+100 || !strings.Contains(got[0], "(line of 20971524 bytes, truncated)") || got[1] != "250 ok" {
		t.Fatalf("lines %d, first %d bytes: %.80q… %q", len(got), len(got[0]), got[0], got[len(got)-1])
	}
}

func TestTranscriptLineStringEscapesControls(t *testing.T) {
	l := TranscriptLine{Port: 25, Dir: Received, Text: "220 evil\x1b]52;c;aGk=\x07 ESMTP"}
	if s := l.String(); strings.ContainsAny(s, "\x1b\x07") || !strings.Contains(s, `\x1b]52`) {
		t.Fatalf("rendered %q", s)
	}
}
