package troubleshoot

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusHopsPerMTA: every hop of every corpus message (one per MTA
// family, written from the formats named in testdata/SOURCES), with values
// established by reading the header, not by running the parser.
func TestCorpusHopsPerMTA(t *testing.T) {
	cases := []struct {
		file string
		hops []wantHop
	}{
		{"exchange-online-inbound.eml", []wantHop{
			{from: "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", rdns: "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", ip: "fe80::a1b2:c3d4:e5f6:7788", by: "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", with: "mapi", id: "15.20.8335.010", tls: "null", local: true, time: "2025-01-14T13:09:02Z"},
			{from: "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", ip: "2603:10a6:208:11f::20", by: "DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com", with: "Microsoft SMTP Server", id: "15.20.8335.10", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2025-01-14T13:09:03Z"},
			{from: "DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com", rdns: "mail-db5eur03lp2051.outbound.protection.outlook.com", ip: "198.51.100.51", by: "smtp.zivver.com", with: "ESMTPS", id: "4YXs0001abc", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384", time: "2025-01-14T13:09:05Z"},
			{from: "smtp.zivver.com", ip: "198.51.100.20", by: "AM2PEPF0001C70E.mail.protection.outlook.com", with: "Microsoft SMTP Server", id: "15.20.8335.10", via: "Frontend Transport", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2025-01-14T13:09:08Z"},
			{from: "AM2PEPF0001C70E.mail.protection.outlook.com", ip: "2603:10a6:20b:3::12", by: "VI1PR07MB1111.eurprd07.prod.outlook.com", with: "Microsoft SMTP Server", id: "15.20.8335.10", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2025-01-14T13:09:09Z"},
		}},
		{"exchange2010-codetwo.eml", []wantHop{
			{from: "EX10MBX.corp.example", rdns: "EX10MBX.corp.example", ip: "fe80::1c2d:3e4f:5a6b:7c8d", by: "EX10HUB.corp.example", with: "mapi", tls: "null", local: true, time: "2025-01-14T09:00:01Z"},
			{from: "EX10HUB.corp.example", ip: "10.1.0.20", by: "EX10EDGE.corp.example", with: "Microsoft SMTP Server", id: "14.3.498.0", tls: "true", time: "2025-01-14T09:00:02Z"},
			{from: "EX10EDGE.corp.example", ip: "203.0.113.30", by: "smtp-in.eu.codetwo.online", with: "Microsoft SMTP Server", id: "15.20.8335.10", tls: "true", time: "2025-01-14T09:00:04Z"},
			{from: "smtp-out.eu.codetwo.online", rdns: "smtp-out.eu.codetwo.online", ip: "192.0.2.81", by: "mx.recipient.example", with: "ESMTPS", id: "4YXr1Q2w3Ez9abc", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384", time: "2025-01-14T09:00:07Z"},
		}},
		{"exchange2013-plaintext-partner.eml", []wantHop{
			{from: "EX13MBX01.corp.example", ip: "10.1.1.11", by: "EX13MBX01.corp.example", with: "Microsoft SMTP Server", id: "15.0.1497.2", via: "Mailbox Transport", tls: "true", local: true, time: "2020-02-03T08:12:30Z"},
			{from: "EX13MBX01.corp.example", ip: "10.1.1.11", by: "EX13CAS01.corp.example", with: "Microsoft SMTP Server", id: "15.0.1497.2", tls: "true", time: "2020-02-03T08:12:31Z"},
			{from: "EX13CAS01.corp.example", ip: "203.0.113.21", by: "mail.partner.example", with: "Microsoft SMTP Server", id: "15.0.1497.2", tls: "false", time: "2020-02-03T08:12:33Z"},
		}},
		{"exchange2016-zivver.eml", []wantHop{
			{from: "EX16.corp.example", ip: "2001:db8:10::16", by: "EX16.corp.example", with: "Microsoft SMTP Server", id: "15.1.2507.6", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384", local: true, time: "2021-01-06T13:02:10Z"},
			{from: "EX16.corp.example", rdns: "mail.corp.example", ip: "203.0.113.16", by: "smtp.zivver.com", with: "ESMTPSA", id: "4DB2cD5Xyzz2", tls: "true", tlsv: "TLSv1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384", auth: true, user: "relay@corp.example", time: "2021-01-06T13:02:12Z"},
			{from: "smtp.zivver.com", rdns: "smtp.zivver.com", ip: "198.51.100.20", by: "mx.recipient.example", with: "ESMTPS", id: "4DB2cF0abcz1", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2021-01-06T13:02:15Z"},
		}},
		{"exchange2019-hybrid-roundtrip.eml", []wantHop{
			{from: "EX19A.corp.example", rdns: "EX19A.corp.example", ip: "fe80::5a4b:3c2d:1e0f:9a8b", by: "EX19A.corp.example", with: "mapi", id: "15.02.1258.012", tls: "null", local: true, time: "2025-01-14T10:00:00Z"},
			{from: "EX19A.corp.example", ip: "10.1.2.10", by: "EX19B.corp.example", with: "Microsoft SMTP Server", id: "15.2.1258.12", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2025-01-14T10:00:01Z"},
			{from: "EX19B.corp.example", ip: "203.0.113.19", by: "AM4PEPF00027A5F.mail.protection.outlook.com", with: "Microsoft SMTP Server", id: "15.20.8335.10", via: "Frontend Transport", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2025-01-14T10:00:03Z"},
			{from: "AM4PEPF00027A5F.mail.protection.outlook.com", ip: "2603:10a6:20b:1::5", by: "AS8PR04MB9000.eurprd04.prod.outlook.com", with: "Microsoft SMTP Server", id: "15.20.8335.10", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2025-01-14T10:00:04Z"},
			{from: "AS8PR04MB9000.eurprd04.prod.outlook.com", ip: "2603:10a6:20b:2::9", by: "EX19B.corp.example", with: "Microsoft SMTP Server", id: "15.2.1258.12", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2025-01-14T10:00:06Z"},
			{from: "EX19B.corp.example", ip: "10.1.2.11", by: "EX19A.corp.example", with: "Microsoft SMTP Server", id: "15.2.1258.12", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2025-01-14T10:00:07Z"},
		}},
		{"exim-submission.eml", []wantHop{
			{from: "[192.168.1.20]", ip: "203.0.113.9", by: "server.exim.example", with: "esmtpsa", id: "1tXabc-0001Qx-2B", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", auth: true, time: "2025-01-14T10:00:01Z"},
			{from: "server.exim.example", rdns: "server.exim.example", ip: "198.51.100.80", by: "mx.recipient.example", with: "esmtps", id: "1tXabd-0002Rz-3C", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2025-01-14T10:00:03Z"},
		}},
		{"gmail.eml", []wantHop{
			{by: "2002:a05:6a10:9e4c:b0:4f2:1a3b:5c6d", with: "SMTP", id: "n12csp123456pxb", tls: "false", local: true, time: "2025-01-14T09:15:00Z"},
			{from: "mail-sor-f41.google.com", rdns: "mail-sor-f41.google.com", ip: "209.85.220.41", by: "mx.google.com", with: "SMTPS", id: "a640c23a62f3a-a8d2fe5e19bsor123456766b.5.2025.01.14.01.15.02", forr: "anna@gmail.example", tls: "true", time: "2025-01-14T09:15:02Z"},
			{by: "2002:a17:907:7b94:b0:a8d:2fe5:e19b", with: "SMTP", id: "jx20csp998877ejc", tls: "false", local: true, time: "2025-01-14T09:15:03Z"},
		}},
		{"ironport.eml", []wantHop{
			{from: "laptop.sender.example", ip: "192.0.2.45", by: "esa1.sender.iphmx.example", with: "ESMTP", tls: "false", time: "2018-04-21T03:01:38Z"},
			{from: "esa1.sender.iphmx.example", rdns: "esa1.sender.iphmx.example", ip: "192.0.2.44", by: "esa3.recipient.iphmx.example", with: "ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384", tls: "true", cipher: "ECDHE-RSA-AES256-GCM-SHA384", time: "2018-04-21T03:01:40Z"},
			{from: "esa3.recipient.iphmx.example", ip: "10.20.0.3", by: "EX19.recipient.example", with: "Microsoft SMTP Server", id: "15.2.1258.12", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2018-04-21T03:01:41Z"},
		}},
		{"postfix-amavis.eml", []wantHop{
			{from: "[192.168.1.20]", rdns: "dsl-203-0-113-9.isp.example", ip: "203.0.113.9", by: "submit.corp.example", with: "ESMTPSA", id: "4TpQ1Jk6Hoz9q8z", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", auth: true, user: "jan@corp.example", time: "2025-01-14T10:00:01Z"},
			{from: "submit.corp.example", rdns: "submit.corp.example", ip: "127.0.0.1", by: "localhost", with: "ESMTP", id: "Ab1Cd2Ef3Gh4", forr: "anna@recipient.example", tls: "false", local: true, time: "2025-01-14T10:00:02Z"},
			{from: "localhost", rdns: "localhost", ip: "127.0.0.1", by: "submit.corp.example", with: "ESMTP", id: "4TpQ2Kl7Jpz9r9A", forr: "anna@recipient.example", tls: "false", local: true, time: "2025-01-14T10:00:03Z"},
			{from: "submit.corp.example", rdns: "submit.corp.example", ip: "203.0.113.25", by: "mx.recipient.example", with: "ESMTPS", id: "4TpQ3Lm8Kqz9sAB", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2025-01-14T10:00:04Z"},
		}},
		{"qmail-qpsmtpd.eml", []wantHop{
			{tls: "null", local: true, time: "2018-04-21T03:01:30Z"},
			{from: "mail.qmail-sender.example", rdns: "mta.qmail-sender.example", ip: "198.51.100.7", by: "smtp.qpsmtpd.example", with: "ESMTP", tls: "true", cipher: "ECDHE-RSA-AES256-GCM-SHA384", time: "2018-04-21T03:01:33Z"},
			{tls: "null", local: true, time: "2018-04-21T03:01:34Z"},
		}},
		{"sendgrid-loose-dates.eml", []wantHop{
			{by: "filter0123p1mdw1.sendgrid.example", with: "SMTP", id: "filter0123p1mdw1-12345-5ADA8DB6-21", tls: "false", local: true, time: "2018-04-21T03:01:32.560837614Z"},
			{from: "filter0123p1mdw1.sendgrid.example", by: "ismtpd0004p1lon1.sendgrid.example", with: "ESMTP", id: "abcDEF123xyz", forr: "anna@recipient.example", tls: "false", time: "2018-04-21T03:01:32.702Z"},
			{from: "o1.email.sender.example", rdns: "o1.email.sender.example", ip: "198.51.100.150", by: "mx.recipient.example", with: "ESMTPS", id: "40STabc", forr: "anna@recipient.example", tls: "true", time: "2018-04-21T03:01:34Z"},
			{from: "mx.recipient.example", ip: "10.0.0.25", by: "mailstore.recipient.example", with: "LMTP", tls: "false", local: true, time: "2018-04-21T03:01:35Z"},
		}},
		{"sendmail.eml", []wantHop{
			{from: "laptop.corp.example", rdns: "dsl-203-0-113-9.isp.example", ip: "203.0.113.9", by: "mail.sendmail.example", with: "ESMTPSA", id: "40EA0A1b012345", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", auth: true, time: "2025-01-14T10:00:00Z"},
			{from: "mail.sendmail.example", rdns: "mail.sendmail.example", ip: "198.51.100.90", by: "mx.recipient.example", with: "ESMTPS", id: "40EA0B2c023456", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2025-01-14T10:00:02Z"},
		}},
	}
	for _, c := range cases {
		a := analyzeFile(t, filepath.Join("corpus", c.file), Options{})
		if len(a.Hops) != len(c.hops) {
			t.Errorf("%s: %d hops, want %d", c.file, len(a.Hops), len(c.hops))
			continue
		}
		for i, w := range c.hops {
			checkHop(t, c.file+" hop "+string(rune('1'+i)), a.Hops[i], w)
		}
	}
}

// TestCorpusVerdicts: the verdict and the findings each corpus message must
// (and must not) produce.
func TestCorpusVerdicts(t *testing.T) {
	cases := []struct {
		file       string
		secure     string
		first      string
		also, not  []string
		totalDelay float64
	}{
		// (TLS) on the hop into CodeTwo: secure, not the STARTTLS-stripping failure
		{"exchange2010-codetwo.eml", "true", CodeViaProvider, nil, []string{CodeProviderNoTLS, CodeHopNoTLS}, 7},
		{"exchange2013-plaintext-partner.eml", "null", CodeNoProvider, []string{CodeHopNoTLS}, []string{CodeLoop}, 4},
		{"exchange2016-zivver.eml", "true", CodeViaProvider, []string{CodeRuleFired, CodeTrigger}, []string{CodeHopNoTLS}, 6},
		// on-premises → EXO → on-premises: a round trip, not a loop
		{"exchange2019-hybrid-roundtrip.eml", "null", CodeNoProvider, []string{CodeRoundTrip}, []string{CodeLoop, CodeHopNoTLS}, 8},
		{"exchange-online-inbound.eml", "true", CodeViaProvider, nil, []string{CodeHopNoTLS, CodeLoop}, 8},
		{"postfix-amavis.eml", "null", CodeNoProvider, nil, []string{CodeLoop, CodeRoundTrip, CodeHopNoTLS}, 4},
		{"exim-submission.eml", "null", CodeNoProvider, nil, []string{CodeHopNoTLS}, 3},
		{"sendmail.eml", "null", CodeNoProvider, nil, []string{CodeHopNoTLS, CodeClockSkew}, 4},
		// qpsmtpd "(… encrypted) ESMTP" is TLS
		{"qmail-qpsmtpd.eml", "null", CodeNoProvider, nil, []string{CodeHopNoTLS}, 5},
		// PST-only stamp: no false skew
		{"gmail.eml", "null", CodeNoProvider, nil, []string{CodeHopNoTLS, CodeClockSkew, CodeSlowHop}, 4},
		// ESMTP/TLS/… is TLS; the plaintext submission to the first ESA is reported
		{"ironport.eml", "null", CodeNoProvider, []string{CodeHopNoTLS}, []string{CodeClockSkew}, 4},
		{"sendgrid-loose-dates.eml", "null", CodeNoProvider, []string{CodeHopNoTLS}, []string{CodeClockSkew, CodeSlowHop, CodeZoneUnknown}, 3},
	}
	for _, c := range cases {
		a := analyzeFile(t, filepath.Join("corpus", c.file), Options{})
		v := a.Verdict
		if got := secureString(v.Secure); got != c.secure {
			t.Errorf("%s: secure %s, want %s: %v", c.file, got, c.secure, v.Reasons)
		}
		if len(v.Reasons) == 0 || v.Reasons[0].Code != c.first {
			t.Errorf("%s: first reason %v, want %s", c.file, codes(v), c.first)
		}
		for _, code := range c.also {
			if _, ok := hasCode(v, code); !ok {
				t.Errorf("%s: missing %s in %v", c.file, code, codes(v))
			}
		}
		for _, code := range c.not {
			if r, ok := hasCode(v, code); ok {
				t.Errorf("%s: unexpected %s: %s", c.file, code, r.Message)
			}
		}
		if d := a.Summary.TotalDelaySeconds; d == nil || *d != c.totalDelay {
			t.Errorf("%s: total delay %v, want %v", c.file, d, c.totalDelay)
		}
	}
}

func TestCorpusHybridRoundTripExplained(t *testing.T) {
	a := analyzeFile(t, filepath.Join("corpus", "exchange2019-hybrid-roundtrip.eml"), Options{})
	r, ok := hasCode(a.Verdict, CodeRoundTrip)
	if !ok || r.Hop != 5 || r.Severity != SevInfo || !strings.Contains(r.Message, "EX19B.corp.example twice") || !strings.Contains(r.Message, "hybrid") {
		t.Errorf("round trip = %+v", r)
	}
}

// A mailing list sends the message back through the same MX: a round trip.
// The same link used twice is a loop.
func TestLoopOnlyForRepeatedLink(t *testing.T) {
	list := strings.Join([]string{
		"Received: from lists.example (lists.example [192.0.2.30]) by mx.example with ESMTPS id 3; Tue, 14 Jan 2025 10:00:03 +0000",
		"Received: from mx.example (mx.example [192.0.2.25]) by lists.example with ESMTPS id 2; Tue, 14 Jan 2025 10:00:02 +0000",
		"Received: from out.sender.example (out.sender.example [198.51.100.5]) by mx.example with ESMTPS id 1; Tue, 14 Jan 2025 10:00:01 +0000",
		"", ""}, "\n")
	a, err := Analyze(strings.NewReader(list), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hasCode(a.Verdict, CodeLoop); ok {
		t.Errorf("mailing list round trip reported as loop: %v", a.Verdict.Reasons)
	}
	if r, ok := hasCode(a.Verdict, CodeRoundTrip); !ok || !strings.Contains(r.Message, "mailing list") {
		t.Errorf("round trip = %+v", r)
	}

	loop := strings.Join([]string{
		"Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS id 4; Tue, 14 Jan 2025 10:00:04 +0000",
		"Received: from b.example (b.example [192.0.2.2]) by a.example with ESMTPS id 3; Tue, 14 Jan 2025 10:00:03 +0000",
		"Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS id 2; Tue, 14 Jan 2025 10:00:02 +0000",
		"Received: from client.example (client.example [198.51.100.5]) by a.example with ESMTPS id 1; Tue, 14 Jan 2025 10:00:01 +0000",
		"", ""}, "\n")
	a, err = Analyze(strings.NewReader(loop), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := hasCode(a.Verdict, CodeLoop); !ok || r.Hop != 4 {
		t.Errorf("repeated link not reported as loop: %v", a.Verdict.Reasons)
	}
}
