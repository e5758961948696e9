package troubleshoot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// wantHop is what one Received line must parse to. Every field is compared:
// an empty string means the field must be empty.
type wantHop struct {
	from, rdns, ip, by, with, id, forr, via string
	tls                                     string // true / false / null
	tlsv, cipher                            string
	auth                                    bool
	user                                    string
	local                                   bool
	time                                    string // RFC 3339 in UTC, "" for none
	zoneUnknown                             bool
}

func checkHop(t *testing.T, name string, h Hop, w wantHop) {
	t.Helper()
	got := wantHop{h.From, h.FromRDNS, h.FromIP, h.By, h.With, h.ID, h.For, h.Via, secureString(h.TLS), h.TLSVersion, h.Cipher,
		h.Authenticated, h.AuthUser, h.Local, "", h.TimeZoneUnknown}
	if h.Time != nil {
		got.time = h.Time.UTC().Format(time.RFC3339Nano)
	}
	if got != w {
		t.Errorf("%s:\n got %+v\nwant %+v", name, got, w)
	}
}

// TestReceivedLinesPerMTA: one line per documented MTA format (see
// testdata/SOURCES). Each line marked "regression" parsed wrong before this
// table existed; the comment says how.
func TestReceivedLinesPerMTA(t *testing.T) {
	cases := []struct {
		name, raw string
		want      wantHop
	}{
		// --- Microsoft Exchange ---
		{"exchange 2010 (TLS)", // regression: read as plaintext → false NOT SECURE
			"from EX10HUB.corp.example (10.1.0.20) by smtp-in.eu.codetwo.online (10.2.0.9) with Microsoft SMTP Server (TLS) id 14.3.498.0; Tue, 14 Jan 2025 10:00:05 +0100",
			wantHop{from: "EX10HUB.corp.example", ip: "10.1.0.20", by: "smtp-in.eu.codetwo.online", with: "Microsoft SMTP Server", id: "14.3.498.0", tls: "true", time: "2025-01-14T09:00:05Z"}},
		{"exchange 2013 (TLS) folded",
			"from EX13.corp.example (2001:db8:10::5) by\r\n EX13B.corp.example (2001:db8:10::6) with Microsoft SMTP Server\r\n (TLS) id 15.0.1497.2; Mon, 3 Feb 2020 08:12:40 +0000",
			wantHop{from: "EX13.corp.example", ip: "2001:db8:10::5", by: "EX13B.corp.example", with: "Microsoft SMTP Server", id: "15.0.1497.2", tls: "true", time: "2020-02-03T08:12:40Z"}},
		{"exchange without version= or (TLS) is plaintext",
			"from mail.partner.example (198.51.100.23) by EX13.corp.example (10.1.0.21) with Microsoft SMTP Server id 15.0.1497.2; Mon, 3 Feb 2020 08:12:40 +0000",
			wantHop{from: "mail.partner.example", ip: "198.51.100.23", by: "EX13.corp.example", with: "Microsoft SMTP Server", id: "15.0.1497.2", tls: "false", time: "2020-02-03T08:12:40Z"}},
		{"exchange 2016 version= cipher=",
			"from EX16.corp.example (10.1.0.30) by EX16B.corp.example (10.1.0.31) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384) id 15.1.2507.6; Wed, 6 Jan 2021 14:02:11 +0100",
			wantHop{from: "EX16.corp.example", ip: "10.1.0.30", by: "EX16B.corp.example", with: "Microsoft SMTP Server", id: "15.1.2507.6", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384", time: "2021-01-06T13:02:11Z"}},
		{"exchange online via Frontend Transport", // regression: via not recorded
			"from AM6EUR05FT012.eop-eur05.prod.protection.outlook.com (2603:10a6:20b:2d8:cafe::5a) by AS9PR06CA0123.outlook.office365.com (2603:10a6:20b:4d8::27) with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7339.28 via Frontend Transport; Mon, 4 Mar 2024 09:30:02 +0000",
			wantHop{from: "AM6EUR05FT012.eop-eur05.prod.protection.outlook.com", ip: "2603:10a6:20b:2d8:cafe::5a", by: "AS9PR06CA0123.outlook.office365.com", with: "Microsoft SMTP Server", id: "15.20.7339.28", via: "Frontend Transport", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2024-03-04T09:30:02Z"}},
		{"exchange mapi",
			"from DB9PR02MB7000.eurprd02.prod.outlook.com ([fe80::4c1d:2b3a:9e8f:7d6c]) by DB9PR02MB7000.eurprd02.prod.outlook.com ([fe80::4c1d:2b3a:9e8f:7d6c%3]) with mapi id 15.20.7339.031; Mon, 4 Mar 2024 09:30:00 +0000",
			wantHop{from: "DB9PR02MB7000.eurprd02.prod.outlook.com", rdns: "DB9PR02MB7000.eurprd02.prod.outlook.com", ip: "fe80::4c1d:2b3a:9e8f:7d6c", by: "DB9PR02MB7000.eurprd02.prod.outlook.com", with: "mapi", id: "15.20.7339.031", tls: "null", local: true, time: "2024-03-04T09:30:00Z"}},

		// --- Postfix ---
		{"postfix TLS with rdns", // regression: the rDNS name was not recorded
			"from mail.sender.example (mta-7.sender.example [192.0.2.17]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256) (No client certificate requested) by mx.recipient.example (Postfix) with ESMTPS id 4TpQ2x1Zkmz9rxL for <anna@recipient.example>; Tue, 14 Jan 2025 10:00:00 +0000 (UTC)",
			wantHop{from: "mail.sender.example", rdns: "mta-7.sender.example", ip: "192.0.2.17", by: "mx.recipient.example", with: "ESMTPS", id: "4TpQ2x1Zkmz9rxL", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2025-01-14T10:00:00Z"}},
		{"postfix unknown rdns, plaintext",
			"from laptop (unknown [203.0.113.50]) by mx.recipient.example (Postfix) with ESMTP id 4TpQ2x1Zkmz9rxM; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "laptop", ip: "203.0.113.50", by: "mx.recipient.example", with: "ESMTP", id: "4TpQ2x1Zkmz9rxM", tls: "false", time: "2025-01-14T10:00:00Z"}},
		{"postfix Authenticated sender", // regression: only ESMTPA/ESMTPSA counted
			"from [192.168.1.20] (dsl-203-0-113-9.isp.example [203.0.113.9]) (Authenticated sender: jan@corp.example) by submit.corp.example (Postfix) with ESMTPSA id 4TpQ3; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "[192.168.1.20]", rdns: "dsl-203-0-113-9.isp.example", ip: "203.0.113.9", by: "submit.corp.example", with: "ESMTPSA", id: "4TpQ3", tls: "true", auth: true, user: "jan@corp.example", time: "2025-01-14T10:00:00Z"}},
		{"postfix [IPv6:::1] is local", // regression: not recognised as loopback
			"from [IPv6:::1] (localhost [IPv6:::1]) by mx.recipient.example (Postfix) with ESMTP id 4TpQ4; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "[IPv6:::1]", rdns: "localhost", ip: "::1", by: "mx.recipient.example", with: "ESMTP", id: "4TpQ4", tls: "false", local: true, time: "2025-01-14T10:00:00Z"}},
		{"postfix localhost HELO from a routable address is not local", // regression: counted as local, its plaintext hidden
			"from localhost (dsl-203-0-113-9.isp.example [203.0.113.9]) by mx.recipient.example (Postfix) with ESMTP id 4TpQ5; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "localhost", rdns: "dsl-203-0-113-9.isp.example", ip: "203.0.113.9", by: "mx.recipient.example", with: "ESMTP", id: "4TpQ5", tls: "false", time: "2025-01-14T10:00:00Z"}},
		{"old postfix: Authenticated sender over plain ESMTP", // regression: not seen as authenticated
			"from laptop (dsl-203-0-113-9.isp.example [203.0.113.9]) (Authenticated sender: jan) by mail.corp.example (Postfix) with ESMTP id 1A2B3; Sat, 21 Apr 2018 05:01:32 +0200",
			wantHop{from: "laptop", rdns: "dsl-203-0-113-9.isp.example", ip: "203.0.113.9", by: "mail.corp.example", with: "ESMTP", id: "1A2B3", tls: "false", auth: true, user: "jan", time: "2018-04-21T03:01:32Z"}},
		{"bare [IPv6:::1] literal is local", // regression: not recognised as loopback
			"from [IPv6:::1] by mx.recipient.example with ESMTP id 4TpQ7; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "[IPv6:::1]", ip: "::1", by: "mx.recipient.example", with: "ESMTP", id: "4TpQ7", tls: "false", local: true, time: "2025-01-14T10:00:00Z"}},
		{"postfix local pickup",
			"by mx.recipient.example (Postfix, from userid 1000) id 4TpQ6; Tue, 14 Jan 2025 10:00:00 +0000 (UTC)",
			wantHop{by: "mx.recipient.example", id: "4TpQ6", tls: "null", local: true, time: "2025-01-14T10:00:00Z"}},

		// --- Exim ---
		{"exim rdns + helo= + port", // regression: the rDNS name was taken as HELO
			"from mta.sender.example ([192.0.2.33]:41234 helo=smtp.sender.example) by mx.exim.example with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.97) (envelope-from <news@sender.example>) id 1rXyZa-000Abc-2k for anna@exim.example; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "smtp.sender.example", rdns: "mta.sender.example", ip: "192.0.2.33", by: "mx.exim.example", with: "esmtps", id: "1rXyZa-000Abc-2k", forr: "anna@exim.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", time: "2025-01-14T10:00:00Z"}},
		{"exim helo equals rdns",
			"from mta.sender.example ([192.0.2.33]) by mx.exim.example with esmtp (Exim 4.97) (envelope-from <news@sender.example>) id 1rXyZa-000Abc-2l; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "mta.sender.example", rdns: "mta.sender.example", ip: "192.0.2.33", by: "mx.exim.example", with: "esmtp", id: "1rXyZa-000Abc-2l", tls: "false", time: "2025-01-14T10:00:00Z"}},
		{"exim authenticated submission, address literal", // regression: "authenticated as" ignored
			"from [203.0.113.9] (port=52144 helo=[192.168.1.20]) by smtp.exim.example with esmtpsa (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <jan@exim.example>) (authenticated as jan) id 1rXyZb-000Abc-3m; Tue, 14 Jan 2025 10:00:00 +0000",
			wantHop{from: "[192.168.1.20]", ip: "203.0.113.9", by: "smtp.exim.example", with: "esmtpsa", id: "1rXyZb-000Abc-3m", tls: "true", tlsv: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", auth: true, user: "jan", time: "2025-01-14T10:00:00Z"}},
		{"exim custom header: esmtp with (authenticated as …)", // regression: not seen as authenticated
			"from [203.0.113.9] (helo=laptop.exim.example) by smtp.exim.example with esmtp (Exim 4.92) (envelope-from <jan@exim.example>) (authenticated as jan@exim.example) id 1f9AbC-0001Xy-Q2; Sat, 21 Apr 2018 05:01:32 +0200",
			wantHop{from: "laptop.exim.example", ip: "203.0.113.9", by: "smtp.exim.example", with: "esmtp", id: "1f9AbC-0001Xy-Q2", tls: "false", auth: true, user: "jan@exim.example", time: "2018-04-21T03:01:32Z"}},
		{"exim old version:cipher:bits",
			"from mta.sender.example ([192.0.2.33]) by mx.exim.example with esmtps (TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256) (Exim 4.89) (envelope-from <a@sender.example>) id 1f9AbC-0001Xy-Q1; Sat, 21 Apr 2018 09:01:32 +0200",
			wantHop{from: "mta.sender.example", rdns: "mta.sender.example", ip: "192.0.2.33", by: "mx.exim.example", with: "esmtps", id: "1f9AbC-0001Xy-Q1", tls: "true", tlsv: "TLSv1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384", time: "2018-04-21T07:01:32Z"}},

		// --- Sendmail ---
		{"sendmail ident@rdns, authenticated bits", // regression: "ident@rdns" not split
			"from laptop.corp.example (jan@dsl-203-0-113-9.isp.example [203.0.113.9]) (authenticated bits=0) by mail.sendmail.example (8.17.1/8.17.1) with ESMTPSA id 40EA0A1b012345 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <anna@recipient.example>; Tue, 14 Jan 2025 11:00:00 +0100",
			wantHop{from: "laptop.corp.example", rdns: "dsl-203-0-113-9.isp.example", ip: "203.0.113.9", by: "mail.sendmail.example", with: "ESMTPSA", id: "40EA0A1b012345", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", auth: true, time: "2025-01-14T10:00:00Z"}},
		{"sendmail may be forged, named zone", // regression: "EST" read as +0000
			"from relay.sender.example (relay.sender.example [198.51.100.4] (may be forged)) by mail.sendmail.example (8.15.2/8.15.2) with ESMTP id w3L3Z1aB004321; Sat, 21 Apr 2018 01:15:00 EST",
			wantHop{from: "relay.sender.example", rdns: "relay.sender.example", ip: "198.51.100.4", by: "mail.sendmail.example", with: "ESMTP", id: "w3L3Z1aB004321", tls: "false", time: "2018-04-21T06:15:00Z"}},

		// --- qmail / qpsmtpd ---
		{"qmail unknown (HELO) (ident@ip)", // regression: "unknown" taken as the HELO name
			"from unknown (HELO mail.sender.example) (jan@198.51.100.7) by mx.qmail.example with SMTP; 21 Apr 2018 03:01:32 -0000",
			wantHop{from: "mail.sender.example", ip: "198.51.100.7", by: "mx.qmail.example", with: "SMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},
		{"qmail TLS patch encrypted", // regression: read as plaintext
			"from mta.sender.example (HELO mail.sender.example) (198.51.100.7) by mx.qmail.example with (ECDHE-RSA-AES256-GCM-SHA384 encrypted) SMTP; 21 Apr 2018 03:01:32 -0000",
			wantHop{from: "mail.sender.example", rdns: "mta.sender.example", ip: "198.51.100.7", by: "mx.qmail.example", with: "SMTP", tls: "true", cipher: "ECDHE-RSA-AES256-GCM-SHA384", time: "2018-04-21T03:01:32Z"}},
		{"qpsmtpd encrypted ESMTPSA",
			"from mta.sender.example (HELO mail.sender.example) (198.51.100.7) by smtp.qpsmtpd.example (qpsmtpd/0.96) with (TLS_AES_256_GCM_SHA384 encrypted) ESMTPSA; Sat, 21 Apr 2018 05:01:32 +0200",
			wantHop{from: "mail.sender.example", rdns: "mta.sender.example", ip: "198.51.100.7", by: "smtp.qpsmtpd.example", with: "ESMTPSA", tls: "true", cipher: "TLS_AES_256_GCM_SHA384", auth: true, time: "2018-04-21T03:01:32Z"}},
		{"qmail invoked from network", // no from clause: the host's own record
			"(qmail 12345 invoked from network); 21 Apr 2018 03:01:32 -0000",
			wantHop{tls: "null", local: true, time: "2018-04-21T03:01:32Z"}},

		// --- Gmail ---
		{"gmail SMTPS Google Transport Security, PST comment",
			"from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a640c23a62f3a-a8d2fe5e19bsor123456766b.5.2025.01.14.01.15.02 for <anna@gmail.example> (Google Transport Security); Tue, 14 Jan 2025 01:15:02 -0800 (PST)",
			wantHop{from: "mail-sor-f41.google.com", rdns: "mail-sor-f41.google.com", ip: "209.85.220.41", by: "mx.google.com", with: "SMTPS", id: "a640c23a62f3a-a8d2fe5e19bsor123456766b.5.2025.01.14.01.15.02", forr: "anna@gmail.example", tls: "true", time: "2025-01-14T09:15:02Z"}},
		{"gmail internal first hop, PDT name only", // regression: "PDT" read as +0000
			"by 2002:a05:6a10:9e4c:b0:4f2:1a3b:5c6d with SMTP id n12csp123456pxb; Sat, 21 Apr 2018 01:15:02 PDT",
			wantHop{by: "2002:a05:6a10:9e4c:b0:4f2:1a3b:5c6d", with: "SMTP", id: "n12csp123456pxb", tls: "false", local: true, time: "2018-04-21T08:15:02Z"}},
		{"gmail ESMTPSA submission",
			"from [192.168.1.20] ([203.0.113.9]) by smtp.gmail.com with ESMTPSA id 5b1f17b1804b1-43a1b2c3d4esm12345675e9.1.2025.01.14.01.15.00 for <anna@recipient.example> (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Tue, 14 Jan 2025 01:15:00 -0800 (PST)",
			wantHop{from: "[192.168.1.20]", ip: "203.0.113.9", by: "smtp.gmail.com", with: "ESMTPSA", id: "5b1f17b1804b1-43a1b2c3d4esm12345675e9.1.2025.01.14.01.15.00", forr: "anna@recipient.example", tls: "true", tlsv: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", auth: true, time: "2025-01-14T09:15:00Z"}},

		// --- Cisco IronPort (AsyncOS) ---
		{"ironport ESMTP/TLS/cipher", // regression: read as plaintext
			"from mail.sender.example ([192.0.2.44]) by esa3.recipient.iphmx.example with ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384; 21 Apr 2018 03:01:40 +0000",
			wantHop{from: "mail.sender.example", rdns: "mail.sender.example", ip: "192.0.2.44", by: "esa3.recipient.iphmx.example", with: "ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384", tls: "true", cipher: "ECDHE-RSA-AES256-GCM-SHA384", time: "2018-04-21T03:01:40Z"}},
		{"ironport unknown (HELO) ([ip]) plaintext",
			"from unknown (HELO mta.sender.example) ([192.0.2.45]) by esa3.recipient.iphmx.example with ESMTP; 21 Apr 2018 03:01:41 +0000",
			wantHop{from: "mta.sender.example", ip: "192.0.2.45", by: "esa3.recipient.iphmx.example", with: "ESMTP", tls: "false", time: "2018-04-21T03:01:41Z"}},

		// --- Mimecast ---
		{"mimecast (Using TLS)",
			"from mail-db5eur03lp2051.outbound.protection.outlook.com (mail-db5eur03lp2051.outbound.protection.outlook.com [198.51.100.51]) (Using TLS) by relay.mimecast.example with ESMTP id mimecast-mta-7-a1B2c3D4e5F6g7H8-1; Tue, 14 Jan 2025 13:09:06 +0000",
			wantHop{from: "mail-db5eur03lp2051.outbound.protection.outlook.com", rdns: "mail-db5eur03lp2051.outbound.protection.outlook.com", ip: "198.51.100.51", by: "relay.mimecast.example", with: "ESMTP", id: "mimecast-mta-7-a1B2c3D4e5F6g7H8-1", tls: "true", time: "2025-01-14T13:09:06Z"}},

		// --- CommuniGate Pro ---
		{"communigate [ip] (HELO)",
			"from [192.0.2.61] (HELO mail.sender.example) by mail.cgp.example (CommuniGate Pro SMTP 6.3.7) with ESMTPS id 4412345 for anna@cgp.example; Sat, 21 Apr 2018 05:01:32 +0200",
			wantHop{from: "mail.sender.example", ip: "192.0.2.61", by: "mail.cgp.example", with: "ESMTPS", id: "4412345", forr: "anna@cgp.example", tls: "true", time: "2018-04-21T03:01:32Z"}},

		// --- dates ---
		{"sendgrid date without ';'", // regression: time not parsed
			"by filter0123p1mdw1.sendgrid.example with SMTP id filter0123p1mdw1-12345-5ADA8DB6-21 2018-04-21 00:54:14.560837614 +0000 UTC",
			wantHop{by: "filter0123p1mdw1.sendgrid.example", with: "SMTP", id: "filter0123p1mdw1-12345-5ADA8DB6-21", tls: "false", local: true, time: "2018-04-21T00:54:14.560837614Z"}},
		{"full weekday name", // regression: time not parsed
			"from a.sender.example (a.sender.example [192.0.2.1]) by b.example with ESMTPS id X1; Saturday, 21 Apr 2018 03:01:32 +0000",
			wantHop{from: "a.sender.example", rdns: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "ESMTPS", id: "X1", tls: "true", time: "2018-04-21T03:01:32Z"}},
		{"month first, no zone", // regression: time not parsed
			"from a.sender.example ([192.0.2.1]) by b.example with ESMTP id X2; Apr 21 2018 03:01:32",
			wantHop{from: "a.sender.example", rdns: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "ESMTP", id: "X2", tls: "false", time: "2018-04-21T03:01:32Z", zoneUnknown: true}},
		{"US date with PM", // regression: time not parsed
			"from a.sender.example (192.0.2.1) by b.example with SMTP; 4/20/2018 11:01:32 PM -0500",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "SMTP", tls: "false", time: "2018-04-21T04:01:32Z"}},
		{"military zone letter", // RFC 5322 §4.3: treat as -0000, offset unknown
			"from a.sender.example (192.0.2.1) by b.example with SMTP; Sat, 21 Apr 2018 03:01:32 Q",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "SMTP", tls: "false", time: "2018-04-21T03:01:32Z", zoneUnknown: true}},
		{"obsolete zone UT and two-digit year",
			"from a.sender.example (192.0.2.1) by b.example with SMTP; Sat, 21 Apr 18 03:01:32 UT",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "SMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},

		// --- address forms ---
		{"ip:port without brackets",
			"from a.sender.example (192.0.2.1:2525) by b.example with ESMTP; Sat, 21 Apr 2018 03:01:32 +0000",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "ESMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},
		{"ip.port (ident style)",
			"from a.sender.example (192.0.2.1.2525) by b.example with ESMTP; Sat, 21 Apr 2018 03:01:32 +0000",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "ESMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},
		{"from host [ip] without parentheses",
			"from a.sender.example [192.0.2.1] by b.example with ESMTP; Sat, 21 Apr 2018 03:01:32 +0000",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "b.example", with: "ESMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},
		{"[IPv6:…] literal",
			"from [IPv6:2001:db8::25] (mta.sender.example [IPv6:2001:db8::25]) by b.example with ESMTPS; Sat, 21 Apr 2018 03:01:32 +0000",
			wantHop{from: "[IPv6:2001:db8::25]", rdns: "mta.sender.example", ip: "2001:db8::25", by: "b.example", with: "ESMTPS", tls: "true", time: "2018-04-21T03:01:32Z"}},

		// --- junk ---
		{"NUL in host names, trailing comma, by user@host", // regression: accepted as host names
			"from evil\x00.example (evil.example [192.0.2.66]) by root@mx.example, with ESMTP; Sat, 21 Apr 2018 03:01:32 +0000",
			wantHop{rdns: "evil.example", ip: "192.0.2.66", with: "ESMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},
		{"trailing comma on a by host",
			"from a.sender.example (192.0.2.1) by mx.example, with ESMTP; Sat, 21 Apr 2018 03:01:32 +0000",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "mx.example", with: "ESMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},
		{"not encrypted is not TLS",
			"from a.sender.example (192.0.2.1) by mx.example with (not encrypted) SMTP; Sat, 21 Apr 2018 03:01:32 +0000",
			wantHop{from: "a.sender.example", ip: "192.0.2.1", by: "mx.example", with: "SMTP", tls: "false", time: "2018-04-21T03:01:32Z"}},
	}
	for _, c := range cases {
		checkHop(t, c.name, parseReceived(c.raw), c.want)
	}
}

func TestParseDateForms(t *testing.T) {
	cases := []struct {
		in        string
		want      string // RFC 3339 UTC, "" = must fail
		zoneKnown bool
	}{
		{"Tue, 14 Jan 2025 01:15:02 -0800 (PST)", "2025-01-14T09:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 PST", "2025-01-14T09:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 EDT", "2025-01-14T05:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 CST", "2025-01-14T07:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 MDT", "2025-01-14T07:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 GMT", "2025-01-14T01:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 Z", "2025-01-14T01:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 A", "2025-01-14T01:15:02Z", false},
		{"Tue, 14 Jan 2025 01:15:02 CEST", "2025-01-13T23:15:02Z", true},
		{"Tue, 14 Jan 2025 01:15:02 XYZT", "2025-01-14T01:15:02Z", false},
		{"14 Jan 2025 01:15 +0100", "2025-01-14T00:15:00Z", true},
		{"Tue Jan 14 01:15:02 2025", "2025-01-14T01:15:02Z", false},
		{"2025-01-14T01:15:02+01:00", "2025-01-14T00:15:02Z", true},
		{"Sat, 21 Apr 2018 00:54:14.462 +0000 (UTC)", "2018-04-21T00:54:14.462Z", true},
		{"4/20/2018 11:01:32 PM", "2018-04-20T23:01:32Z", false},
		{"4/20/2018 12:01:32 AM +0000", "2018-04-20T00:01:32Z", true},
		{"20/4/2018 11:01:32 +0000", "2018-04-20T11:01:32Z", true},
		{"Tue, 31 Apr 2025 01:15:02 +0000", "", false},
		{"Tue, 14 Foo 2025 99:99:99 +9999", "", false},
		{"yesterday", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		tm, zk, ok := parseDate(c.in)
		got := ""
		if ok {
			got = tm.UTC().Format(time.RFC3339Nano)
		}
		if got != c.want || (ok && zk != c.zoneKnown) {
			t.Errorf("parseDate(%q) = %q zoneKnown=%v ok=%v, want %q zoneKnown=%v", c.in, got, zk, ok, c.want, c.zoneKnown)
		}
	}
}

// A PST-stamped hop next to a numeric one: read as +0000 before, that was
// an eight-hour "slow hop".
func TestAnalyzeNamedZoneNoFalseSlowHop(t *testing.T) {
	in := "Received: from b.example (b.example [192.0.2.2]) by c.example with ESMTPS; Tue, 14 Jan 2025 01:00:10 PST\n" +
		"Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS; Tue, 14 Jan 2025 09:00:05 +0000\n" +
		"Date: Tue, 14 Jan 2025 09:00:00 +0000\n\n"
	a, err := Analyze(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hasCode(a.Verdict, CodeSlowHop); ok {
		t.Errorf("false slow hop: %v", a.Verdict.Reasons)
	}
	if d := a.Hops[1].DelaySeconds; d == nil || *d != 5 {
		t.Errorf("delay = %v, want 5", d)
	}
}

// A military zone letter must not produce a slow-hop or skew finding: its
// offset is unknown (RFC 5322 §4.3).
func TestAnalyzeMilitaryZoneNotJudged(t *testing.T) {
	in := "Received: from b.example (b.example [192.0.2.2]) by c.example with ESMTPS; Tue, 14 Jan 2025 16:00:10 Q\n" +
		"Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS; Tue, 14 Jan 2025 09:00:05 +0000\n\n"
	a, err := Analyze(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hasCode(a.Verdict, CodeSlowHop); ok {
		t.Errorf("slow hop judged on an unknown zone: %v", a.Verdict.Reasons)
	}
	if r, ok := hasCode(a.Verdict, CodeZoneUnknown); !ok || r.Hop != 2 {
		t.Errorf("reasons = %v", a.Verdict.Reasons)
	}
}

// A date without ';' used to leave the hop untimed, so the next hop's delay
// spanned two hops.
func TestAnalyzeDateWithoutSemicolonKeepsDelaysPerHop(t *testing.T) {
	in := "Received: from filter.sendgrid.example (filter.sendgrid.example [192.0.2.9]) by mx.recipient.example with ESMTPS id R; Sat, 21 Apr 2018 00:54:20 +0000\n" +
		"Received: by filter.sendgrid.example with SMTP id filter-1 2018-04-21 00:54:14.5 +0000 UTC\n" +
		"Date: Sat, 21 Apr 2018 00:54:10 +0000\n\n"
	a, err := Analyze(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := a.Hops[0].DelaySeconds; d == nil || *d != 4.5 {
		t.Errorf("hop 1 delay = %v, want 4.5", d)
	}
	if d := a.Hops[1].DelaySeconds; d == nil || *d != 5.5 {
		t.Errorf("hop 2 delay = %v, want 5.5", d)
	}
}

// A plaintext hop from a client calling itself localhost from a routable
// address is reported; before, it counted as local and was hidden.
func TestAnalyzeLocalhostHELOFromRemoteIsReported(t *testing.T) {
	in := "Received: from localhost (dsl.isp.example [203.0.113.9]) by mx.example.org (Postfix) with ESMTP id B; Tue, 14 Jan 2025 10:00:03 +0000\n\n"
	a, err := Analyze(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := hasCode(a.Verdict, CodeHopNoTLS); !ok || r.Hop != 1 {
		t.Errorf("plaintext hop from a remote 'localhost' not reported: %v", a.Verdict.Reasons)
	}
}

// Exchange 2010/2013 "(TLS)" on the hop into the provider: secure, not the
// STARTTLS-stripping failure.
func TestAnalyzeExchangeTLSIntoProviderIsSecure(t *testing.T) {
	in := "Received: from smtp-out.eu.codetwo.online (smtp-out.eu.codetwo.online [192.0.2.81]) by mx.recipient.example (Postfix) with ESMTPS id R; Tue, 14 Jan 2025 10:00:09 +0000\n" +
		"Received: from EX10HUB.corp.example (10.1.0.20) by smtp-in.eu.codetwo.online (10.2.0.9) with Microsoft SMTP Server (TLS) id 14.3.498.0; Tue, 14 Jan 2025 10:00:05 +0000\n\n"
	a, err := Analyze(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := secureString(a.Verdict.Secure); got != "true" {
		t.Errorf("secure = %s: %v", got, a.Verdict.Reasons)
	}
	if _, ok := hasCode(a.Verdict, CodeProviderNoTLS); ok {
		t.Errorf("false provider_hop_without_tls: %v", a.Verdict.Reasons)
	}
}

// The cap keeps the newest hops, and now says so.
func TestAnalyzeHopCapMessage(t *testing.T) {
	var b strings.Builder
	for i := 0; i < maxHops+20; i++ {
		b.WriteString("Received: from a.example (a.example [192.0.2.1]) by b" + strings.Repeat("x", i%7) + ".example with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\n")
	}
	b.WriteString("\n")
	a, err := Analyze(strings.NewReader(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := hasCode(a.Verdict, CodeTooManyHops)
	if !ok || !strings.Contains(r.Message, "newest 300") || !strings.Contains(r.Message, "oldest 20 were dropped") || strings.Contains(r.Message, "only the oldest") {
		t.Errorf("hop cap reason = %+v", r)
	}
	if len(a.Hops) != maxHops {
		t.Errorf("%d hops kept", len(a.Hops))
	}
}

// tokenizeByRunes is the first, rune-by-rune tokenizer: the reference the
// allocation-free tokenize must agree with.
func tokenizeByRunes(s string) []token {
	var toks []token
	var b strings.Builder
	depth := 0
	flush := func(comment bool) {
		if b.Len() > 0 {
			toks = append(toks, token{text: b.String(), comment: comment})
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(':
			if depth == 0 {
				flush(false)
			} else {
				b.WriteRune(r)
			}
			depth++
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				flush(true)
			} else {
				b.WriteRune(r)
			}
		case depth == 0 && (r == ' ' || r == '\t' || r == '\r' || r == '\n'):
			flush(false)
		default:
			b.WriteRune(r)
		}
	}
	flush(depth > 0)
	return toks
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"from a (b [c]) by d", "((((x", "x (a (b) c) y", "()", " ( ) ", "a\t(b\nc)d", ")(", "é (ü) ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the reference rewrites invalid bytes as U+FFFD
		}
		got, want := tokenize(s), tokenizeByRunes(s)
		if len(got) != len(want) {
			t.Fatalf("%q: %v, want %v", s, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: %v, want %v", s, got, want)
			}
		}
	})
}
