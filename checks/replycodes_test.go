package checks

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// replyCase pins what the catalogue must say about one reply: the parsed
// codes and a word that only the intended (specific) row contains, so a
// fallback to a generic row makes the test fail.
type replyCase struct {
	in        string
	code      int
	enhanced  string
	temporary bool
	want      string // substring of Meaning+Cause+Fix (case-insensitive)
}

// Every reply of section 5 in shared/reference/smtp-checks-and-anchors.md,
// plus the extra codes the brief asks for.
var replyCases = []replyCase{
	{"530 5.7.0 Must issue a STARTTLS command first", 530, "5.7.0", false, "strip"},
	{"530 5.7.0 Authentication required", 530, "5.7.0", false, "AuthenticationCredential"},
	{"454 4.7.0 TLS not available due to local problem", 454, "4.7.0", true, "plaintext"},
	{"454 4.7.0 Temporary authentication failure", 454, "4.7.0", true, "credentials down"},
	{"534 5.7.9 Authentication mechanism is too weak", 534, "5.7.9", false, "too weak"},
	{"538 5.7.11 Encryption required for requested authentication mechanism", 538, "5.7.11", false, "only after starting TLS"},
	{"535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", 535, "5.7.8", false, "UPN"},
	{"535 5.7.3 Authentication unsuccessful", 535, "5.7.3", false, "Security Defaults"},
	{"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", 535, "5.7.139", false, "three gates"},
	{"530 5.7.57 Client not authenticated to send mail", 530, "5.7.57", false, "without a successful AUTH"},
	{"550 5.7.30 Basic authentication is not supported for Client Submission", 550, "5.7.30", false, "XOAUTH2"},
	{"451 5.7.3 Require basic authentication", 451, "5.7.3", true, "AUTH LOGIN"},
	{"451 5.7.3 STARTTLS is required to send mail", 451, "5.7.3", true, "TlsCertificateName"},
	{"450 4.4.317 Cannot connect to remote server", 450, "4.4.317", true, "TlsCertificateName"},
	{"550 5.7.1 Unable to relay", 550, "5.7.1", false, "ms-Exch-SMTP-Accept-Any-Recipient"},
	{"554 5.7.1 <bob@example.org>: Relay access denied", 554, "5.7.1", false, "ms-Exch-SMTP-Accept-Any-Recipient"},
	{"550 5.7.64 TenantAttribution; Relay Access Denied", 550, "5.7.64", false, "ATTR36"},
	{"552 5.3.4 Message size exceeds fixed maximum message size", 552, "5.3.4", false, "MaxMessageSize"},
	{"550 5.3.4 SMTPSEND.OverAdvertisedSize; message size exceeds fixed maximum size", 550, "5.3.4", false, "converted"},
	{"421 4.4.2 Connection timed out after the final dot", 421, "4.4.2", true, "timeout"},
	{"421 Service not available, closing transmission channel", 421, "", true, "rate-limiting"},
	{"450 4.2.0 Greylisted, please try again later", 450, "4.2.0", true, "greylisting"},
	{"451 4.3.0 Error: queue file write error", 451, "4.3.0", true, "LastError"},
	{"452 4.5.3 Error: too many recipients", 452, "4.5.3", true, "recipients per message"},
	{"501 5.5.4 Syntax: EHLO hostname", 501, "5.5.4", false, "-Fqdn"},
	{"503 5.5.1 Error: MAIL after AUTH", 503, "5.5.1", false, "wrong order"},
	{"504 5.5.4 Unrecognized authentication type", 504, "5.5.4", false, "LOGIN"},
	{"523 5.7.10 Encryption Needed", 523, "5.7.10", false, "587"},
	{"550 5.1.1 <nobody@sink.relaywiz.test>: Recipient address rejected: User unknown", 550, "5.1.1", false, "placeholder"},
	{"554 5.7.1 Message rejected by policy", 554, "5.7.1", false, "allowlist"},
}

func TestReplyLookupCatalogue(t *testing.T) {
	for _, c := range replyCases {
		t.Run(c.in, func(t *testing.T) {
			info, ok := LookupReply(c.in)
			if !ok {
				t.Fatalf("LookupReply(%q) found nothing", c.in)
			}
			if info.Code != c.code || info.Enhanced != c.enhanced {
				t.Errorf("parsed %d %q, want %d %q", info.Code, info.Enhanced, c.code, c.enhanced)
			}
			if info.Temporary != c.temporary {
				t.Errorf("Temporary = %v, want %v", info.Temporary, c.temporary)
			}
			all := strings.ToLower(info.Meaning + " " + info.Cause + " " + info.Fix)
			if !strings.Contains(all, strings.ToLower(c.want)) {
				t.Errorf("explanation lacks %q:\n%+v", c.want, info)
			}
			if info.Meaning == "" || info.Cause == "" || info.Fix == "" {
				t.Errorf("incomplete entry: %+v", info)
			}
		})
	}
}

// The same replies arrive in other shapes: a go-smtp error string, a
// multi-line reply, an Exchange NDR quoting the remote reply, or only the
// enhanced code / a distinctive name.
func TestReplyLookupShapes(t *testing.T) {
	cases := []struct {
		in       string
		code     int
		enhanced string
		want     string
	}{
		{"SMTP error 535: 5.7.8 Error: authentication failed", 535, "5.7.8", "UPN"},
		{"550-5.7.64 TenantAttribution; Relay Access Denied\n550 5.7.64 [AM0PR01MB1234]", 550, "5.7.64", "ATTR36"},
		{"Remote Server returned '550 5.7.64 TenantAttribution; Relay Access Denied [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]'", 550, "5.7.64", "ATTR36"},
		{"#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", 550, "5.1.1", "placeholder"},
		{"5.7.64", 550, "5.7.64", "ATTR36"},
		{"TenantAttribution", 550, "5.7.64", "ATTR36"},
		{"SMTPSEND.OverAdvertisedSize", 550, "5.3.4", "converted"},
		{"5.7.139", 535, "5.7.139", "three gates"},
		// Exchange Online wraps the smart host's reply: the inner one is the reason.
		{"LastError: 450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required to send mail]", 451, "5.7.3", "TlsCertificateName"},
		{"  535 ", 535, "", "relaywiz creds test"},
		{"Remote Server returned '554 Relay access denied'", 554, "5.7.1", "ms-Exch-SMTP-Accept-Any-Recipient"},
		{"Remote Server returned '554 Transaction failed'", 554, "", "Transaction failed"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			info, ok := LookupReply(c.in)
			if !ok {
				t.Fatalf("no match")
			}
			if info.Code != c.code || info.Enhanced != c.enhanced {
				t.Errorf("parsed %d %q, want %d %q", info.Code, info.Enhanced, c.code, c.enhanced)
			}
			all := info.Meaning + " " + info.Cause + " " + info.Fix
			if !strings.Contains(strings.ToLower(all), strings.ToLower(c.want)) {
				t.Errorf("explanation lacks %q: %+v", c.want, info)
			}
		})
	}
}

// Codes without a catalogue row get the RFC 3463 / RFC 5321 meaning.
func TestReplyLookupGenericFallback(t *testing.T) {
	cases := []struct {
		in, want  string
		temporary bool
	}{
		{"550 5.2.2 mailbox full", "Mailbox full", false},
		{"4.4.6", "Routing loop detected", true},
		{"553 5.1.3 bad address", "Bad destination mailbox address syntax", false},
		{"550 5.7.25 no PTR", "Reverse DNS validation failed", false},
		{"250 2.0.0 Ok: queued as 4XyZ", "not an error", false},
		{"5.7.99", "Unlisted code in the security or policy status group", false},
	}
	for _, c := range cases {
		info, ok := LookupReply(c.in)
		if !ok {
			t.Errorf("%q: no match", c.in)
			continue
		}
		if !strings.Contains(info.Meaning+" "+info.Cause, c.want) {
			t.Errorf("%q: got %+v, want %q", c.in, info, c.want)
		}
		if info.Temporary != c.temporary {
			t.Errorf("%q: Temporary=%v", c.in, info.Temporary)
		}
	}
}

func TestReplyLookupRejectsNoise(t *testing.T) {
	for _, in := range []string{"", "hello world", "connection to 10.4.5.6 failed", "version 1.2.3", "took 1999 ms", "5.9.99"} {
		if info, ok := LookupReply(in); ok {
			t.Errorf("LookupReply(%q) = %+v, want no match", in, info)
		}
	}
	// An IP address inside a real reply must not be read as the enhanced code.
	info, ok := LookupReply("554 Client host [10.4.5.6] blocked")
	if !ok || info.Enhanced != "" || info.Code != 554 {
		t.Errorf("IP misread: %+v %v", info, ok)
	}
}

func TestReplyHintFor(t *testing.T) {
	// go-smtp moves the enhanced code out of Message when parsing a reply;
	// HintFor must put it back to find the specific row.
	se := &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 139}, Message: "Authentication unsuccessful"}
	wrapped := fmt.Errorf("auth stage: %w", se)
	if h := HintFor(wrapped); !strings.Contains(h, "three gates") {
		t.Errorf("HintFor(535 5.7.139) = %q", h)
	}
	se2 := &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad"}
	if HintFor(se2) == HintFor(se) {
		t.Error("5.7.8 and 5.7.139 must give different hints")
	}
	// EnhancedCodeNotSet / NoEnhancedCode must not leak "0.0.0" / "-1.-1.-1".
	for _, ec := range []smtp.EnhancedCode{smtp.EnhancedCodeNotSet, smtp.NoEnhancedCode} {
		h := HintFor(&smtp.SMTPError{Code: 421, EnhancedCode: ec, Message: "Service not available"})
		if !strings.Contains(h, "rate-limiting") {
			t.Errorf("HintFor(421, %v) = %q", ec, h)
		}
	}
	if h := HintFor(errors.New("dial tcp: connection refused")); h != "" {
		t.Errorf("HintFor(non-SMTP) = %q, want empty", h)
	}
	if h := HintFor(nil); h != "" {
		t.Errorf("HintFor(nil) = %q", h)
	}
	if h := HintFor(&smtp.SMTPError{Code: 999, Message: "??"}); h != "" {
		t.Errorf("HintFor(999) = %q, want empty", h)
	}
}

func FuzzReplyLookup(f *testing.F) {
	for _, c := range replyCases {
		f.Add(c.in)
	}
	f.Add("5.5.5.5.5.5")
	f.Add("SMTP error 4")
	f.Fuzz(func(t *testing.T, s string) {
		info, ok := LookupReply(s)
		if ok && info.Meaning == "" {
			t.Errorf("ok without meaning for %q", s)
		}
	})
}

func TestReplyTextKeepsEnhancedCode(t *testing.T) {
	err := fmt.Errorf("auth: %w", &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"})
	if got := ReplyText(err); got != "535 5.7.8 Authentication credentials invalid" {
		t.Errorf("ReplyText = %q", got)
	}
	if got := ReplyText(errors.New("dial: refused")); got != "dial: refused" {
		t.Errorf("plain error: %q", got)
	}
}
