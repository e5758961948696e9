package steps

import (
	"reflect"
	"strings"
	"testing"
)

// These tests read the generated scripts back (psparse_test.go) and check
// them against what the vendor manuals and the verified cmdlet reference
// require, scenario by scenario. They are written from the manuals, not
// from the golden files: a template change that drops a required setting
// fails here even after the goldens are regenerated.

// want is one required cmdlet call: the parameters listed must be passed
// with exactly these values (present: any value).
type want struct {
	cmdlet string
	params map[string]any
}

// present matches any value of a parameter.
type presentT struct{}

var present = presentT{}

func generated(t *testing.T, in Inputs) map[string]string {
	t.Helper()
	arts, err := Generate(in)
	if err != nil {
		t.Fatalf("Generate(%s): %v", in.Scenario, err)
	}
	out := map[string]string{}
	for _, a := range arts {
		out[a.Format] = a.Text
	}
	return out
}

// requireCalls checks that each wanted call occurs (in this order) with
// the wanted parameters, and returns the matching calls.
func requireCalls(t *testing.T, script string, calls []psCall, wants []want) []psCall {
	t.Helper()
	var found []psCall
	from := 0
	for _, w := range wants {
		matched := false
		for i := from; i < len(calls); i++ {
			c := calls[i]
			if !strings.EqualFold(c.Cmdlet, w.cmdlet) || !paramsMatch(c, w.params) {
				continue
			}
			found = append(found, c)
			from = i + 1
			matched = true
			break
		}
		if !matched {
			var same []string
			for _, c := range callsOf(calls, w.cmdlet) {
				same = append(same, fmtValue(c.Params))
			}
			t.Errorf("%s: no %s with %v (after the previous expected call); %s calls seen: %v", script, w.cmdlet, w.params, w.cmdlet, same)
		}
	}
	return found
}

func paramsMatch(c psCall, params map[string]any) bool {
	for k, v := range params {
		got, ok := c.Params[k]
		if !ok {
			return false
		}
		if v == present {
			continue
		}
		if !reflect.DeepEqual(normalise(got), normalise(v)) {
			return false
		}
	}
	return true
}

// normalise lets a single string match a one-element list (PowerShell
// passes either to a multi-valued parameter).
func normalise(v any) any {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return v
}

// requireGetBeforeNew checks idempotency: every New-X is preceded, in the
// same step, by a Get-X of the same object.
func requireGetBeforeNew(t *testing.T, calls []psCall) {
	t.Helper()
	for i, c := range calls {
		if !strings.HasPrefix(c.Cmdlet, "New-") {
			continue
		}
		noun := strings.TrimPrefix(c.Cmdlet, "New-")
		ok := false
		for j := i - 1; j >= 0 && !ok; j-- {
			if calls[j].Cmdlet == "Get-"+noun && reflect.DeepEqual(calls[j].Params["Identity"], c.Params["Name"]) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("apply.ps1 line %d: %s %v without a Get-%s of the same name before it (not idempotent)", c.Line, c.Cmdlet, c.Params["Name"], noun)
		}
	}
}

// requireStopOnError: every change says -ErrorAction Stop; every removal
// -Confirm:$false (a prompt in the middle of undo would stall it).
func requireStopOnError(t *testing.T, name string, calls []psCall) {
	t.Helper()
	for _, c := range calls {
		verb, noun, _ := strings.Cut(c.Cmdlet, "-")
		if !exchangeNouns[noun] {
			continue // the script's own helpers and local file handling
		}
		switch verb {
		case "New", "Set", "Remove":
			if c.Params["ErrorAction"] != psRaw("Stop") {
				t.Errorf("%s line %d: %s without -ErrorAction Stop", name, c.Line, c.Cmdlet)
			}
		}
		if verb == "Remove" && c.Params["Confirm"] != false {
			t.Errorf("%s line %d: %s without -Confirm:$false", name, c.Line, c.Cmdlet)
		}
	}
}

// exchangeNouns are the Exchange objects the scripts touch.
var exchangeNouns = map[string]bool{
	"AcceptedDomain": true, "MailContact": true, "SendConnector": true, "OutboundConnector": true,
	"InboundConnector": true, "TransportRule": true, "HostedConnectionFilterPolicy": true,
}

// order checks that the calls appear in this order (by line).
func requireOrder(t *testing.T, script string, calls []psCall, cmdlets ...string) {
	t.Helper()
	last := 0
	for _, name := range cmdlets {
		cs := callsOf(calls, name)
		if len(cs) == 0 {
			t.Errorf("%s: no %s", script, name)
			continue
		}
		if cs[0].Line < last {
			t.Errorf("%s: %s (line %d) must come after the previous step (line %d)", script, name, cs[0].Line, last)
		}
		last = cs[len(cs)-1].Line
	}
}

func noCalls(t *testing.T, script string, calls []psCall, cmdlets ...string) {
	t.Helper()
	for _, name := range cmdlets {
		if cs := callsOf(calls, name); len(cs) > 0 {
			t.Errorf("%s must not call %s (line %d)", script, name, cs[0].Line)
		}
	}
}

func requireText(t *testing.T, name, text string, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if !strings.Contains(text, n) {
			t.Errorf("%s does not mention %q", name, n)
		}
	}
}

// Common checks for every scenario.
func TestScriptsAreSafeAndIdempotent(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			g := generated(t, c.in)
			_, apply := parseScript(t, g[FormatApply])
			_, undo := parseScript(t, g[FormatUndo])
			_, verify := parseScript(t, g[FormatVerify])
			requireGetBeforeNew(t, apply)
			requireStopOnError(t, "apply.ps1", apply)
			requireStopOnError(t, "undo.ps1", undo)
			for _, call := range verify {
				if v, _, _ := strings.Cut(call.Cmdlet, "-"); v == "New" || v == "Set" || v == "Remove" {
					t.Errorf("verify.ps1 line %d changes something (%s); it must only read", call.Line, call.Cmdlet)
				}
			}
			for _, f := range []string{FormatApply, FormatUndo, FormatVerify} {
				requireText(t, f, g[f], "$ErrorActionPreference = 'Stop'")
				for _, bad := range []string{"ConvertTo-SecureString", "-Password", "PlainText"} {
					if strings.Contains(g[f], bad) {
						t.Errorf("%s contains %q: secrets must come from Get-Credential only", f, bad)
					}
				}
			}
			s, _ := Lookup(string(c.in.Scenario))
			if s.Online {
				requireCalls(t, "apply.ps1", apply, []want{{"Connect-ExchangeOnline", nil}})
			} else {
				requireText(t, "apply.ps1", g[FormatApply], "Exchange Management Shell")
			}
		})
	}
}

func TestPAMSOnPremMatchesManual(t *testing.T) {
	in := baseInputs(PAMSOnPrem)
	g := generated(t, in)
	_, apply := parseScript(t, g[FormatApply])
	requireCalls(t, "apply.ps1", apply, []want{
		// Seed 000: placeholder accepted domain, Authoritative.
		{"New-AcceptedDomain", map[string]any{"DomainName": "zivver.org", "DomainType": "Authoritative", "Name": present}},
		// A contact in the placeholder domain.
		{"New-MailContact", map[string]any{"ExternalEmailAddress": "relay@zivver.org", "Alias": "relay", "Name": present}},
		// Credentials asked, never stored.
		{"Get-Credential", nil},
		// Smart host, basic auth only after STARTTLS, SMTP address space of
		// the placeholder at cost 1, scoped, source servers, size.
		{"New-SendConnector", map[string]any{
			"SmartHosts": "smtp.zivver.com", "DNSRoutingEnabled": false,
			"SmartHostAuthMechanism": "BasicAuthRequireTLS", "AuthenticationCredential": psRaw("$cred"),
			"AddressSpaces": []string{"SMTP:zivver.org;1"}, "IsScopedConnector": true,
			"SourceTransportServers": present, "MaxMessageSize": "50MB", "Port": 587,
			// relaywiz adds: TLS required and the certificate checked
			// against the smart host, as relaywiz check proved it.
			"RequireTLS": true, "TlsAuthLevel": "DomainValidation", "TlsDomain": "smtp.zivver.com",
		}},
		// Header zivver-relay matches ..* -> redirect to the contact, set
		// x-zivver-ignore-smtp-recipients: true, Enforce, defer on error.
		{"New-TransportRule", map[string]any{
			"HeaderMatchesMessageHeader": "zivver-relay", "HeaderMatchesPatterns": []string{"..*"},
			"RedirectMessageTo": "relay@zivver.org",
			"SetHeaderName":     "x-zivver-ignore-smtp-recipients", "SetHeaderValue": "true",
			"Mode": "Enforce", "RuleErrorAction": "Defer",
		}},
	})
	_, undo := parseScript(t, g[FormatUndo])
	requireOrder(t, "undo.ps1", undo, "Remove-TransportRule", "Remove-SendConnector", "Remove-MailContact", "Remove-AcceptedDomain")

	// The Outlook plug-in key, with the warning.
	reg := g[FormatReg]
	if !strings.HasPrefix(reg, "Windows Registry Editor Version 5.00\n") {
		t.Errorf("pams.reg must start with the regedit 5 header")
	}
	requireText(t, "pams.reg", reg,
		`[HKEY_CURRENT_USER\Software\Zivver\OfficePlugin\Settings]`,
		`"EnableMailAssistedSubmission"=dword:00000001`, "ONLY after", "UNSECURED")
	// The steps that rest on vendor-only facts say so.
	for _, f := range []string{FormatChecklist, FormatApply} {
		requireText(t, f, g[f], "UNVERIFIED", "x-zivver-ignore-smtp-recipients")
	}
	requireText(t, "checklist.md", g[FormatChecklist], "Base64", "33 %", "Set-TransportConfig", "Do not import `pams.reg` yet")
	// verify.ps1 reads back what the manual cares about.
	requireText(t, "verify.ps1", g[FormatVerify], "'SmartHostAuthMechanism'", "'AddressSpaces'", "'IsScopedConnector'",
		"'MaxMessageSize'", "'HeaderMatchesPatterns'", "'RedirectMessageTo'", "'RuleErrorAction'", "'State'", "Test-OrgSizeLimits",
		"'TlsAuthLevel'", "'TlsDomain'", "Test-OnlyTheseParts $RuleName $o")
}

func TestPAMSOnlineMatchesManual(t *testing.T) {
	g := generated(t, baseInputs(PAMSOnline))
	_, apply := parseScript(t, g[FormatApply])
	requireCalls(t, "apply.ps1", apply, []want{
		{"New-OutboundConnector", map[string]any{
			"IsTransportRuleScoped": true, "UseMXRecord": false, "SmartHosts": "smtp.zivver.com",
			"TlsSettings": "CertificateValidation", "ConnectorType": "Partner",
		}},
		{"New-TransportRule", map[string]any{
			"HeaderMatchesMessageHeader": "zivver-relay", "HeaderMatchesPatterns": []string{"..*"},
			"RouteMessageOutboundConnector": "Zivver PAMS", "RuleErrorAction": "Defer", "Mode": "Enforce",
		}},
	})
	noCalls(t, "apply.ps1", apply, "New-SendConnector", "New-MailContact", "New-AcceptedDomain", "Get-Credential", "Validate-OutboundConnector")

	// With a test recipient, the connector is validated as the admin
	// center's wizard does.
	in := baseInputs(PAMSOnline)
	in.TestRecipient = "someone@example.net"
	_, apply = parseScript(t, generated(t, in)[FormatApply])
	requireCalls(t, "apply.ps1", apply, []want{
		{"New-OutboundConnector", map[string]any{"Name": "Zivver PAMS"}},
		{"Validate-OutboundConnector", map[string]any{"Identity": "Zivver PAMS", "Recipients": "someone@example.net"}},
	})
	requireText(t, "pams.reg", g[FormatReg], "EnableMailAssistedSubmission")
	requireText(t, "checklist.md", g[FormatChecklist], "SPF", "enterprise@zivver.com")
}

func TestRelayOnlineOneRulePerTriggerKind(t *testing.T) {
	for _, set := range triggerSubsets([]TriggerKind{TriggerSubject, TriggerLabel, TriggerSender}) {
		t.Run(kindsName(set), func(t *testing.T) {
			in := baseInputs(RelayOnline)
			in.Triggers = nil
			second := map[TriggerKind]string{TriggerSubject: "Vertrouwelijk", TriggerLabel: "{11111111-2222-3333-4444-555555555555}", TriggerSender: "app@example.org"}
			for _, k := range set {
				// two values per kind: still one rule, the values ORed
				in.Triggers = append(in.Triggers, sampleTrigger(k), Trigger{k, second[k]})
			}
			g := generated(t, in)
			_, apply := parseScript(t, g[FormatApply])
			requireCalls(t, "apply.ps1", apply, []want{{"New-OutboundConnector", map[string]any{
				"IsTransportRuleScoped": true, "UseMXRecord": false, "SmartHosts": "smtp.zivver.com",
				"TlsSettings": "CertificateValidation", "ConnectorType": "Partner",
			}}})
			rules := callsOf(apply, "New-TransportRule")
			if len(rules) != len(set) {
				t.Fatalf("%d rules for %d trigger kinds; conditions in one rule are ANDed, so each kind needs its own", len(rules), len(set))
			}
			var wants []want
			route := map[string]any{"RouteMessageOutboundConnector": "Zivver Custom Relay", "RuleErrorAction": "Defer"}
			for _, k := range set {
				w := map[string]any{}
				for key, v := range route {
					w[key] = v
				}
				switch k {
				case TriggerSubject:
					w["SubjectContainsWords"] = []string{"Secure", "Vertrouwelijk"}
				case TriggerLabel:
					w["SentToScope"] = "NotInOrganization"
					w["HeaderContainsMessageHeader"] = "msip_labels"
					w["HeaderContainsWords"] = []string{
						"MSIP_Label_" + strings.ToLower(sampleLabelGUID) + "_Enabled=True",
						"MSIP_Label_11111111-2222-3333-4444-555555555555_Enabled=True",
					}
				case TriggerSender:
					w["From"] = []string{sampleSender, "app@example.org"}
				}
				wants = append(wants, want{"New-TransportRule", w})
			}
			requireCalls(t, "apply.ps1", apply, wants)
			if contains(set, TriggerLabel) {
				requireText(t, "checklist.md", g[FormatChecklist], "Get-Label", "Connect-IPPSSession", "UNVERIFIED")
				requireText(t, "apply.ps1", g[FormatApply], "UNVERIFIED")
			}
			requireText(t, "checklist.md", g[FormatChecklist], "SPF allowlist")
			_, undo := parseScript(t, g[FormatUndo])
			requireOrder(t, "undo.ps1", undo, "Remove-TransportRule", "Remove-OutboundConnector")
		})
	}
}

func contains(set []TriggerKind, k TriggerKind) bool {
	for _, x := range set {
		if x == k {
			return true
		}
	}
	return false
}

func TestRelayOnPremMatchesManual(t *testing.T) {
	in := baseInputs(RelayOnPrem)
	in.Triggers = []Trigger{sampleTrigger(TriggerSubject), sampleTrigger(TriggerSender)}
	g := generated(t, in)
	_, apply := parseScript(t, g[FormatApply])
	redirect := func(cond string, v any) want {
		return want{"New-TransportRule", map[string]any{
			cond: v, "RedirectMessageTo": "relay@zivver.org",
			"SetHeaderName": "x-zivver-ignore-smtp-recipients", "SetHeaderValue": "true",
			"Mode": "Enforce", "RuleErrorAction": "Defer",
		}}
	}
	requireCalls(t, "apply.ps1", apply, []want{
		{"New-AcceptedDomain", map[string]any{"DomainName": "zivver.org", "DomainType": "Authoritative"}},
		{"New-MailContact", map[string]any{"ExternalEmailAddress": "relay@zivver.org"}},
		{"New-SendConnector", map[string]any{"SmartHostAuthMechanism": "BasicAuthRequireTLS", "AddressSpaces": []string{"SMTP:zivver.org;1"}, "DNSRoutingEnabled": false}},
		redirect("SubjectContainsWords", []string{"Secure"}),
		redirect("From", []string{sampleSender}),
	})
	noCalls(t, "apply.ps1", apply, "New-OutboundConnector")
}

func TestCryptshareOnPremDisablesOldConnector(t *testing.T) {
	in := baseInputs(CryptshareOnPrem)
	in.Connectors = []string{"Internet"}
	g := generated(t, in)
	_, apply := parseScript(t, g[FormatApply])
	requireCalls(t, "apply.ps1", apply, []want{
		{"New-SendConnector", map[string]any{
			"AddressSpaces": []string{"SMTP:*;1"}, "SmartHosts": sampleGatewayPrivate,
			"DNSRoutingEnabled": false, "SmartHostAuthMechanism": "None",
		}},
		// Disable, do not delete, the old connector: after the new one exists.
		{"Set-SendConnector", map[string]any{"Identity": "Internet", "Enabled": false}},
	})
	noCalls(t, "apply.ps1", apply, "Remove-SendConnector")
	_, undo := parseScript(t, g[FormatUndo])
	// Switch the old route back on before removing the gateway connector.
	requireOrder(t, "undo.ps1", undo, "Set-SendConnector", "Remove-SendConnector")
	requireText(t, "checklist.md", g[FormatChecklist], "disables", "Internet")
	requireText(t, "verify.ps1", g[FormatVerify], "Get-WildcardConnectors")
}

func TestCryptshareOnlineMatchesManual(t *testing.T) {
	g := generated(t, baseInputs(CryptshareOnline))
	_, apply := parseScript(t, g[FormatApply])
	ip := sampleGatewayPublic
	requireCalls(t, "apply.ps1", apply, []want{
		// Gateway -> M365, identified by the gateway's public IP.
		{"New-InboundConnector", map[string]any{"ConnectorType": "OnPremises", "SenderDomains": []string{"*"}, "SenderIPAddresses": ip}},
		// M365 -> gateway: rule-scoped, TLS with a trusted CA.
		{"New-OutboundConnector", map[string]any{"IsTransportRuleScoped": true, "SmartHosts": ip, "TlsSettings": "CertificateValidation", "UseMXRecord": false}},
		// OWA: subject word sets the header, internal senders, except from
		// the gateway's IP (no loop).
		{"New-TransportRule", map[string]any{
			"SubjectContainsWords": []string{"[confidential]"}, "FromScope": "InOrganization",
			"SetHeaderName": "X-CS-Sensitivity", "SetHeaderValue": "confidential", "ExceptIfSenderIpRanges": ip,
		}},
		// X-CS-Sensitivity -> connector, stop processing.
		{"New-TransportRule", map[string]any{
			"HeaderContainsMessageHeader": "X-CS-Sensitivity", "HeaderContainsWords": []string{"confidential"},
			"FromScope": "InOrganization", "RouteMessageOutboundConnector": "Cryptshare CMG - M365 to CMG", "StopRuleProcessing": true,
		}},
		// The allow list is appended to, never replaced.
		{"Set-HostedConnectionFilterPolicy", map[string]any{"IPAllowList": map[string]any{"Add": ip}}},
	})
	for _, c := range callsOf(apply, "Set-HostedConnectionFilterPolicy") {
		if _, ok := c.Params["IPAllowList"].(map[string]any); !ok {
			t.Errorf("line %d: IPAllowList must be @{Add = ...}; a plain list replaces the existing entries", c.Line)
		}
	}
	_, undo := parseScript(t, g[FormatUndo])
	requireCalls(t, "undo.ps1", undo, []want{{"Set-HostedConnectionFilterPolicy", map[string]any{"IPAllowList": map[string]any{"Remove": ip}}}})
	requireOrder(t, "undo.ps1", undo, "Remove-TransportRule", "Remove-OutboundConnector", "Remove-InboundConnector")
}

func TestCodeTwoMatchesManual(t *testing.T) {
	in := baseInputs(CodeTwoOnline)
	in.Connectors = []string{"Mimecast Outbound", "Proofpoint"}
	g := generated(t, in)
	_, apply := parseScript(t, g[FormatApply])
	var wants []want
	for _, conn := range in.Connectors {
		wants = append(wants,
			want{"New-TransportRule", map[string]any{
				"FromScope": "InOrganization", "SentToScope": "NotInOrganization",
				"SetHeaderName": "X-AntiLoop-Smarthost", "SetHeaderValue": "true",
				"RouteMessageOutboundConnector":       conn,
				"ExceptIfHeaderContainsMessageHeader": "X-AntiLoop-Smarthost", "ExceptIfHeaderContainsWords": []string{"true"},
				"RuleErrorAction": "Defer", "Priority": psRaw("$priority"),
			}},
			want{"Set-OutboundConnector", map[string]any{"Identity": conn, "IsTransportRuleScoped": true}},
		)
	}
	wants = append(wants, want{"Set-TransportRule", map[string]any{"Identity": sampleAddonRule, "StopRuleProcessing": true}})
	// The priority is computed from the add-on rule: right below it.
	requireText(t, "apply.ps1", g[FormatApply], "$priority = [int]$anchor.Priority + 1 + 0", "$priority = [int]$anchor.Priority + 1 + 1")
	// "Priority" comes from "$params.Priority = $priority"; the parser sees
	// it only on the call line, so drop it from the comparison.
	for i := range wants {
		delete(wants[i].params, "Priority")
	}
	requireCalls(t, "apply.ps1", apply, wants)
	_, undo := parseScript(t, g[FormatUndo])
	// Connectors back to normal first (mail keeps its smart hosts), then the
	// rules go, then the add-on rule is restored.
	requireOrder(t, "undo.ps1", undo, "Set-OutboundConnector", "Remove-TransportRule", "Set-TransportRule")
	requireText(t, "checklist.md", g[FormatChecklist], "twice", "priority 0", "Stop processing more rules")
}

func TestUndoTakesBackOnlyWhatApplyRecorded(t *testing.T) {
	for _, c := range allCases() {
		g := generated(t, c.in)
		// apply records every creation and change; undo consults the record
		// before every removal and restore.
		createdA := strings.Count(g[FormatApply], "Add-Created ")
		created := strings.Count(g[FormatApply], "| Out-Null") // New-* calls
		if c.in.Scenario == CryptshareOnline {
			created++ // the allow-list entry is recorded as created too
		}
		if createdA != created {
			t.Errorf("%s: %d objects created but %d recorded", c.name, created, createdA)
		}
		if n, m := strings.Count(g[FormatApply], "Add-Modified "), strings.Count(g[FormatUndo], "Get-Modified "); n != m {
			t.Errorf("%s: apply records %d changes, undo restores %d", c.name, n, m)
		}
		if n, m := createdA, strings.Count(g[FormatUndo], "(Test-Created "); n != m {
			t.Errorf("%s: apply records %d creations, undo checks %d", c.name, n, m)
		}
	}
}
