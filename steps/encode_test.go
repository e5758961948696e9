package steps

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// The on-disk bytes are what Windows reads: .ps1 UTF-8 with BOM and CRLF,
// .reg UTF-16LE with BOM and CRLF, checklist.md plain UTF-8.
func TestArtifactEncodings(t *testing.T) {
	in := baseInputs(PAMSOnPrem)
	in.Name = "Zivver – Überweisung" // non-ASCII, which is what the BOM is for
	arts, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, a := range arts {
		names[a.Name] = true
		switch a.Format {
		case FormatApply, FormatUndo, FormatVerify:
			if !bytes.HasPrefix(a.Content, []byte{0xEF, 0xBB, 0xBF}) {
				t.Errorf("%s: no UTF-8 byte order mark; Windows PowerShell 5.1 would read it as ANSI", a.Name)
			}
			body := a.Content[3:]
			if !utf8.Valid(body) {
				t.Errorf("%s: not valid UTF-8", a.Name)
			}
			checkCRLF(t, a.Name, string(body))
			if !bytes.Contains(body, []byte("'Zivver – Überweisung'")) {
				t.Errorf("%s: the non-ASCII name is not there as UTF-8", a.Name)
			}
			if a.Encoding != EncodingPS1 || !strings.HasSuffix(a.Name, ".ps1") {
				t.Errorf("%s: encoding %q", a.Name, a.Encoding)
			}
		case FormatReg:
			if !bytes.HasPrefix(a.Content, []byte{0xFF, 0xFE}) {
				t.Fatalf("%s: no UTF-16LE byte order mark", a.Name)
			}
			if len(a.Content)%2 != 0 {
				t.Fatalf("%s: odd length for UTF-16", a.Name)
			}
			units := make([]uint16, (len(a.Content)-2)/2)
			for i := range units {
				units[i] = uint16(a.Content[2+2*i]) | uint16(a.Content[3+2*i])<<8
			}
			text := string(utf16.Decode(units))
			if !strings.HasPrefix(text, "Windows Registry Editor Version 5.00\r\n") {
				t.Errorf("%s: first line %q", a.Name, strings.SplitN(text, "\n", 2)[0])
			}
			checkCRLF(t, a.Name, text)
			if a.Name != "pams.reg" {
				t.Errorf("reg artifact named %q", a.Name)
			}
		case FormatChecklist:
			if bytes.HasPrefix(a.Content, []byte{0xEF, 0xBB, 0xBF}) || bytes.Contains(a.Content, []byte("\r\n")) {
				t.Errorf("%s: want plain UTF-8 with LF", a.Name)
			}
			if string(a.Content) != a.Text {
				t.Errorf("%s: content and text differ", a.Name)
			}
		}
		// Text is the display form: LF only, no BOM, and it decodes back
		// from Content.
		if strings.Contains(a.Text, "\r") || strings.HasPrefix(a.Text, "\uFEFF") {
			t.Errorf("%s: display text has CR or BOM", a.Name)
		}
		if DecodeText(a.Content) != a.Text {
			t.Errorf("%s: DecodeText(Content) != Text", a.Name)
		}
	}
	for _, n := range []string{"checklist.md", "apply.ps1", "undo.ps1", "verify.ps1", "pams.reg"} {
		if !names[n] {
			t.Errorf("pams-onprem: no %s", n)
		}
	}
}

func checkCRLF(t *testing.T, name, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\r\n") {
		t.Errorf("%s: does not end with CRLF", name)
	}
	if strings.Count(s, "\n") != strings.Count(s, "\r\n") || strings.Count(s, "\r") != strings.Count(s, "\r\n") {
		t.Errorf("%s: line ends are not all CRLF", name)
	}
}

func TestOnlyPAMSHasReg(t *testing.T) {
	for _, s := range Scenarios() {
		arts, err := Generate(baseInputs(s.ID))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Find(arts, FormatReg)
		if s.EmitsReg != (err == nil) {
			t.Errorf("%s: reg artifact present = %v, want %v", s.ID, err == nil, s.EmitsReg)
		}
		if !s.EmitsReg && (err == nil || !strings.Contains(err.Error(), "PAMS")) {
			t.Errorf("%s: Find(reg) error should explain it is PAMS-only, got %v", s.ID, err)
		}
	}
	if _, err := Find(nil, "yaml"); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("Find(yaml): %v", err)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, c := range allCases() {
		a, err1 := Generate(c.in)
		b, err2 := Generate(c.in)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for i := range a {
			if !bytes.Equal(a[i].Content, b[i].Content) {
				t.Errorf("%s %s: two runs differ", c.name, a[i].Name)
			}
		}
	}
}

func TestDecodeText(t *testing.T) {
	cases := map[string][]byte{
		"a\nb\n": []byte("a\r\nb\r\n"),
		"é\n":    append([]byte{0xEF, 0xBB, 0xBF}, []byte("é\r\n")...),
		"hi\n":   encodeReg("hi\n"),
		"x":      []byte("x"),
	}
	for want, in := range cases {
		if got := DecodeText(in); got != want {
			t.Errorf("DecodeText(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestScenarioCatalogue(t *testing.T) {
	want := []ScenarioID{PAMSOnPrem, PAMSOnline, RelayOnline, RelayOnPrem, CryptshareOnPrem, CryptshareOnline, CodeTwoOnline}
	got := Scenarios()
	if len(got) != len(want) {
		t.Fatalf("%d scenarios, want %d", len(got), len(want))
	}
	seeds := map[string]bool{}
	for i, s := range got {
		if s.ID != want[i] {
			t.Errorf("scenario %d is %s, want %s", i, s.ID, want[i])
		}
		if s.Title == "" || s.Summary == "" || s.WhenToPick == "" || s.Example == "" || strings.Contains(s.Summary, "\n") {
			t.Errorf("%s: title, one-line summary, when-to-pick and example are all needed", s.ID)
		}
		if l, ok := Lookup(string(s.ID)); !ok || l.ID != s.ID {
			t.Errorf("Lookup(%s) failed", s.ID)
		}
		for _, seed := range s.Seeds {
			seeds[seed] = true
		}
		if s.Online && s.Uses(FieldSourceServer) {
			t.Errorf("%s: Exchange Online has no source servers", s.ID)
		}
	}
	// Every vendor manual in shared/seeds is covered by some scenario.
	for _, seed := range []string{"000", "001", "002", "003", "004"} {
		if !seeds[seed] {
			t.Errorf("no scenario covers seed %s", seed)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) succeeded")
	}
	// Scenarios returns a copy: callers cannot change the catalogue.
	got[0].Title = "changed"
	if Scenarios()[0].Title == "changed" {
		t.Error("Scenarios exposes the catalogue")
	}
}
