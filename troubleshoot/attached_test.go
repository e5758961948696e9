package troubleshoot

import (
	"bytes"
	"strings"
	"testing"
)

// A forwarded-as-attachment message: the outer one is the forward, the
// attached one is the message to judge.
func TestAnalyzeAttachedMessages(t *testing.T) {
	raw := readTestdata(t, "forwarded-attachment.eml")
	a, err := Analyze(bytes.NewReader(raw), Options{ScanAttached: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Attached) != 2 {
		t.Fatalf("attached = %+v", a.Attached)
	}
	first, second := a.Attached[0], a.Attached[1]
	if first.Index != 1 || first.Hops != 3 || first.Subject == "" || first.Date == nil {
		t.Errorf("attached 1 (base64) = %+v", first)
	}
	if second.Index != 2 || second.Subject != "tweede" || second.Hops != 1 || second.From != "x@example.org" {
		t.Errorf("attached 2 (8bit) = %+v", second)
	}
	if r, ok := hasCode(a.Verdict, CodeAttached); !ok || r.Severity != SevInfo {
		t.Errorf("offer missing: %v", a.Verdict.Reasons)
	}

	in, err := Analyze(bytes.NewReader(raw), Options{Attached: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := analyzeFile(t, "no-tls-hop.eml", Options{})
	if in.Input != "attached 1" || len(in.Hops) != len(want.Hops) || secureString(in.Verdict.Secure) != "false" ||
		in.Verdict.Reasons[0].Code != want.Verdict.Reasons[0].Code {
		t.Errorf("attached 1: input %q, %d hops, %v", in.Input, len(in.Hops), codes(in.Verdict))
	}
	if _, err := Analyze(bytes.NewReader(raw), Options{Attached: 3}); !IsBadInput(err) || !strings.Contains(err.Error(), "has 2") {
		t.Errorf("attached 3: %v", err)
	}
}

// Without ScanAttached (interactive paste) the body is never read: a
// reader that fails past the header block proves it.
func TestAnalyzeNoBodyReadWithoutScan(t *testing.T) {
	raw := readTestdata(t, "forwarded-attachment.eml")
	end := bytes.Index(raw, []byte("\r\n\r\n")) + 4
	r := &failAfter{data: raw, n: end + 4096} // bufio reads ahead one buffer at most
	a, err := Analyze(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Attached) != 0 {
		t.Errorf("attachments listed without ScanAttached: %+v", a.Attached)
	}
}

type failAfter struct {
	data []byte
	n    int
	off  int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.off >= f.n {
		panic("read past the header block")
	}
	k := copy(p, f.data[f.off:min(len(f.data), f.n)])
	f.off += k
	if k == 0 {
		return 0, nil
	}
	return k, nil
}

func TestAnalyzeAntispamDecoded(t *testing.T) {
	a := analyzeFile(t, "corpus/exchange-online-inbound.eml", Options{})
	got := map[string]AntispamField{}
	for _, f := range a.Antispam {
		got[f.Key] = f
	}
	for key, want := range map[string][2]string{
		"SCL":  {"1", "not spam"},
		"BCL":  {"0", "not from a bulk sender"},
		"SFV":  {"NSPM", "not spam"},
		"CIP":  {"198.51.100.20", "connecting IP"},
		"CTRY": {"NL", "country"},
		"LANG": {"nl", "language"},
		"IPV":  {"NLI", "no IP reputation list"},
		"H":    {"smtp.zivver.com", "HELO"},
		"PTR":  {"smtp.zivver.com", "reverse-DNS"},
		"CAT":  {"NONE", "no protection policy"},
		"DIR":  {"INB", "inbound"},
	} {
		f, ok := got[key]
		if !ok || f.Value != want[0] || !strings.Contains(f.Meaning, want[1]) {
			t.Errorf("%s = %+v, want value %q meaning containing %q", key, f, want[0], want[1])
		}
	}
	if got["BCL"].Header != "X-Microsoft-Antispam" || got["SCL"].Header != "X-Forefront-Antispam-Report" {
		t.Errorf("headers: %+v %+v", got["BCL"], got["SCL"])
	}
}

func TestAntispamMeanings(t *testing.T) {
	cases := []struct{ key, val, want string }{
		{"SCL", "-1", "skipped"},
		{"SCL", "5", "spam"},
		{"SCL", "9", "high confidence spam"},
		{"SCL", "3", "not set by Microsoft 365"},
		{"BCL", "7", "mixed"},
		{"BCL", "9", "many complaints"},
		{"PCL", "2", "unlikely"},
		{"PCL", "8", "likely phishing"},
		{"SFV", "SKS", "marked spam before filtering"},
		{"SFV", "SFE", "Safe Senders"},
		{"SFV", "BLK", "Blocked Senders"},
		{"IPV", "CAL", "Allow List"},
		{"CAT", "HPHISH", "high confidence phishing"},
		{"CAT", "SPOOF", "spoofing"},
		{"SCL", "x", ""},
	}
	for _, c := range cases {
		got := antispamMeaning(c.key, c.val)
		if (c.want == "" && got != "") || !strings.Contains(got, c.want) {
			t.Errorf("%s:%s = %q, want %q", c.key, c.val, got, c.want)
		}
	}
	fs := parseAntispam("X-Microsoft-Antispam", "BCL:0;PCL:0;RULEID:;;junk;")
	if len(fs) != 3 || fs[2].Key != "RULEID" || fs[2].Value != "" {
		t.Errorf("parseAntispam = %+v", fs)
	}
}

func TestAnalyzeAllHeadersOnRequest(t *testing.T) {
	a := analyzeFile(t, "folded-encoded.eml", Options{})
	if a.Headers != nil {
		t.Errorf("headers listed without AllHeaders")
	}
	a = analyzeFile(t, "folded-encoded.eml", Options{AllHeaders: true})
	fields := splitFields(string(readTestdata(t, "folded-encoded.eml")))
	n := 0
	for _, f := range fields {
		if strings.TrimSpace(f) == "" {
			break
		}
		n++
	}
	if len(a.Headers) != n {
		t.Errorf("%d headers, want %d", len(a.Headers), n)
	}
	for _, h := range a.Headers {
		if h.Name == "Subject" && strings.Contains(h.Value, "=?") {
			t.Errorf("subject not decoded: %q", h.Value)
		}
	}
}

func TestSummaryDeliveredAfter(t *testing.T) {
	a := analyzeFile(t, "loop.eml", Options{})
	s := a.Summary
	if s.Hops != 6 || s.TotalDelaySeconds == nil || *s.TotalDelaySeconds != 749 || s.DeliveredAfter != "12 minutes 29 seconds" {
		t.Errorf("summary = %+v", s)
	}
	for sec, want := range map[float64]string{6: "6 seconds", 1: "1 second", 3600: "1 hour 0 minutes", 90061: "1 day 1 hour", -5: "-5 seconds (clocks differ)"} {
		if got := humanDuration(sec); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", sec, got, want)
		}
	}
}

// Some clients attach a saved message as a plain file named *.eml.
func TestAnalyzeAttachedEMLFile(t *testing.T) {
	in := "Subject: fw\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"x.eml\"\r\nContent-Disposition: attachment; filename=\"x.eml\"\r\n\r\n" +
		"Received: from a.example (a.example [192.0.2.1]) by smtp.zivver.com with ESMTPS id Q; Tue, 14 Jan 2025 10:00:00 +0000\r\nSubject: inner\r\n\r\nbody\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Disposition: attachment; filename=\"x.bin\"\r\n\r\nSubject: not a message\r\n\r\n--b--\r\n"
	a, err := Analyze(strings.NewReader(in), Options{ScanAttached: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Attached) != 1 || a.Attached[0].Subject != "inner" || a.Attached[0].Hops != 1 {
		t.Errorf("attached = %+v", a.Attached)
	}
}
