package troubleshoot

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func analyzeFile(t *testing.T, name string, opts Options) Analysis {
	t.Helper()
	a, err := Analyze(bytes.NewReader(readTestdata(t, name)), opts)
	if err != nil {
		t.Fatalf("Analyze(%s): %v", name, err)
	}
	return a
}

func codes(v Verdict) []string {
	var cs []string
	for _, r := range v.Reasons {
		cs = append(cs, r.Code)
	}
	return cs
}

func hasCode(v Verdict, code string) (Reason, bool) {
	for _, r := range v.Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}

// splitFields cuts a CRLF header block into fields with their continuation lines.
func splitFields(raw string) []string {
	var fields []string
	for _, line := range strings.SplitAfter(raw, "\r\n") {
		if len(fields) > 0 && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			fields[len(fields)-1] += line
			continue
		}
		fields = append(fields, line)
	}
	return fields
}

func secureString(p *bool) string {
	if p == nil {
		return "null"
	}
	if *p {
		return "true"
	}
	return "false"
}

// The corpus: each message with the verdict and the decisive reason a
// support engineer must see first.
func TestAnalyzeCorpusVerdicts(t *testing.T) {
	cases := []struct {
		file      string
		opts      Options
		secure    string
		firstCode string // the reason listed first
		alsoCodes []string
		hops      int
	}{
		{"secure-pams-onprem.eml", Options{}, "true", CodeViaProvider, []string{CodeRuleFired, CodeTrigger}, 4},
		{"direct-unsecured.eml", Options{}, "false", CodeDirectDelivery, []string{CodeAuthFail}, 3},
		{"no-tls-hop.eml", Options{}, "false", CodeProviderNoTLS, []string{CodeTrigger}, 3},
		{"loop.eml", Options{}, "true", CodeLoop, []string{CodeProviderRepeated, CodeSlowHop, CodeAntiLoop, CodeViaProvider}, 6},
		{"label-present.eml", Options{}, "true", CodeViaProvider, []string{CodeLabelNotEnabled, CodeRuleFired}, 4},
		{"folded-encoded.eml", Options{}, "true", CodeViaProvider, nil, 2},
		{"pasted-lf.txt", Options{}, "true", CodeViaProvider, []string{CodeTrigger}, 2},
		{"no-received.eml", Options{}, "null", CodeNoHops, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			a := analyzeFile(t, c.file, c.opts)
			if got := secureString(a.Verdict.Secure); got != c.secure {
				t.Errorf("secure = %s, want %s; reasons %v", got, c.secure, a.Verdict.Reasons)
			}
			if len(a.Hops) != c.hops {
				t.Errorf("hops = %d, want %d", len(a.Hops), c.hops)
			}
			if len(a.Verdict.Reasons) == 0 || a.Verdict.Reasons[0].Code != c.firstCode {
				t.Errorf("first reason: got %v, want %s", codes(a.Verdict), c.firstCode)
			}
			for _, code := range c.alsoCodes {
				if _, ok := hasCode(a.Verdict, code); !ok {
					t.Errorf("missing reason %s in %v", code, codes(a.Verdict))
				}
			}
			for i := 1; i < len(a.Verdict.Reasons); i++ {
				if a.Verdict.Reasons[i-1].Severity.rank() > a.Verdict.Reasons[i].Severity.rank() {
					t.Errorf("reasons not ordered by severity: %v", a.Verdict.Reasons)
				}
			}
		})
	}
}

func TestAnalyzeSecureHopDetails(t *testing.T) {
	a := analyzeFile(t, "secure-pams-onprem.eml", Options{})
	h := a.Hops
	// oldest first: mapi submission, Exchange internal, into Zivver, out of Zivver
	if h[0].With != "mapi" || !h[0].Local || h[0].TLS != nil {
		t.Errorf("hop 1 = %+v", h[0])
	}
	if h[1].From != "EX01.corp.example.org" || h[1].By != "EX02.corp.example.org" || h[1].FromIP != "10.0.0.5" ||
		h[1].TLSVersion != "TLSv1.2" || h[1].Cipher != "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" {
		t.Errorf("hop 2 = %+v", h[1])
	}
	e := h[2]
	if e.By != "smtp.zivver.com" || e.With != "ESMTPSA" || !e.Authenticated || e.TLS == nil || !*e.TLS ||
		e.TLSVersion != "TLSv1.3" || e.Cipher != "TLS_AES_256_GCM_SHA384" || e.FromIP != "203.0.113.10" || !e.Provider {
		t.Errorf("hop 3 (into Zivver) = %+v", e)
	}
	want := time.Date(2025, 1, 14, 9, 15, 6, 0, time.UTC)
	if e.Time == nil || !e.Time.Equal(want) {
		t.Errorf("hop 3 time = %v, want %v", e.Time, want)
	}
	// Date 09:15:03Z → hops at :04 :05 :06 :09 → 1+1+1+3 = 6 s in total.
	wantDelays := []float64{1, 1, 1, 3}
	for i, d := range wantDelays {
		if h[i].DelaySeconds == nil || *h[i].DelaySeconds != d {
			t.Errorf("hop %d delay = %v, want %v", i+1, h[i].DelaySeconds, d)
		}
	}
	if p := h[3].DelayPercent; p == nil || *p != 50 {
		t.Errorf("hop 4 share = %v, want 50", p)
	}
	r, _ := hasCode(a.Verdict, CodeViaProvider)
	if r.Hop != 3 || !strings.Contains(r.Message, "TLSv1.3") {
		t.Errorf("via reason = %+v", r)
	}
	m := a.Markers
	if m.ZivverRelay == nil || *m.ZivverRelay != "7a0c4f3e-2b1d-4e6a-9c8b-0f1e2d3c4b5a" ||
		m.ZivverIgnoreSMTPRecipients == nil || *m.ZivverIgnoreSMTPRecipients != "true" {
		t.Errorf("zivver markers = %+v", m)
	}
	if len(m.Exchange) != 3 || m.Exchange[0].Name != "X-MS-Exchange-Organization-AuthAs" {
		t.Errorf("exchange hints = %+v", m.Exchange)
	}
}

func TestAnalyzeLabels(t *testing.T) {
	a := analyzeFile(t, "label-present.eml", Options{})
	if len(a.Labels) != 2 {
		t.Fatalf("labels = %+v", a.Labels)
	}
	l := a.Labels[0]
	if l.GUID != "3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e" || !l.Enabled || l.Name != "Vertrouwelijk" ||
		l.Method != "Privileged" || l.SiteID != "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" ||
		l.RuleText != "MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Enabled=true" {
		t.Errorf("label 1 = %+v", l)
	}
	if a.Labels[1].Enabled || a.Labels[1].Name != "Intern" {
		t.Errorf("label 2 = %+v", a.Labels[1])
	}
	if len(a.Markers.Auth) != 2 {
		t.Fatalf("auth = %+v", a.Markers.Auth)
	}
	arc := a.Markers.Auth[0]
	if arc.Header != "ARC-Authentication-Results" || arc.Instance != "1" || arc.AuthServID != "mx.microsoft.com" ||
		arc.SPF != "pass" || arc.DKIM != "pass" || arc.DMARC != "pass" || arc.ARC != "none" {
		t.Errorf("ARC = %+v", arc)
	}
	if ar := a.Markers.Auth[1]; ar.AuthServID != "mx1.recipient.example" || ar.SPF != "pass" {
		t.Errorf("AR = %+v", ar)
	}
}

// The same label, delivered directly: only a configured trigger label makes
// the verdict "not secure"; an unconfigured one is a warning (null).
func TestAnalyzeLabelTriggerDirect(t *testing.T) {
	raw := string(readTestdata(t, "label-present.eml"))
	// Drop the two Zivver hops and the rule's header: what a message looks
	// like when the label rule did not match.
	var kept []string
	for _, f := range splitFields(raw) {
		lower := strings.ToLower(f)
		if strings.HasPrefix(lower, "received:") && strings.Contains(lower, "zivver") ||
			strings.HasPrefix(lower, "x-zivver-ignore-smtp-recipients") {
			continue
		}
		kept = append(kept, f)
	}
	direct := strings.Join(kept, "")
	if strings.Contains(strings.ToLower(direct), "by smtp.zivver.com") {
		t.Fatal("test setup: Zivver hop still present")
	}

	a, err := Analyze(strings.NewReader(direct), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict.Secure != nil || a.Verdict.Reasons[0].Code != CodeNoProvider {
		t.Errorf("unconfigured label: secure=%s reasons=%v", secureString(a.Verdict.Secure), codes(a.Verdict))
	}
	a, err = Analyze(strings.NewReader(direct), Options{TriggerLabels: []string{"3E5A1C2B-7D4F-4B8A-9E0C-1F2A3B4C5D6E"}})
	if err != nil {
		t.Fatal(err)
	}
	if secureString(a.Verdict.Secure) != "false" || a.Verdict.Reasons[0].Code != CodeDirectDelivery ||
		!strings.Contains(a.Verdict.Reasons[0].Message, "Vertrouwelijk") {
		t.Errorf("configured label: secure=%s reasons=%v", secureString(a.Verdict.Secure), a.Verdict.Reasons)
	}
	// The disabled label must not count as a trigger.
	a, _ = Analyze(strings.NewReader(direct), Options{TriggerLabels: []string{"9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}})
	if a.Verdict.Secure != nil {
		t.Errorf("disabled label treated as trigger: %v", a.Verdict.Reasons)
	}
}

func TestAnalyzeSubjectTrigger(t *testing.T) {
	in := "Received: from a.example (a.example [192.0.2.1]) by mx.example with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\nSubject: [Secure] hello\n\n"
	a, err := Analyze(strings.NewReader(in), Options{TriggerSubjects: []string{"[secure]"}})
	if err != nil {
		t.Fatal(err)
	}
	if secureString(a.Verdict.Secure) != "false" || a.Verdict.Reasons[0].Code != CodeDirectDelivery {
		t.Errorf("got %s %v", secureString(a.Verdict.Secure), codes(a.Verdict))
	}
}

func TestAnalyzeFoldedEncoded(t *testing.T) {
	a := analyzeFile(t, "folded-encoded.eml", Options{})
	m := a.Markers
	if m.Subject != "Vertrouwelijk: onderzoeksresultaten für Patient – Januari" {
		t.Errorf("subject = %q", m.Subject)
	}
	if m.From != "Jörg Müller <joerg@corp.example.org>" {
		t.Errorf("from = %q", m.From)
	}
	if m.To != "Renée François <renee@recipient.example>" { // windows-1252
		t.Errorf("to = %q", m.To)
	}
	if m.ZivverRelay == nil || *m.ZivverRelay != "7a0c4f3e-2b1d-4e6a-9c8b-0f1e2d3c4b5a" {
		t.Errorf("folded zivver-relay = %v", m.ZivverRelay)
	}
	if m.Date == nil || !m.Date.Equal(time.Date(2025, 1, 14, 14, 45, 0, 0, time.UTC)) {
		t.Errorf("folded date = %v", m.Date)
	}
	h := a.Hops[1]
	if h.From != "EX02.corp.example.org" || h.By != "smtp.zivver.com" || h.With != "ESMTPSA" ||
		h.TLSVersion != "TLSv1.3" || h.FromIP != "203.0.113.10" || h.Time == nil {
		t.Errorf("folded hop = %+v", h)
	}
}

// LF-only input must give exactly the analysis of its CRLF form.
func TestAnalyzeLineEndingsEquivalent(t *testing.T) {
	for _, name := range []string{"secure-pams-onprem.eml", "label-present.eml", "pasted-lf.txt", "loop.eml"} {
		raw := readTestdata(t, name)
		lf := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
		crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
		a1, err1 := Analyze(bytes.NewReader(lf), Options{})
		a2, err2 := Analyze(bytes.NewReader(crlf), Options{})
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", name, err1, err2)
		}
		j1, _ := json.Marshal(a1)
		j2, _ := json.Marshal(a2)
		if !bytes.Equal(j1, j2) {
			t.Errorf("%s: LF and CRLF analyses differ:\n%s\n%s", name, j1, j2)
		}
	}
}

func TestAnalyzePastedExim(t *testing.T) {
	a := analyzeFile(t, "pasted-lf.txt", Options{})
	h := a.Hops[0]
	if h.By != "cmg.cryptshare.example.org" || h.TLSVersion != "TLSv1.3" || h.Cipher != "TLS_AES_256_GCM_SHA384" || !h.Provider {
		t.Errorf("exim hop = %+v", h)
	}
	if a.Markers.CSSensitivity == nil || *a.Markers.CSSensitivity != "confidential" {
		t.Errorf("X-CS-Sensitivity = %v", a.Markers.CSSensitivity)
	}
}

func TestAnalyzeLoopDetails(t *testing.T) {
	a := analyzeFile(t, "loop.eml", Options{})
	// EXO → CodeTwo → EXO is CodeTwo's design (a round trip); EXO sending
	// it to CodeTwo again over the same link is the loop.
	r, ok := hasCode(a.Verdict, CodeLoop)
	if !ok || r.Hop != 5 || !strings.Contains(r.Message, "DB5EUR03FT012") || !strings.Contains(r.Message, "smtp-in.eu.codetwo.online") {
		t.Errorf("loop reason = %+v", r)
	}
	rt, ok := hasCode(a.Verdict, CodeRoundTrip)
	if !ok || rt.Hop != 4 || rt.Severity != SevInfo || !strings.Contains(rt.Message, "handed it back") {
		t.Errorf("round trip reason = %+v", rt)
	}
	slow, ok := hasCode(a.Verdict, CodeSlowHop)
	if !ok || slow.Hop != 2 || !strings.Contains(slow.Message, "12m18s") {
		t.Errorf("slow reason = %+v", slow)
	}
	if len(a.Markers.AntiLoop) != 2 {
		t.Errorf("anti-loop = %+v", a.Markers.AntiLoop)
	}
	// a higher threshold silences the slow-hop finding
	a = analyzeFile(t, "loop.eml", Options{SlowHop: 20 * time.Minute})
	if _, ok := hasCode(a.Verdict, CodeSlowHop); ok {
		t.Error("slow hop reported above the configured threshold")
	}
}

// Postfix + amavis re-injection passes the same host twice via loopback:
// that is not a loop.
func TestAnalyzeContentFilterIsNotLoop(t *testing.T) {
	in := strings.Join([]string{
		"Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) with ESMTP id B; Tue, 14 Jan 2025 10:00:03 +0000",
		"Received: from mx.example.org ([127.0.0.1]) by localhost (amavisd-new, port 10024) with ESMTP id A; Tue, 14 Jan 2025 10:00:02 +0000",
		"Received: from smtp.zivver.com (smtp.zivver.com [198.51.100.20]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by mx.example.org (Postfix) with ESMTPS id C; Tue, 14 Jan 2025 10:00:01 +0000",
		"", ""}, "\n")
	a, err := Analyze(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hasCode(a.Verdict, CodeLoop); ok {
		t.Errorf("content filter reported as loop: %v", a.Verdict.Reasons)
	}
	if _, ok := hasCode(a.Verdict, CodeHopNoTLS); ok {
		t.Errorf("loopback hop reported as plaintext: %v", a.Verdict.Reasons)
	}
}

func TestAnalyzeProviderPatterns(t *testing.T) {
	// The Cryptshare gateway under a customer name is only recognised with
	// --provider-host; then the plaintext hop into it is the failure.
	raw := strings.ReplaceAll(string(readTestdata(t, "no-tls-hop.eml")), "cmg.cryptshare.example.org", "gw01.corp.example.org")
	a, err := Analyze(strings.NewReader(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if secureString(a.Verdict.Secure) != "false" || a.Verdict.Reasons[0].Code != CodeDirectDelivery {
		t.Errorf("default patterns: %s %v", secureString(a.Verdict.Secure), codes(a.Verdict))
	}
	a, _ = Analyze(strings.NewReader(raw), Options{ProviderHosts: []string{"gw01.corp.example.org"}})
	if secureString(a.Verdict.Secure) != "false" || a.Verdict.Reasons[0].Code != CodeProviderNoTLS || a.Verdict.Reasons[0].Hop != 2 {
		t.Errorf("custom pattern: %s %v", secureString(a.Verdict.Secure), a.Verdict.Reasons)
	}
}

func TestHostMatcher(t *testing.T) {
	m := newHostMatcher([]string{"zivver.com", "cryptshare", "*.relay.example.net", "  "})
	for host, want := range map[string]bool{
		"smtp.zivver.com":             true,
		"SMTP.ZIVVER.COM.":            true,
		"zivver.com":                  true,
		"notzivver.com":               false,
		"zivver.com.evil.example":     false,
		"cmg-cryptshare01.corp.local": true,
		"a.relay.example.net":         true,
		"relay.example.net":           false,
		"":                            false,
	} {
		if got := m.match(host); got != want {
			t.Errorf("match(%q) = %v, want %v", host, got, want)
		}
	}
	for _, bad := range []string{"", "a b", "smtp://x", "[", "user@host"} {
		if ValidateProviderPattern(bad) == nil {
			t.Errorf("ValidateProviderPattern(%q) accepted", bad)
		}
	}
	if err := ValidateProviderPattern("*.zivver.com"); err != nil {
		t.Error(err)
	}
}

func TestAnalyzeHugeHeaderBlock(t *testing.T) {
	huge := readTestdata(t, "huge-header.eml.gz")
	_, err := Analyze(bytes.NewReader(huge), Options{})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != DefaultMaxHeaderBytes || !strings.Contains(err.Error(), "1024 KiB") {
		t.Fatalf("err = %v, want TooLargeError at 1 MiB", err)
	}
	// Just under the cap (cut at a field boundary) it is analysed, and the
	// absurd chain is cut at maxHops with a finding that says so.
	cut := bytes.LastIndex(huge[:DefaultMaxHeaderBytes-10], []byte("\r\nX-MS"))
	under := append(append([]byte{}, huge[:cut]...), "\r\n\r\n"...)
	a, err := Analyze(bytes.NewReader(under), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Hops) != maxHops {
		t.Errorf("hops = %d, want %d", len(a.Hops), maxHops)
	}
	if _, ok := hasCode(a.Verdict, CodeTooManyHops); !ok {
		t.Errorf("no too_many_hops reason: %v", codes(a.Verdict))
	}
	if len(a.Markers.Exchange) != maxListed {
		t.Errorf("exchange hints = %d, want capped at %d", len(a.Markers.Exchange), maxListed)
	}
	// A smaller configured cap applies too.
	_, err = Analyze(bytes.NewReader(readTestdata(t, "label-present.eml")), Options{MaxHeaderBytes: 512})
	if !errors.As(err, &tl) || tl.Limit != 512 {
		t.Errorf("MaxHeaderBytes 512: err = %v", err)
	}
}

// The body is never read: a large attachment after the headers is fine.
func TestAnalyzeIgnoresBody(t *testing.T) {
	msg := append(readTestdata(t, "secure-pams-onprem.eml"), bytes.Repeat([]byte("QUJD\r\n"), 400_000)...)
	a, err := Analyze(bytes.NewReader(msg), Options{})
	if err != nil || len(a.Hops) != 4 {
		t.Fatalf("err=%v hops=%d", err, len(a.Hops))
	}
}

func TestAnalyzeNoHeaders(t *testing.T) {
	for _, in := range []string{"", "\n\n", "just some text\nwithout any header\n", "\x00\x01\x02"} {
		if _, err := Analyze(strings.NewReader(in), Options{}); !errors.Is(err, ErrNoHeaders) {
			t.Errorf("Analyze(%q) err = %v, want ErrNoHeaders", in, err)
		}
	}
}

func TestAnalyzeJSONShape(t *testing.T) {
	a := analyzeFile(t, "no-received.eml", Options{})
	b, top := jsonFields(t, a)
	if len(top) != 7 || string(top["hops"]) != "[]" || string(top["labels"]) != "[]" || string(top["antispam"]) != "[]" ||
		string(top["input"]) != `"headers"` || top["summary"] == nil {
		t.Errorf("top-level JSON = %s", b)
	}
	var v struct {
		Secure  *bool             `json:"secure"`
		Reasons []json.RawMessage `json:"reasons"`
	}
	if err := json.Unmarshal(top["verdict"], &v); err != nil || !strings.Contains(string(top["verdict"]), `"secure":null`) || len(v.Reasons) == 0 {
		t.Errorf("verdict JSON = %s (%v)", top["verdict"], err)
	}
}

func TestParseReceivedVariants(t *testing.T) {
	cases := []struct {
		raw                      string
		from, ip, by, with, tlsv string
		tls                      string
	}{
		{"from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id x for <a@b>; Tue, 14 Jan 2025 01:15:02 -0800 (PST)",
			"mail-sor-f41.google.com", "209.85.220.41", "mx.google.com", "SMTPS", "", "true"},
		{"from host.example (host.example [192.0.2.9]) (authenticated bits=0) by mail.example (8.17.1/8.17.1) with ESMTPSA id 50E (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT); Tue, 14 Jan 2025 10:00:00 +0100",
			"host.example", "192.0.2.9", "mail.example", "ESMTPSA", "TLSv1.3", "true"},
		{"from EX01 (10.0.0.5) by EX02 (10.0.0.6) with Microsoft SMTP Server id 15.2.1544.14; Tue, 14 Jan 2025 10:15:05 +0100",
			"EX01", "10.0.0.5", "EX02", "Microsoft SMTP Server", "", "false"},
		{"from [192.0.2.7] by relay.example with ESMTP; 14 Jan 2025 10:00:00 -0000",
			"[192.0.2.7]", "192.0.2.7", "relay.example", "ESMTP", "", "false"},
		{"by mx.example (Postfix, from userid 1000) id 1A2B; Tue, 14 Jan 2025 10:00:00 +0000 (UTC)",
			"", "", "mx.example", "", "", "null"},
		{"from x ((((unbalanced by y with ESMTPS",
			"x", "", "", "", "", "null"},
	}
	for _, c := range cases {
		h := parseReceived(c.raw)
		if h.From != c.from || h.FromIP != c.ip || h.By != c.by || h.With != c.with || h.TLSVersion != c.tlsv || secureString(h.TLS) != c.tls {
			t.Errorf("parseReceived(%q)\n got from=%q ip=%q by=%q with=%q tlsv=%q tls=%s", c.raw, h.From, h.FromIP, h.By, h.With, h.TLSVersion, secureString(h.TLS))
		}
	}
	if h := parseReceived(cases[0].raw); h.Time == nil || !h.Time.Equal(time.Date(2025, 1, 14, 9, 15, 2, 0, time.UTC)) {
		t.Errorf("PST time = %v", h.Time)
	}
}

// A clock that runs behind produces a negative delay: reported as skew,
// and not counted into the total.
func TestAnalyzeClockSkew(t *testing.T) {
	in := "Received: from b.example (b.example [192.0.2.2]) by c.example with ESMTPS; Tue, 14 Jan 2025 10:00:10 +0000\n" +
		"Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS; Tue, 14 Jan 2025 10:10:00 +0000\n" +
		"Date: Tue, 14 Jan 2025 10:09:50 +0000\n\n"
	a, err := Analyze(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := hasCode(a.Verdict, CodeClockSkew); !ok || r.Hop != 2 {
		t.Errorf("reasons = %v", a.Verdict.Reasons)
	}
	if p := a.Hops[1].DelayPercent; p == nil || *p != 0 {
		t.Errorf("negative delay share = %v", p)
	}
	if p := a.Hops[0].DelayPercent; p == nil || *p != 100 {
		t.Errorf("first hop share = %v", p)
	}
}
