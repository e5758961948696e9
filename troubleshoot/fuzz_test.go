package troubleshoot

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimit keeps each fuzz input's header block small so the engine
// explores structure rather than size; size itself is covered by the cap
// tests and BenchmarkAnalyzeWorstCase.
const fuzzLimit = 64 << 10

// FuzzAnalyze: any input either fails with one of the documented errors or
// gives a well-formed analysis; it never panics. The seed corpus (every
// testdata message plus hostile shapes) runs in plain `go test`.
func FuzzAnalyze(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		if strings.HasSuffix(name, ".gz") {
			continue
		}
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"Received: ((((((((\n\n",
		"Received: from (a [b]) by ; ;;; (\n",
		"Received: from a by b with ESMTPS; Tue, 99 Foo 2025 99:99:99 +9999\n",
		"msip_labels: MSIP_Label_00000000-0000-0000-0000-000000000000_Enabled=true;MSIP_Label_00000000-0000-0000-0000-000000000000_Name==?utf-8?B?!!?=\n",
		"Subject: =?x-unknown?Q?abc?= =?utf-8?B?\xff\xfe?=\n",
		"Authentication-Results: ;;;=;spf;dkim=\n",
		"ARC-Authentication-Results: i=; ( ; spf=pass\n",
		"X: y\n \n\t\n",
		"From x\nReceived: from [::1] by [::1%eth0]\n",
		strings.Repeat("Received: from a.example by a.example with ESMTP; Tue, 14 Jan 2025 10:00:00 +0000\n", 400),
		"Received: x\n" + strings.Repeat(" y\n", 5000),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Analyze(bytes.NewReader(data), Options{MaxHeaderBytes: fuzzLimit})
		if err != nil {
			var tl *TooLargeError
			if !errors.As(err, &tl) && !errors.Is(err, ErrNoHeaders) {
				t.Fatalf("unexpected error type: %v", err)
			}
			if len(data) <= fuzzLimit && tl != nil {
				t.Fatalf("TooLargeError for %d bytes", len(data))
			}
			return
		}
		if len(a.Hops) > maxHops {
			t.Fatalf("%d hops above the cap", len(a.Hops))
		}
		for i, h := range a.Hops {
			if h.Index != i+1 {
				t.Fatalf("hop %d has index %d", i+1, h.Index)
			}
			if h.DelayPercent != nil && (*h.DelayPercent < 0 || *h.DelayPercent > 100) {
				t.Fatalf("hop %d share %v out of range", i+1, *h.DelayPercent)
			}
		}
		if a.Verdict.Reasons == nil || a.Labels == nil || a.Hops == nil {
			t.Fatal("nil slices would encode as null in --json")
		}
		if a.Verdict.Secure != nil && !*a.Verdict.Secure {
			if a.Verdict.Reasons[0].Severity != SevFail {
				t.Fatalf("not secure without a failing reason first: %v", a.Verdict.Reasons)
			}
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("JSON: %v", err)
		}
	})
}

// BenchmarkAnalyzeWorstCase measures the largest accepted input: a header
// block just under the cap made of the most expensive shapes (many hops,
// long folded fields). Run with -benchmem to watch memory per analysis.
func BenchmarkAnalyzeWorstCase(b *testing.B) {
	var buf bytes.Buffer
	hop := "Received: from relay.example (relay.example [192.0.2.1])\n (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n by mx.example (Postfix) with ESMTPS id X; Tue, 14 Jan 2025 10:00:00 +0000\n"
	for buf.Len() < DefaultMaxHeaderBytes/2 {
		buf.WriteString(hop)
	}
	buf.WriteString("msip_labels: ")
	for buf.Len() < DefaultMaxHeaderBytes-1024 {
		buf.WriteString("MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Enabled=true;\n ")
	}
	buf.WriteString("x\n\n")
	in := buf.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(bytes.NewReader(in), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
