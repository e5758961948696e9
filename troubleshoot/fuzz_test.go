package troubleshoot

import (
	"bytes"
	"encoding/json"
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
	corpus, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	for _, name := range append(files, corpus...) {
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
		"Received: from localhost (x [203.0.113.9]) by localhost with ESMTP\n",
		"Received: by a with SMTP id b 2018-04-21 03:01:32.5 +0000 UTC\n",
		"Received: from a (HELO b) (c@[IPv6:::1]:25) by d, with ESMTP/TLS/; 4/20/2018 11:01:32 PM Q\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n!!!!\n--b--\n",
		"X-Forefront-Antispam-Report: SCL:;:;;CIP:\x00;SFV:ZZZ\n",
		string(cfbMagic) + strings.Repeat("\x00", 600),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Analyze(bytes.NewReader(data), Options{MaxHeaderBytes: fuzzLimit, ScanAttached: true, AllHeaders: true})
		if err != nil {
			var tl *TooLargeError
			if !IsBadInput(err) {
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

// BenchmarkAnalyze1MiB300Hops is the acceptance benchmark: a 1 MiB header
// block with 300 Received hops in every MTA format of the corpus, the rest
// long folded fields (DKIM/ARC signatures, anti-spam reports) as a big
// Exchange Online message carries them. Goal: under 20 ms per analysis.
func BenchmarkAnalyze1MiB300Hops(b *testing.B) {
	in := bigHeaderBlock(b, 300, DefaultMaxHeaderBytes-1)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		a, err := Analyze(bytes.NewReader(in), Options{AllHeaders: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(a.Hops) != 300 {
			b.Fatalf("%d hops", len(a.Hops))
		}
	}
}

// bigHeaderBlock builds hops Received fields from the corpus messages'
// Received values, padded with folded signature fields to size bytes.
func bigHeaderBlock(tb testing.TB, hops, size int) []byte {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.eml"))
	var received []string
	for _, name := range files {
		raw := readTestdata(tb, filepath.Join("corpus", filepath.Base(name)))
		for _, f := range splitFields(strings.ReplaceAll(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n", "\r\n")) {
			if strings.HasPrefix(f, "Received:") {
				received = append(received, f)
			}
		}
	}
	if len(received) == 0 {
		tb.Fatal("no corpus Received fields")
	}
	var buf bytes.Buffer
	for i := 0; i < hops; i++ {
		buf.WriteString(received[i%len(received)])
	}
	sig := "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=microsoft.com; s=arcselector10001;\r\n h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-AntiSpam-MessageData-ChunkCount;\r\n bh=" + strings.Repeat("Zm9vYmFy", 6) + "=;\r\n b=" + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 2) + "\r\n"
	as := "X-Forefront-Antispam-Report: CIP:198.51.100.20;CTRY:NL;LANG:nl;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:smtp.zivver.com;PTR:smtp.zivver.com;CAT:NONE;SFS:(13230040)(4022899009);DIR:INB;\r\n"
	for i := 0; buf.Len() < size-len(sig)-len(as)-8; i++ {
		if i%8 == 0 {
			buf.WriteString(as)
		} else {
			buf.WriteString(sig)
		}
	}
	buf.WriteString("\r\n")
	if buf.Len() > DefaultMaxHeaderBytes {
		tb.Fatalf("block is %d bytes, above the cap", buf.Len())
	}
	return buf.Bytes()
}
