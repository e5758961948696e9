package termtext

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"220 smtp.zivver.com ESMTP", "220 smtp.zivver.com ESMTP"},
		{"Grüße, Zürich", "Grüße, Zürich"},
		{`C:\relaywiz\out`, `C:\relaywiz\out`},
		{"\x1b[2J\x1b[HSECURE", `\x1b[2J\x1b[HSECURE`},
		{"\x1b]0;owned\x07", `\x1b]0;owned\x07`},
		{"\x1b]52;c;ZXZpbA==\x07", `\x1b]52;c;ZXZpbA==\x07`},
		{"a\rb\nc\td", `a\rb\nc\td`},
		{"\xff\xfe", `\xff\xfe`},
		{"\u009b31m", `\u009b31m`},
		{"NOT \u202eERUCES", `NOT \u202eERUCES`},
		{"del\x7f", `del\x7f`},
	}
	for _, c := range cases {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEscapeLinesKeepsLineBreaks(t *testing.T) {
	got := EscapeLines("250-one\n250 \x1b[31mtwo\r")
	if got != "250-one\n250 \\x1b[31mtwo\\r" {
		t.Fatalf("got %q", got)
	}
}

func TestTruncateNamesTheLength(t *testing.T) {
	got := Truncate(strings.Repeat("a", 5000), 10)
	if got != "aaaaaaaaaa… (5000 bytes in all)" {
		t.Fatalf("got %q", got)
	}
	if Truncate("short", 10) != "short" {
		t.Fatal("short text changed")
	}
}

func FuzzEscapeLeavesNoControl(f *testing.F) {
	f.Add("\x1b[2J")
	f.Add("ok")
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) {
				t.Fatalf("Escape(%q) = %q keeps %U", s, out, r)
			}
		}
	})
}

func BenchmarkEscapeClean(b *testing.B) {
	s := strings.Repeat("250-PIPELINING ", 100)
	for i := 0; i < b.N; i++ {
		_ = Escape(s)
	}
}
