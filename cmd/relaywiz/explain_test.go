package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// referenceReplies is every reply in section 5 ("SMTP reply codes and hints
// to show") of shared/reference/smtp-checks-and-anchors.md, written as
// servers send them, with a phrase only the intended explanation contains.
var referenceReplies = []struct{ reply, want string }{
	{"530 5.7.0 Must issue a STARTTLS command first", "STARTTLS"},
	{"530 5.7.0 Authentication required", "AuthenticationCredential"},
	{"454 4.7.0 TLS not available due to local problem", "retries"},
	{"534 5.7.9 Authentication mechanism is too weak", "too weak"},
	{"538 5.7.11 Encryption required for requested authentication mechanism", "only after starting TLS"},
	{"535 5.7.8 Error: authentication failed", "UPN"},
	{"535 5.7.3 Authentication unsuccessful", "Security Defaults"},
	{"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant", "three gates"},
	{"530 5.7.57 Client not authenticated to send mail", "without a successful AUTH"},
	{"550 5.7.30 Basic authentication is not supported for Client Submission", "XOAUTH2"},
	{"451 5.7.3 Require basic authentication", "AUTH LOGIN"},
	{"451 5.7.3 STARTTLS is required to send mail", "TlsCertificateName"},
	{"450 4.4.317 Cannot connect to remote server", "TlsCertificateName"},
	{"550 5.7.1 Unable to relay", "ms-Exch-SMTP-Accept-Any-Recipient"},
	{"554 5.7.1 Relay access denied", "ms-Exch-SMTP-Accept-Any-Recipient"},
	{"550 5.7.64 TenantAttribution; Relay Access Denied", "ATTR36"},
	{"552 5.3.4 Message size exceeds fixed maximum message size", "MaxMessageSize"},
	{"550 5.3.4 SMTPSEND.OverAdvertisedSize", "converted"},
	{"421 4.4.2 Timeout waiting for data from client", "timeouts"},
}

func TestExplainCoversReferenceReplies(t *testing.T) {
	for _, r := range referenceReplies {
		t.Run(r.reply, func(t *testing.T) {
			// Unquoted words, as typed in a shell.
			a, out, errb := troubleTestApp(nil, nil)
			code := run(context.Background(), a, append([]string{"explain"}, strings.Fields(r.reply)...))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb)
			}
			got := out.String()
			codeLine := strings.Join(strings.Fields(r.reply)[:2], " ")
			for _, want := range []string{codeLine, "Meaning:", "Likely cause:", "Fix:", r.want} {
				if !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
					t.Errorf("output lacks %q:\n%s", want, got)
				}
			}
			temporary := strings.Contains(got, "temporary")
			if want := r.reply[0] == '4'; temporary != want {
				t.Errorf("temporary marker %v, want %v:\n%s", temporary, want, got)
			}
		})
	}
}

func TestExplainReadsNDRFromStdin(t *testing.T) {
	ndr := `Delivery has failed to these recipients or groups:
anna@recipient.example
Diagnostic information for administrators:
Generating server: EX01.corp.example.org
Remote Server returned '550 5.7.64 TenantAttribution; Relay Access Denied [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]'
`
	a, out, errb := troubleTestApp(strings.NewReader(ndr), nil)
	if code := run(context.Background(), a, []string{"explain"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), "550 5.7.64") || !strings.Contains(out.String(), "TenantAttribution") {
		t.Errorf("NDR not explained:\n%s", out)
	}
}

func TestExplainJSON(t *testing.T) {
	a, out, _ := troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"explain", "--json", "SMTP error 535: 5.7.8 bad credentials"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Code      int    `json:"code"`
		Enhanced  string `json:"enhanced"`
		Meaning   string `json:"meaning"`
		Cause     string `json:"cause"`
		Fix       string `json:"fix"`
		Temporary bool   `json:"temporary"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Code != 535 || doc.Enhanced != "5.7.8" || doc.Temporary || doc.Fix == "" || doc.Cause == "" {
		t.Errorf("got %+v", doc)
	}
}

func TestExplainUnknownAndMissing(t *testing.T) {
	a, out, errb := troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"explain", "the", "mail", "is", "gone"}); code != exitFailure {
		t.Errorf("unknown text: exit %d", code)
	}
	if !strings.Contains(errb.String(), "no SMTP reply code") || out.Len() != 0 {
		t.Errorf("stderr %q stdout %q", errb, out)
	}
	a, _, errb = troubleTestApp(nil, nil)
	a.stdinTTY = true // nothing piped: do not wait for input
	if code := run(context.Background(), a, []string{"explain"}); code != exitUsage || !strings.Contains(errb.String(), "CODE-OR-TEXT") {
		t.Errorf("missing text: exit %d, %q", code, errb)
	}
}

func TestExplainColour(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		env := map[string]string{}
		if noColor {
			env["NO_COLOR"] = "1"
		}
		a, out, _ := troubleTestApp(nil, env)
		a.stdoutTTY = true
		run(context.Background(), a, []string{"explain", "535", "5.7.8"})
		if has := strings.Contains(out.String(), "\x1b["); has == noColor {
			t.Errorf("NO_COLOR=%v: escapes=%v", noColor, has)
		}
	}
}

func TestExplainWrappedReplyInnermostFirst(t *testing.T) {
	line := `451 4.4.0 Primary target IP address responded with: "451 5.7.3 STARTTLS is required to send mail."`
	a, out, errb := troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"explain", line}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	got := out.String()
	inner := strings.Index(got, "Innermost reply (the real reason): 451 5.7.3 STARTTLS")
	wrap := strings.Index(got, "Wrapped by: 451 4.4.0 Primary target")
	if inner < 0 || wrap < 0 || inner > wrap {
		t.Fatalf("want the inner reply first, then the wrapper:\n%s", got)
	}
	if !strings.Contains(got[inner:wrap], "TlsCertificateName") || !strings.Contains(got[wrap:], "Retry-Queue") {
		t.Errorf("each layer needs its own explanation:\n%s", got)
	}

	a, out, _ = troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"explain", "--json", line}); code != exitOK {
		t.Fatalf("json exit %d", code)
	}
	var doc struct {
		Enhanced string `json:"enhanced"`
		Layers   []struct {
			Text     string `json:"text"`
			Enhanced string `json:"enhanced"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Enhanced != "5.7.3" || len(doc.Layers) != 2 || doc.Layers[1].Enhanced != "4.4.0" {
		t.Errorf("json: %+v", doc)
	}
}
