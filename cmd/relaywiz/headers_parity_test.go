package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHeadersOutlookMsg(t *testing.T) {
	a, out, errb := troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"headers", corpus("secure-pams-onprem.msg")}); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	for _, want := range []string{"SECURE:", "Summary (Outlook .msg transport headers)", "smtp.zivver.com", "delivered after 6 seconds"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// a .msg without transport headers (a draft) is bad input with advice
	dir := t.TempDir()
	raw, err := os.ReadFile(corpus("secure-pams-onprem.msg"))
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.msg")
	if err := os.WriteFile(damaged, raw[:600], 0o600); err != nil {
		t.Fatal(err)
	}
	a, _, errb = troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"headers", damaged}); code != exitUsage || !strings.Contains(errb.String(), ".msg") {
		t.Errorf("damaged .msg: exit %d, stderr %q", code, errb)
	}
}

func TestHeadersAttachedMessage(t *testing.T) {
	a, out, _ := troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"headers", corpus("forwarded-attachment.eml")}); code != exitHeadersUnknown {
		t.Errorf("outer message: exit %d", code)
	}
	if !strings.Contains(out.String(), "Attached messages (analyse one with --attached N)") || !strings.Contains(out.String(), "--attached 1") {
		t.Errorf("no offer:\n%s", out)
	}
	a, out, _ = troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"headers", "--attached", "1", corpus("forwarded-attachment.eml")}); code != exitHeadersNotSecure {
		t.Errorf("attached 1: exit %d\n%s", code, out)
	}
	if !strings.Contains(out.String(), "Summary (attached message 1)") || !strings.Contains(out.String(), "NO TLS") {
		t.Errorf("attached 1 output:\n%s", out)
	}
	a, _, errb := troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"headers", "--attached", "7", corpus("forwarded-attachment.eml")}); code != exitUsage || !strings.Contains(errb.String(), "has 2") {
		t.Errorf("attached 7: exit %d %q", code, errb)
	}
}

func TestHeadersAllHeadersAndJSONFields(t *testing.T) {
	a, out, _ := troubleTestApp(nil, nil)
	run(context.Background(), a, []string{"headers", "--all-headers", corpus("corpus/exchange-online-inbound.eml")})
	for _, want := range []string{"All headers (in message order)", "X-Microsoft-Antispam", "Anti-spam report (Microsoft 365)", "SCL   1", "not spam: delivered to the Inbox", "via Frontend Transport", "█"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	a, out, _ = troubleTestApp(nil, nil)
	run(context.Background(), a, []string{"headers", "--json", "--all-headers", corpus("corpus/exchange-online-inbound.eml")})
	var doc struct {
		Input   string `json:"input"`
		Summary struct {
			TotalDelay     *float64 `json:"total_delay_seconds"`
			DeliveredAfter string   `json:"delivered_after"`
		} `json:"summary"`
		Hops []struct {
			Via      string `json:"via"`
			ID       string `json:"id"`
			FromRDNS string `json:"from_rdns"`
		} `json:"hops"`
		Antispam []struct{ Key, Value, Meaning string } `json:"antispam"`
		Headers  []struct{ Name, Value string }         `json:"headers"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Input != "headers" || doc.Summary.TotalDelay == nil || *doc.Summary.TotalDelay != 8 || doc.Summary.DeliveredAfter != "8 seconds" ||
		len(doc.Hops) != 5 || doc.Hops[3].Via != "Frontend Transport" || doc.Hops[2].FromRDNS == "" || doc.Hops[2].ID != "4YXs0001abc" ||
		len(doc.Antispam) == 0 || len(doc.Headers) < 10 {
		t.Errorf("JSON fields: %+v", doc)
	}
}

// Header values are written by whoever sent the mail: in human output an
// escape sequence must be shown, not executed; --json keeps the bytes.
func TestHeadersEscapesMessageText(t *testing.T) {
	evil := "Received: from a.example (a.example [192.0.2.1]) by smtp.zivver.com with ESMTPS id \x1b]0;pwned\x07 for <x\u202e@example>; Tue, 14 Jan 2025 10:00:00 +0000\r\n" +
		"Subject: \x1b[2J\x1b[HSECURE: all fine\r\n" +
		"X-Forefront-Antispam-Report: SCL:1;H:\x1b[31mred;\r\n" +
		"X-Zivver-Note: \x1b[1mbold\r\n" +
		"msip_labels: MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Enabled=true; MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Name=\x1b[5mX;\r\n\r\n"
	path := filepath.Join(t.TempDir(), "evil.eml")
	if err := os.WriteFile(path, []byte(evil), 0o600); err != nil {
		t.Fatal(err)
	}
	a, out, _ := troubleTestApp(nil, nil)
	run(context.Background(), a, []string{"headers", "--all-headers", path})
	if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
		t.Errorf("raw control characters in human output:\n%q", out)
	}
	for _, want := range []string{`\x1b[2J`, `\x1b[31mred`, `\x1b[1mbold`, `\x1b[5mX`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("escaped %q not shown:\n%s", want, out)
		}
	}
	a, out, _ = troubleTestApp(nil, nil)
	run(context.Background(), a, []string{"headers", "--json", path})
	var doc struct {
		Markers struct {
			Subject string `json:"subject"`
		} `json:"markers"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Markers.Subject != "\x1b[2J\x1b[HSECURE: all fine" {
		t.Errorf("JSON subject %q (%v)", doc.Markers.Subject, err)
	}
}
