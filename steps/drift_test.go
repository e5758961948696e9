package steps

import (
	"regexp"
	"strings"
	"testing"
)

// Regression tests for what a review of the scripts against Microsoft's
// cmdlet reference found: verify.ps1 must catch dangerous drift and read
// values back in the form Exchange prints them, and apply.ps1 must not
// mistake an error for "not found".

// verifyLine returns the verify.ps1 line that compares a property of an
// object (by its variable), or "".
func verifyLine(script, objVar, prop string) string {
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Test-") && strings.Contains(l, " $"+objVar+" '"+prop+"' ") {
			return l
		}
	}
	return ""
}

func TestVerifyComparesDangerousListsExactly(t *testing.T) {
	cases := []struct {
		in           Inputs
		objVar, prop string
		helper, tail string
	}{
		// An extra SMTP:* on the provider connector sends all mail there.
		{baseInputs(PAMSOnPrem), "SendConnectorName", "AddressSpaces", "Test-SameSet", "$FormAddressSpace"},
		{baseInputs(CryptshareOnPrem), "SendConnectorName", "AddressSpaces", "Test-SameSet", "$FormAddressSpace"},
		{baseInputs(PAMSOnPrem), "SendConnectorName", "SmartHosts", "Test-SameSet", "$FormHost"},
		{baseInputs(CryptshareOnPrem), "SendConnectorName", "SmartHosts", "Test-SameSet", "$FormHost"},
		{baseInputs(PAMSOnline), "ConnectorName", "SmartHosts", "Test-SameSet", "$FormHost"},
		// An extra redirect recipient gets every secure message.
		{baseInputs(PAMSOnPrem), "RuleName", "RedirectMessageTo", "Test-Recipients", "-Exact"},
		// An extra IP on the inbound connector or the loop exception.
		{baseInputs(CryptshareOnline), "InboundConnectorName", "SenderIPAddresses", "Test-SameSet", "$FormIP"},
		{baseInputs(CryptshareOnline), "HeaderRuleName", "ExceptIfSenderIpRanges", "Test-SameSet", "$FormIP"},
		{baseInputs(CryptshareOnline), "OwaRuleName", "ExceptIfSenderIpRanges", "Test-SameSet", "$FormIP"},
	}
	for _, c := range cases {
		v := generated(t, c.in)[FormatVerify]
		l := verifyLine(v, c.objVar, c.prop)
		if !strings.HasPrefix(l, c.helper+" ") || !strings.HasSuffix(l, " "+c.tail) {
			t.Errorf("%s: %s.%s is compared by %q, want %s ... %s", c.in.Scenario, c.objVar, c.prop, l, c.helper, c.tail)
		}
	}
}

func TestVerifyReadsBackExchangesPrintedForms(t *testing.T) {
	v := generated(t, baseInputs(PAMSOnPrem))[FormatVerify]
	// Scoped connectors print Local:SMTP:zivver.org;1; IP smart hosts
	// [192.0.2.10]. Both forms must reduce to what relaywiz set.
	requireText(t, "verify.ps1", v,
		`$t = $s -replace '^local:', ''`,
		`$FormHost = { param($s) ($s -replace '^\[(.*)\]$', '$1').ToLowerInvariant() }`,
		`$FormIP = { param($s) ($s -replace '/32$', '').ToLowerInvariant() }`,
		"$extra = @($have | Where-Object { $want -notcontains $_ })")
}

func TestVerifyFindsObjectsTheWayApplyDoes(t *testing.T) {
	g := generated(t, baseInputs(PAMSOnPrem))
	for _, f := range []string{FormatApply, FormatVerify} {
		// An accepted domain under another name, found by DomainName.
		requireText(t, f, g[f], `$found = @(Get-AcceptedDomain -ErrorAction Stop | Where-Object { "$($_.DomainName)" -eq $PlaceholderDomain })`)
		_, calls := parseScript(t, g[f])
		requireCalls(t, f, calls, []want{
			{"Get-AcceptedDomain", map[string]any{"Identity": "Zivver PAMS"}},
			{"Get-MailContact", map[string]any{"Identity": "Zivver PAMS contact"}},
			// a contact under another name, found by its address
			{"Get-MailContact", map[string]any{"Identity": "relay@zivver.org"}},
		})
	}
}

// Every existence test goes through Find-Existing with -ErrorAction Stop:
// only "not found" means missing; permission and throttling errors stop.
func TestExistenceTestsStopOnOtherErrors(t *testing.T) {
	for _, c := range allCases() {
		g := generated(t, c.in)
		for _, f := range []string{FormatApply, FormatUndo, FormatVerify} {
			lines := strings.Split(g[f], "\n")
			_, calls := parseScript(t, g[f])
			for _, call := range calls {
				verb, noun, _ := strings.Cut(call.Cmdlet, "-")
				if verb != "Get" || !(exchangeNouns[noun] || noun == "Recipient" || noun == "ExchangeServer" || noun == "TransportConfig") {
					continue
				}
				if call.Params["ErrorAction"] != psRaw("Stop") {
					t.Errorf("%s %s line %d: %s without -ErrorAction Stop", c.name, f, call.Line, call.Cmdlet)
				}
				line := lines[call.Line-1]
				existence := false
				for _, p := range []string{"$found = ", "$o = ", "$anchor = ", "$below = ", "if (", "if (-not ("} {
					existence = existence || strings.HasPrefix(strings.TrimSpace(line), p)
				}
				if call.Has("Identity") && existence && !strings.Contains(line, "Find-Existing { "+call.Cmdlet) && !strings.Contains(line, "Get-HostedConnectionFilterPolicy") {
					t.Errorf("%s %s line %d: existence test with %s -Identity outside Find-Existing: %s", c.name, f, call.Line, call.Cmdlet, line)
				}
			}
			if strings.Contains(g[f], "Find-Existing") {
				requireText(t, f, g[f], "function Find-Existing([scriptblock]$Lookup)", "if (Test-NotFoundError $_) { return $null }", "throw \"could not look the object up")
			}
		}
	}
}

func TestApplyChecksThePriorityAgainstTheRuleCount(t *testing.T) {
	in := baseInputs(RelayOnPrem)
	in.Priority = 2
	a := generated(t, in)[FormatApply]
	requireText(t, "apply.ps1", a,
		"$ruleCount = @(Get-TransportRule -ResultSize Unlimited -ErrorAction Stop).Count",
		"if ($priority -gt $ruleCount) {",
		"a new rule can take 0 to ${ruleCount}")
	// Without --priority there is nothing to check.
	if a := generated(t, baseInputs(RelayOnPrem))[FormatApply]; strings.Contains(a, "$ruleCount") {
		t.Error("apply.ps1 counts rules although no priority was given")
	}
}

func TestApplyAsksForTheSourceServerOffATransportServer(t *testing.T) {
	g := generated(t, baseInputs(PAMSOnPrem))
	a := g[FormatApply]
	resolve := strings.Index(a, "    $SourceServers = Resolve-SourceServers")
	create := strings.Index(a, "New-SendConnector @params")
	if resolve < 0 || create < 0 || resolve > create {
		t.Fatalf("apply.ps1 does not resolve the source server before New-SendConnector (%d, %d)", resolve, create)
	}
	requireText(t, "apply.ps1", a, "\"$($srv.ServerRole)\" -match 'Mailbox|HubTransport'", "Read-Host 'Source server(s) for the send connector (comma-separated)'", "$names -notcontains $c")
	requireText(t, "verify.ps1", g[FormatVerify], "if (Test-LocalTransportServer) {", "which is not a transport server")
	// Servers named with --source-server are used as they are.
	in := baseInputs(PAMSOnPrem)
	in.SourceServers = []string{"EX01"}
	if a := generated(t, in)[FormatApply]; strings.Contains(a, "Resolve-SourceServers") {
		t.Error("apply.ps1 asks for a source server although --source-server was given")
	}
}

func TestOnPremSendConnectorValidatesTheSmartHostCertificate(t *testing.T) {
	_, apply := parseScript(t, generated(t, baseInputs(PAMSOnPrem))[FormatApply])
	requireCalls(t, "apply.ps1", apply, []want{{"New-SendConnector", map[string]any{
		"RequireTLS": true, "TlsAuthLevel": "DomainValidation", "TlsDomain": "smtp.zivver.com",
	}}})
	// An IP smart host has no name a certificate could carry.
	in := baseInputs(RelayOnPrem)
	in.SmartHost = "192.0.2.10"
	_, apply = parseScript(t, generated(t, in)[FormatApply])
	c := requireCalls(t, "apply.ps1", apply, []want{{"New-SendConnector", map[string]any{"TlsAuthLevel": "CertificateValidation"}}})
	if len(c) == 1 && c[0].Has("TlsDomain") {
		t.Error("TlsDomain set for an IP smart host")
	}
	// The gateway connector (no TLS requirement) gets neither.
	_, apply = parseScript(t, generated(t, baseInputs(CryptshareOnPrem))[FormatApply])
	for _, c := range callsOf(apply, "New-SendConnector") {
		if c.Has("TlsAuthLevel") {
			t.Error("TlsAuthLevel without RequireTLS: New-SendConnector refuses it")
		}
	}
}

// CodeTwo's manual: the add-on rule stops processing, and the add-on hands
// the mail back for a second pass where that rule no longer matches; the
// rules below it are not blocked, so verify must not warn about it.
func TestCodeTwoAddonRuleStopIsNotWarnedAbout(t *testing.T) {
	in := baseInputs(CodeTwoOnline)
	in.Priority = 3
	v := generated(t, in)[FormatVerify]
	requireText(t, "verify.ps1", v, "Test-NoStopAbove $RuleName1 $o.Priority @($AddonRuleName)", `$Intended -notcontains "$($_.Name)"`)
	if regexp.MustCompile(`Test-NoStopAbove \$RuleName1 \$o\.Priority @\(\)`).MatchString(v) {
		t.Error("the CodeTwo rule is still checked against the add-on rule's StopRuleProcessing")
	}
}

func TestVerifyFailsOnRulePartsAddedBeyondRelaywizs(t *testing.T) {
	for _, c := range allCases() {
		g := generated(t, c.in)
		v := g[FormatVerify]
		_, apply := parseScript(t, g[FormatApply])
		rules := callsOf(apply, "New-TransportRule")
		if len(rules) == 0 {
			continue
		}
		if n := strings.Count(v, "    Test-OnlyTheseParts "); n != len(rules) {
			t.Errorf("%s: %d rules, %d checks for added conditions/actions", c.name, len(rules), n)
		}
		// Every condition, exception and action apply passes is in the
		// allowed list of that rule's check, and in the list of all of them.
		for _, r := range rules {
			for p := range r.Params {
				if RulePredicateRole(p) == "" {
					continue
				}
				if !strings.Contains(v, PSQuote(p)) {
					t.Errorf("%s: %s is not in verify.ps1's lists", c.name, p)
				}
			}
		}
		requireText(t, "verify.ps1", v, "$RulePredicates = @(", "'ExceptIfSenderIpRanges'", "'RouteMessageOutboundConnector'", "'StopRuleProcessing'", "'SubjectOrBodyContainsWords'")
	}
}

func TestRulePredicateRole(t *testing.T) {
	for prop, want := range map[string]string{
		"SubjectContainsWords": "condition", "ExceptIfSenderIpRanges": "exception", "exceptifheadercontainswords": "exception",
		"RouteMessageOutboundConnector": "action", "StopRuleProcessing": "action", "Mode": "", "Priority": "",
		"SenderAddressLocation": "", "SetAuditSeverity": "", "ExceptIf": "", "ExceptIfRedirectMessageTo": "",
	} {
		if got := RulePredicateRole(prop); got != want {
			t.Errorf("RulePredicateRole(%q) = %q, want %q", prop, got, want)
		}
	}
}
