package exchange

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/export/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// forms-onprem.json is written the way Windows PowerShell 5.1's
// ConvertTo-Json lays out export.ps1's objects, with every value form the
// contract allows: Local: and plain address spaces, an IP smart host in
// brackets, sizes with the byte count, booleans as true and "True", a
// number as a string, a list of one unrolled to a string, nulls.
func TestParseExportReadsEveryDocumentedForm(t *testing.T) {
	ex, err := ParseExport(readFixture(t, "forms-onprem.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ex.Version != 1 || ex.Platform != OnPremises || ex.Organization != "Contoso" || ex.ExportedAt.IsZero() {
		t.Fatalf("header: %+v", ex)
	}
	o := ex.Org
	if len(o.AcceptedDomains) != 2 || !o.AcceptedDomains[0].Default || o.AcceptedDomains[1].Default || o.AcceptedDomains[1].DomainName != "zivver.org" {
		t.Errorf("accepted domains: %+v", o.AcceptedDomains)
	}
	if c := o.MailContacts[0]; c.ExternalEmailAddress != "SMTP:relay@zivver.org" || c.Alias != "relay" {
		t.Errorf("contact: %+v", c)
	}
	z := o.SendConnectors[0]
	if !reflect.DeepEqual(z.AddressSpaces, []string{"Local:SMTP:zivver.org;1"}) || z.Port != 587 || !z.RequireTLS ||
		!z.IsScopedConnector || z.DNSRoutingEnabled || z.TlsDomain != "smtp.zivver.com" || z.Fqdn != "" {
		t.Errorf("zivver connector: %+v", z)
	}
	if n, ok := ParseSize(z.MaxMessageSize); !ok || n != 52428800 {
		t.Errorf("MaxMessageSize %q read as %d, %v", z.MaxMessageSize, n, ok)
	}
	if as, ok := parseAddressSpace(z.AddressSpaces[0]); !ok || !as.Scoped || as.Domain != "zivver.org" || as.Cost != 1 {
		t.Errorf("address space %q read as %+v", z.AddressSpaces[0], as)
	}
	in := o.SendConnectors[1]
	if !in.Enabled || len(in.SmartHosts) != 0 || !in.DNSRoutingEnabled || in.MaxMessageSize != "Unlimited" {
		t.Errorf("internet connector: %+v", in)
	}
	g := o.SendConnectors[2]
	if g.Enabled || !reflect.DeepEqual(g.SmartHosts, []string{"[192.0.2.10]"}) || !reflect.DeepEqual(g.SourceTransportServers, []string{"EX02"}) ||
		g.RequireTLS || g.IsScopedConnector {
		t.Errorf("gateway connector (nulls must read as the documented defaults): %+v", g)
	}
	if as, _ := parseAddressSpace(g.AddressSpaces[0]); as.Cost != 5 || as.Type != "SMTP" {
		t.Errorf("lower-case smtp: with cost 5 read as %+v", as)
	}

	if len(o.TransportRules) != 2 {
		t.Fatalf("%d rules", len(o.TransportRules))
	}
	r := o.TransportRules[0]
	if r.Priority != 1 || !r.Enabled() || !r.Enforced() || r.RuleErrorAction != "Defer" || r.SenderAddressLocation != "Header" ||
		!strings.HasPrefix(r.Comments, "relaywiz steps") {
		t.Errorf("PAMS rule properties: %+v", r)
	}
	if !reflect.DeepEqual(r.Conditions, Params{"HeaderMatchesMessageHeader": {"zivver-relay"}, "HeaderMatchesPatterns": {"..*"}}) {
		t.Errorf("conditions: %v", r.Conditions)
	}
	if !reflect.DeepEqual(r.Actions, Params{"RedirectMessageTo": {"Zivver PAMS contact"}, "SetHeaderName": {"x-zivver-ignore-smtp-recipients"}, "SetHeaderValue": {"true"}}) {
		t.Errorf("actions: %v", r.Actions)
	}
	d := o.TransportRules[1]
	if d.Priority != 0 || d.Enabled() || d.Enforced() || !d.StopRuleProcessing || d.Mode != "AuditAndNotify" {
		t.Errorf("disclaimer properties: %+v", d)
	}
	// false, null and empty values are not set; a null inside a list is dropped.
	if !reflect.DeepEqual(d.Exceptions, Params{"ExceptIfSubjectContainsWords": {"internal only"}}) {
		t.Errorf("exceptions: %v", d.Exceptions)
	}
	if d.Actions.Has("DeleteMessage") || d.Actions.Has("Quarantine") || d.Actions.First("ApplyHtmlDisclaimerText") != "<p>Confidential</p>" {
		t.Errorf("actions: %v", d.Actions)
	}
	if d.Conditions.First("AttachmentSizeOver") != "10 MB (10,485,760 bytes)" || d.Conditions.First("FromScope") != "InOrganization" {
		t.Errorf("conditions: %v", d.Conditions)
	}
}

// The same file re-saved by Out-File (UTF-16LE with BOM) or with a UTF-8
// BOM reads the same.
func TestParseExportEncodings(t *testing.T) {
	plain := readFixture(t, "forms-onprem.json")
	want, err := ParseExport(plain)
	if err != nil {
		t.Fatal(err)
	}
	units := utf16.Encode([]rune(string(plain)))
	u16 := []byte{0xFF, 0xFE}
	for _, u := range units {
		u16 = append(u16, byte(u), byte(u>>8))
	}
	for name, b := range map[string][]byte{"utf-8 bom": append([]byte{0xEF, 0xBB, 0xBF}, plain...), "utf-16le": u16} {
		got, err := ParseExport(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s reads differently", name)
		}
	}
}

func TestParseExportRefusesWhatIsNotAnExport(t *testing.T) {
	full := string(readFixture(t, "forms-onprem.json"))
	for _, c := range []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \r\n", "empty"},
		{"truncated", full[:len(full)/2], "incomplete"},
		{"truncated at the end", strings.TrimRight(strings.TrimSpace(full), "}"), "incomplete"},
		{"not json", "Name  : Zivver PAMS\r\nEnabled : True\r\n", "not JSON"},
		{"an array", `[{"Name":"Zivver"}]`, "not an object"},
		{"another program's json", `{"Name":"Zivver","AddressSpaces":["SMTP:*;1"]}`, "no \"relaywizExport\" field"},
		{"newer version", `{"relaywizExport": 2, "platform": "online"}`, "version 2; this relaywiz reads version 1"},
		{"version text", `{"relaywizExport": "one", "platform": "online"}`, "not a version number"},
		{"platform", `{"relaywizExport": 1, "platform": "hybrid"}`, `"platform" is "hybrid"`},
		{"connector without name", `{"relaywizExport": 1, "platform": "onprem", "sendConnectors": [{"Enabled": true}]}`, "sendConnectors[0] has no Name"},
		{"bad state", `{"relaywizExport": 1, "platform": "online", "transportRules": [{"Name": "R", "State": "Paused"}]}`, `State is "Paused"`},
		{"bad mode", `{"relaywizExport": 1, "platform": "online", "transportRules": [{"Name": "R", "Mode": "Test"}]}`, `Mode is "Test"`},
		{"bad bool", `{"relaywizExport": 1, "platform": "online", "outboundConnectors": [{"Name": "C", "Enabled": "maybe"}]}`, "not True or False"},
		{"list as object", `{"relaywizExport": 1, "platform": "online", "outboundConnectors": [{"Name": "C", "SmartHosts": {"a": 1}}]}`, "not a list"},
		{"rule value object", `{"relaywizExport": 1, "platform": "online", "transportRules": [{"Name": "R", "SentTo": {"x": 1}}]}`, "SentTo"},
	} {
		_, err := ParseExport([]byte(c.data))
		var ee *ExportError
		if !errors.As(err, &ee) {
			t.Errorf("%s: error %v is not an *ExportError", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q does not say %q", c.name, err, c.want)
		}
	}
}

func TestParseExportMinimalOnline(t *testing.T) {
	ex, err := ParseExport([]byte(`{"relaywizExport":1,"platform":"online","organization":"contoso.onmicrosoft.com","exportedAt":null,
		"outboundConnectors":[{"Name":"Zivver","Enabled":null,"IsTransportRuleScoped":"True","SmartHosts":"smtp.zivver.com","UseMXRecord":null,"TlsSettings":"CertificateValidation"}],
		"inboundConnectors":[{"Name":"CMG","SenderIPAddresses":"203.0.113.25","RequireTls":null}],
		"connectionFilter":[{"Name":"Default","IPAllowList":null}],
		"transportRules":[{"Name":"Route","Priority":0,"State":null,"Mode":null,"RouteMessageOutboundConnector":"Zivver","StopRuleProcessing":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	o := ex.Org
	c := o.OutboundConnectors[0]
	// New-OutboundConnector: Enabled and UseMXRecord default to $true.
	if !c.Enabled || !c.IsTransportRuleScoped || !c.UseMXRecord || !reflect.DeepEqual(c.SmartHosts, []string{"smtp.zivver.com"}) {
		t.Errorf("outbound: %+v", c)
	}
	// New-InboundConnector: RequireTls defaults to $true.
	if i := o.InboundConnectors[0]; !i.RequireTls || !reflect.DeepEqual(i.SenderIPAddresses, []string{"203.0.113.25"}) {
		t.Errorf("inbound: %+v", i)
	}
	if len(o.ConnectionFilter[0].IPAllowList) != 0 {
		t.Errorf("allow list: %v", o.ConnectionFilter[0].IPAllowList)
	}
	r := o.TransportRules[0]
	if !r.Enabled() || !r.Enforced() || r.StopRuleProcessing || r.Actions.First("RouteMessageOutboundConnector") != "Zivver" {
		t.Errorf("rule: %+v", r)
	}
	if !ex.ExportedAt.IsZero() {
		t.Error("a null exportedAt is a zero time")
	}
}

// A dated rule keeps its dates (the model has no clock and says unknown);
// a date that is not set is not a condition.
func TestParseExportKeepsRuleDates(t *testing.T) {
	ex, err := ParseExport([]byte(`{"relaywizExport":1,"platform":"online","transportRules":[
		{"Name":"Dated","Priority":0,"ExpiryDate":"31/12/2026 00:00:00","ActivationDate":null,"SubjectContainsWords":["Secure"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := ex.Org.TransportRules[0].Conditions
	if c.First("ExpiryDate") != "31/12/2026 00:00:00" || c.Has("ActivationDate") {
		t.Errorf("conditions %v", c)
	}
}

func FuzzParseExport(f *testing.F) {
	f.Add([]byte(`{"relaywizExport":1,"platform":"online","transportRules":[{"Name":"R","SentTo":["a@b.c"]}]}`))
	f.Add([]byte(`{"relaywizExport":1,"platform":"onprem","sendConnectors":[{"Name":"S","AddressSpaces":"SMTP:*;1"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ex, err := ParseExport(b)
		if err != nil {
			var ee *ExportError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v is not an *ExportError", err)
			}
			return
		}
		if ex.Org == nil || (ex.Platform != OnPremises && ex.Platform != Online) {
			t.Fatalf("accepted without an org or platform: %+v", ex)
		}
	})
}
