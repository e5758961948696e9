package checks

import (
	"strings"
	"testing"
)

// One line per code of the issue, written the way Exchange Server queues and
// Exchange Online NDRs / message traces show them (our own lines, built from
// the reference's wording). want is a phrase only the intended row contains,
// so a fallback to the RFC text fails the test.
var ndrLines = []struct {
	line     string
	enhanced string // of the innermost reply
	want     string
}{
	{`421 4.4.2 Connection dropped due to SocketError`, "4.4.2", "idle timeout"},
	{`550 4.4.7 QUEUE.Expired; message expired [Hostname=AM0PR01MB1234.eurprd01.prod.outlook.com]`, "4.4.7", "MessageExpirationTimeout"},
	{`450 4.4.316 Connection refused [Message=Socket error code 10061] [LastAttemptedServerName=smtp.zivver.com] [LastAttemptedIP=192.0.2.10:25]`, "4.4.316", "always deliver on port 25"},
	{`450 4.4.317 Cannot connect to remote server [Message=UnknownError] [LastAttemptedServerName=smtp.zivver.com]`, "4.4.317", "TlsCertificateName"},
	{`451 4.4.397 Error communicating with target host.`, "4.4.397", `follows "->"`},
	{`454 4.7.5 Certificate validation failure`, "4.7.5", "BasicAuthRequireTLS"},
	{`451 4.7.500 Server busy. Please try again later from [192.0.2.44]. (AS761)`, "4.7.500", "throttling"},
	{`451 4.7.650 Access denied, please try again later`, "4.7.650", "throttling"},
	{`550 5.1.8 Access denied, bad outbound sender. AS(42004)`, "5.1.8", "Restricted entities"},
	{`550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup`, "5.1.10", "placeholder domain"},
	{`554 5.2.2 Submission quota exceeded`, "5.2.2", "rate limit"},
	{`550 5.3.4 SMTPSEND.OverAdvertisedSize; Message size exceeds fixed maximum size`, "5.3.4", "converted"},
	{`550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB8EUR05FT012.eop-eur05.prod.protection.outlook.com]`, "5.4.1", "directory-based edge blocking"},
	{`554 5.4.14 Hop count exceeded - possible mail loop ATTR34 [AM6PR01MB5555.eurprd01.prod.outlook.com]`, "5.4.14", "header exception"},
	{`554 5.4.6 Routing loop detected -- too many hops`, "5.4.6", "passing the message to each other"},
	{`550 5.4.300 Message expired -> 451 4.4.316 Connection refused`, "4.4.316", "always deliver on port 25"},
	{`550 5.7.1 Unable to relay for anna@recipient.example`, "5.7.1", "ms-Exch-SMTP-Accept-Any-Recipient"},
	{`550 5.7.23 The message was rejected because of Sender Policy Framework violation`, "5.7.23", "spf.protection.outlook.com"},
	{`550 5.7.26 Unauthenticated email from contoso.example is not accepted due to domain's DMARC policy`, "5.7.26", "DKIM"},
	{`530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful`, "5.7.139", "three gates"},
	{`550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.outlook.com]`, "5.7.64", "ATTR36"},
	{`550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required`, "5.7.133", "RequireSenderAuthenticationEnabled"},
	{`535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. SmtpClientAuthentication is disabled for the Tenant`, "5.7.139", "three gates"},
	{`550 5.7.520 Access denied, Your organization does not allow external forwarding. AS(7555)`, "5.7.520", "outbound anti-spam policy"},
	{`550 5.7.606 Access denied, banned sending IP [192.0.2.77]`, "5.7.606", "delist"},
	{`550 5.7.649 Access denied, banned sending IP [192.0.2.78]`, "5.7.649", "delist"},
	{`550 5.7.703 Your message can't be delivered because messages to bob@blocked.example are blocked by your organization using Tenant Allow Block List`, "5.7.703", "Tenant Allow/Block List"},
	{`550 5.7.705 Access denied, tenant has exceeded threshold`, "5.7.705", "compromised account"},
	{`550 5.7.708 Access denied, traffic not accepted from this IP`, "5.7.708", "high-risk pool"},
	{`550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains`, "5.7.750", "accepted domain"},
	{`550 5.7.720 Access denied, tenant blocked`, "5.7.720", "tenant-wide limit"},
	// Exchange Server queue wrappers: the inner reply is explained first.
	{`451 4.4.0 Primary target IP address responded with: "451 5.7.3 STARTTLS is required to send mail." Attempted failover to alternate host, but that did not succeed.`, "5.7.3", "TlsCertificateName"},
	{`451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure."`, "4.7.0", "credentials down"},
	{`451 4.4.0 DNS query failed. The error was: DNS query failed with error ErrorRetry`, "4.4.0", "Resolve-DnsName"},
	{`441 4.4.1 Error encountered while communicating with primary target IP address: "Failed to connect. Winsock error code: 10060, Win32 error code: 10060." Attempted failover to alternate host, but that did not succeed.`, "4.4.1", "Set-SendConnector -Port"},
	{`LED=451 4.4.397 Error communicating with target host. -> 421 4.4.2 Connection dropped due to SocketError`, "4.4.2", "idle timeout"},
	{`450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required to send mail] [LastAttemptedServerName=smtp.zivver.com] [LastAttemptedIP=192.0.2.10:25]`, "5.7.3", "TlsCertificateName"},
}

func TestNDRLinesExplained(t *testing.T) {
	for _, c := range ndrLines {
		t.Run(c.line, func(t *testing.T) {
			info, ok := LookupReply(c.line)
			if !ok {
				t.Fatal("no match")
			}
			if info.Enhanced != c.enhanced {
				t.Errorf("innermost enhanced code %q, want %q", info.Enhanced, c.enhanced)
			}
			all := info.Meaning + " " + info.Cause + " " + info.Fix
			if !strings.Contains(all, c.want) {
				t.Errorf("explanation lacks %q: %+v", c.want, info)
			}
			if info.Meaning == "" || info.Cause == "" || info.Fix == "" {
				t.Errorf("meaning, cause and fix must all be given: %+v", info)
			}
			if strings.HasPrefix(info.Cause, "An address in the envelope") || strings.Contains(all, "Unlisted code") {
				t.Errorf("generic RFC text for a documented code: %+v", info)
			}
		})
	}
}

func TestExplainLayersInnermostFirst(t *testing.T) {
	cases := []struct {
		line  string
		texts []string // the layers' text, innermost first
		codes []string
	}{
		{`451 4.4.0 Primary target IP address responded with: "451 5.7.3 STARTTLS is required to send mail."`,
			[]string{`451 5.7.3 STARTTLS is required to send mail.`, `451 4.4.0 Primary target IP address responded with`},
			[]string{"5.7.3", "4.4.0"}},
		{`451 4.4.397 Error communicating with target host. -> 421 4.4.2 Connection dropped due to SocketError`,
			[]string{`421 4.4.2 Connection dropped due to SocketError`, `451 4.4.397 Error communicating with target host.`},
			[]string{"4.4.2", "4.4.397"}},
		{`450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required to send mail]`,
			[]string{`451 5.7.3 STARTTLS is required to send mail]`, `450 4.4.317 Cannot connect to remote server`},
			[]string{"5.7.3", "4.4.317"}},
		// an inner reply without an enhanced code still counts as a layer
		{`451 4.4.0 Primary target IP address responded with: "421 Too many connections from your IP"`,
			[]string{`421 Too many connections from your IP`, `451 4.4.0 Primary target IP address responded with`},
			[]string{"", "4.4.0"}},
		// a positive reply quoted inside a failure is why it failed (out of
		// turn), not the reason to explain: "This is not an error" would
		// tell the admin the opposite
		{`451 4.5.0 relaywiz: upstream smtp.example.net:587 answered DATA with an unexpected "250 2.0.0 Ok: queued as NOTHING"; the message was not delivered, retry`,
			[]string{`451 4.5.0 relaywiz: upstream smtp.example.net:587 answered DATA with an unexpected "250 2.0.0 Ok: queued as NOTHING"; the message was not delivered, retry`},
			[]string{"4.5.0"}},
		// one reply, an IP address and a version number in it: one layer
		{`554 5.7.1 Relay access denied for 10.4.5.6 (TLS 1.2.3)`, []string{`554 5.7.1 Relay access denied for 10.4.5.6 (TLS 1.2.3)`}, []string{"5.7.1"}},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			layers := ExplainLayers(c.line)
			if len(layers) != len(c.texts) {
				t.Fatalf("%d layers, want %d: %+v", len(layers), len(c.texts), layers)
			}
			for i, l := range layers {
				if l.Text != c.texts[i] {
					t.Errorf("layer %d text %q, want %q", i, l.Text, c.texts[i])
				}
				if l.Info.Enhanced != c.codes[i] {
					t.Errorf("layer %d code %q, want %q", i, l.Info.Enhanced, c.codes[i])
				}
			}
		})
	}
}

func TestEnhancedRangeRows(t *testing.T) {
	for _, c := range []struct {
		row, enh string
		want     bool
	}{
		{"5.7.606-649", "5.7.606", true}, {"5.7.606-649", "5.7.649", true}, {"5.7.606-649", "5.7.650", false},
		{"5.7.606-649", "5.7.60", false}, {"4.7.500-699", "5.7.500", false}, {"5.7.1", "5.7.1", true},
	} {
		if got := replyEnhancedMatches(c.row, c.enh); got != c.want {
			t.Errorf("replyEnhancedMatches(%q, %q) = %v", c.row, c.enh, got)
		}
	}
}
