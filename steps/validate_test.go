package steps

import (
	"strings"
	"testing"
)

func TestDefaultsOfEveryScenarioValidateWithRequiredValues(t *testing.T) {
	for _, s := range Scenarios() {
		if err := baseInputs(s.ID).Validate(); err != nil {
			t.Errorf("%s: defaults plus required values: %v", s.ID, err)
		}
	}
	// pams-onprem must work with the defaults alone (the promise).
	if err := Defaults(PAMSOnPrem).Validate(); err != nil {
		t.Errorf("pams-onprem defaults alone: %v", err)
	}
}

func TestRequiredValuesAreReported(t *testing.T) {
	for _, c := range []struct {
		id     ScenarioID
		fields []string
	}{
		{CryptshareOnPrem, []string{FieldGatewayIP}},
		{CryptshareOnline, []string{FieldGatewayIP}},
		{CodeTwoOnline, []string{FieldConnector, FieldAddonRule}},
	} {
		err := Defaults(c.id).Validate()
		got := fieldsOf(err)
		for _, f := range c.fields {
			if !got[f] {
				t.Errorf("%s defaults: want an error for %s, got %v", c.id, f, err)
			}
		}
	}
}

func fieldsOf(err error) map[string]bool {
	out := map[string]bool{}
	for _, fe := range FieldErrors(err) {
		out[fe.Field] = true
	}
	return out
}

// Each case breaks one input; Validate must name exactly that field.
func TestValidationNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		id    ScenarioID
		edit  func(*Inputs)
		field string
		says  string
	}{
		{"unknown scenario", "pams", func(in *Inputs) {}, FieldScenario, "is not a scenario"},
		{"no scenario", "", func(in *Inputs) {}, FieldScenario, "required"},
		{"smart host with space", PAMSOnPrem, func(in *Inputs) { in.SmartHost = "smtp zivver.com" }, FieldSmartHost, "invalid label"},
		{"smart host single label", PAMSOnPrem, func(in *Inputs) { in.SmartHost = "localhost" }, FieldSmartHost, "fully qualified"},
		{"smart host IPv6", PAMSOnPrem, func(in *Inputs) { in.SmartHost = "2001:db8::1" }, FieldSmartHost, "IPv6"},
		{"smart host unicode", PAMSOnPrem, func(in *Inputs) { in.SmartHost = "smtp.zïvver.com" }, FieldSmartHost, "punycode"},
		{"smart host injection", PAMSOnPrem, func(in *Inputs) { in.SmartHost = "smtp.zivver.com'; calc; '" }, FieldSmartHost, ""},
		{"port 465", PAMSOnPrem, func(in *Inputs) { in.Port = 465 }, FieldPort, "25 or 587"},
		{"port online", RelayOnline, func(in *Inputs) { in.Port = 587 }, FieldPort, "always deliver on port 25"},
		{"domain with underscore", PAMSOnPrem, func(in *Inputs) { in.PlaceholderDomain = "zivver_relay.org" }, FieldPlaceholderDomain, "invalid label"},
		{"domain numeric tld", PAMSOnPrem, func(in *Inputs) { in.PlaceholderDomain = "10.0.0.1" }, FieldPlaceholderDomain, "numeric"},
		{"domain too long", PAMSOnPrem, func(in *Inputs) {
			in.PlaceholderDomain = strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".org"
		}, FieldPlaceholderDomain, "253"},
		{"alias with space", PAMSOnPrem, func(in *Inputs) { in.ContactAlias = "zivver relay" }, FieldContactAlias, "may contain only"},
		{"alias double dot", PAMSOnPrem, func(in *Inputs) { in.ContactAlias = "a..b" }, FieldContactAlias, ""},
		{"name too long", PAMSOnPrem, func(in *Inputs) { in.Name = strings.Repeat("n", 65) }, FieldName, "at most 64"},
		{"name with newline", PAMSOnPrem, func(in *Inputs) { in.Name = "Zivver\nWrite-Host pwned" }, FieldName, "control character"},
		{"name derived too long", RelayOnline, func(in *Inputs) { in.Name = strings.Repeat("n", 60) }, FieldName, "derived object name"},
		{"name leading space", PAMSOnPrem, func(in *Inputs) { in.Name = " Zivver" }, FieldName, "space"},
		{"size 0 explicit for pams", PAMSOnPrem, func(in *Inputs) { in.MaxSizeMB = 0 }, FieldMaxSizeMB, "required"},
		{"size 151", PAMSOnPrem, func(in *Inputs) { in.MaxSizeMB = 151 }, FieldMaxSizeMB, "between 1 and 150"},
		{"size negative", CryptshareOnPrem, func(in *Inputs) { in.MaxSizeMB = -5 }, FieldMaxSizeMB, "between 1 and 150"},
		{"size online", RelayOnline, func(in *Inputs) { in.MaxSizeMB = 40 }, FieldMaxSizeMB, "MaxSendSize"},
		{"source server bad", PAMSOnPrem, func(in *Inputs) { in.SourceServers = []string{"EX 01"} }, FieldSourceServer, "server name"},
		{"source server twice", PAMSOnPrem, func(in *Inputs) { in.SourceServers = []string{"EX01", "ex01"} }, FieldSourceServer, "twice"},
		{"gateway not ip", CryptshareOnPrem, func(in *Inputs) { in.GatewayIP = "cmg.example.com" }, FieldGatewayIP, "not an IPv4"},
		{"gateway ipv6", CryptshareOnline, func(in *Inputs) { in.GatewayIP = "2001:db8::25" }, FieldGatewayIP, "IPv4 only"},
		{"gateway private online", CryptshareOnline, func(in *Inputs) { in.GatewayIP = "10.1.2.3" }, FieldGatewayIP, "not a public address"},
		{"gateway cidr", CryptshareOnline, func(in *Inputs) { in.GatewayIP = "203.0.113.0/24" }, FieldGatewayIP, "not an IPv4"},
		{"gateway for pams", PAMSOnPrem, func(in *Inputs) { in.GatewayIP = "203.0.113.25" }, FieldGatewayIP, "not used by scenario pams-onprem"},
		{"label on-premises", RelayOnPrem, func(in *Inputs) { in.Triggers = []Trigger{{TriggerLabel, sampleLabelGUID}} }, FieldTrigger, "on-premises"},
		{"label bad guid", RelayOnline, func(in *Inputs) { in.Triggers = []Trigger{{TriggerLabel, "not-a-guid"}} }, FieldTrigger, "not a GUID"},
		{"sender bad", RelayOnline, func(in *Inputs) { in.Triggers = []Trigger{{TriggerSender, "invoices at example.com"}} }, FieldTrigger, "not an e-mail"},
		{"subject too long", RelayOnline, func(in *Inputs) { in.Triggers = []Trigger{{TriggerSubject, strings.Repeat("w", 129)}} }, FieldTrigger, "at most 128"},
		{"subject empty", RelayOnline, func(in *Inputs) { in.Triggers = []Trigger{{TriggerSubject, ""}} }, FieldTrigger, "empty"},
		{"subject twice", RelayOnline, func(in *Inputs) { in.Triggers = []Trigger{{TriggerSubject, "Secure"}, {TriggerSubject, "SECURE"}} }, FieldTrigger, "twice"},
		{"trigger for pams", PAMSOnPrem, func(in *Inputs) { in.Triggers = []Trigger{{TriggerSubject, "Secure"}} }, FieldTrigger, "zivver-relay"},
		{"sender for cryptshare", CryptshareOnline, func(in *Inputs) { in.Triggers = []Trigger{{TriggerSender, sampleSender}} }, FieldTrigger, "accepts subject="},
		{"relay without trigger", RelayOnline, func(in *Inputs) { in.Triggers = nil }, FieldTrigger, "at least one"},
		{"priority negative", PAMSOnline, func(in *Inputs) { in.Priority = -7 }, FieldPriority, "0 (the top)"},
		{"priority for cryptshare onprem", CryptshareOnPrem, func(in *Inputs) { in.Priority = 1 }, FieldPriority, "not used"},
		// Exchange Online holds at most 300 rules: priority 300 can never be valid.
		{"priority beyond online rule limit", RelayOnline, func(in *Inputs) { in.Priority = 300 }, FieldPriority, "at most 300"},
		{"priority 9999 on-premises", PAMSOnPrem, func(in *Inputs) { in.Priority = 9999 }, FieldPriority, "apply.ps1 checks"},
		// Server\Connector is Exchange's identity syntax and * a wildcard:
		// Get-SendConnector -Identity would find another object.
		{"name with backslash", PAMSOnPrem, func(in *Inputs) { in.Name = `EX01\Zivver` }, FieldName, `Server\Name`},
		{"name with star", RelayOnline, func(in *Inputs) { in.Name = "Zivver*" }, FieldName, "wildcard"},
		{"connector with backslash", CodeTwoOnline, func(in *Inputs) { in.Connectors = []string{`EX01\Mimecast`} }, FieldConnector, `Server\Name`},
		{"addon rule with star", CodeTwoOnline, func(in *Inputs) { in.AddonRule = "CodeTwo*" }, FieldAddonRule, "wildcard"},
		{"old connector with backslash", CryptshareOnPrem, func(in *Inputs) { in.Connectors = []string{`EX01\Internet`} }, FieldConnector, `Server\Name`},
		{"test recipient bad", PAMSOnPrem, func(in *Inputs) { in.TestRecipient = "me@" }, FieldTestRecipient, "not an e-mail"},
		{"connector twice", CodeTwoOnline, func(in *Inputs) { in.Connectors = []string{"A", "a"} }, FieldConnector, "twice"},
		{"connector for pams", PAMSOnPrem, func(in *Inputs) { in.Connectors = []string{"A"} }, FieldConnector, "not used"},
		{"addon rule too long", CodeTwoOnline, func(in *Inputs) { in.AddonRule = strings.Repeat("r", 70) }, FieldAddonRule, "at most 64"},
		{"smart host for codetwo", CodeTwoOnline, func(in *Inputs) { in.SmartHost = "smtp.example.com" }, FieldSmartHost, "keep their smart hosts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := baseInputs(c.id)
			if c.id == "" || c.id == "pams" {
				in = Inputs{Scenario: c.id, Priority: PriorityAuto}
			}
			c.edit(&in)
			err := in.Validate()
			fes := FieldErrors(err)
			if len(fes) == 0 {
				t.Fatalf("Validate accepted it (want an error for %s)", c.field)
			}
			var match *FieldError
			for _, fe := range fes {
				if fe.Field == c.field {
					match = fe
				}
			}
			if match == nil {
				t.Fatalf("want an error for %s, got %v", c.field, err)
			}
			if !strings.Contains(match.Error(), c.says) {
				t.Errorf("error %q does not say %q", match.Error(), c.says)
			}
			if !strings.HasPrefix(match.Error(), c.field+":") {
				t.Errorf("error %q does not start with the field name", match.Error())
			}
			if _, err := Generate(in); err == nil {
				t.Error("Generate emitted artifacts for invalid inputs")
			}
		})
	}
}

func TestValidationAcceptsRealisticValues(t *testing.T) {
	ok := []func(*Inputs){
		func(in *Inputs) { in.Name = "Zivver – O'Brien’s relay (test)" },
		func(in *Inputs) { in.SmartHost = "192.0.2.10" },
		func(in *Inputs) { in.SmartHost = "smtp.zivver.com." },
		func(in *Inputs) { in.PlaceholderDomain = "xn--zvver-9ra.invalid" },
		func(in *Inputs) { in.ContactAlias = "o'brien.relay" },
		func(in *Inputs) { in.SourceServers = []string{"EX01", "ex02.corp.example.com"} },
		func(in *Inputs) { in.MaxSizeMB = 1 },
		func(in *Inputs) { in.MaxSizeMB = 150 },
		func(in *Inputs) { in.Priority = 0 },
		func(in *Inputs) { in.TestRecipient = "first.last+test@example.co.uk" },
	}
	for i, edit := range ok {
		in := baseInputs(PAMSOnPrem)
		edit(&in)
		if err := in.Validate(); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
	on := baseInputs(RelayOnline)
	on.Triggers = []Trigger{{TriggerLabel, "{" + sampleLabelGUID + "}"}, {TriggerSubject, "[secure] mail"}, {TriggerSender, "o'brien@example.com"}}
	if err := on.Validate(); err != nil {
		t.Errorf("relay-online triggers: %v", err)
	}
}

func TestParseTrigger(t *testing.T) {
	for in, want := range map[string]Trigger{
		"subject=Secure":           {TriggerSubject, "Secure"},
		"Subject=a=b":              {TriggerSubject, "a=b"},
		"label=" + sampleLabelGUID: {TriggerLabel, sampleLabelGUID},
		"sender=a@example.com":     {TriggerSender, "a@example.com"},
	} {
		got, err := ParseTrigger(in)
		if err != nil || got != want {
			t.Errorf("ParseTrigger(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"Secure", "words=Secure", "=x"} {
		_, err := ParseTrigger(bad)
		fes := FieldErrors(err)
		if len(fes) != 1 || fes[0].Field != FieldTrigger {
			t.Errorf("ParseTrigger(%q): want a trigger field error, got %v", bad, err)
		}
	}
}
