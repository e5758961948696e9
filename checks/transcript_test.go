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
