package steps

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// export.ps1 is handed to customers whose Exchange nobody else may touch:
// these tests prove from the script itself that it can only read.

// reCmdletWord finds Verb-Noun words in code (a parameter like
// -ErrorAction starts with a dash and is not one).
var reCmdletWord = regexp.MustCompile(`(?:^|[^-\w.])([A-Z][A-Za-z]+-[A-Z][A-Za-z]+)\b`)

// localCmdlets are the PowerShell built-ins export.ps1 may use: they touch
// neither Exchange nor anything but the output file.
var localCmdlets = map[string]bool{
	"ForEach-Object": true, "Where-Object": true, "ConvertTo-Json": true, "Write-Host": true, "Join-Path": true,
}

func exportText(t *testing.T) string {
	t.Helper()
	a, err := ExportScript()
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "export.ps1" || a.Format != FormatExport {
		t.Fatalf("artifact %s/%s", a.Name, a.Format)
	}
	return a.Text
}

// cmdletsIn returns every cmdlet-shaped word in the code of a script
// (outside comments and single-quoted strings), and the functions the
// script defines itself.
func cmdletsIn(t *testing.T, src string) (used []string, defined map[string]bool) {
	t.Helper()
	toks, err := lexPS(src)
	if err != nil {
		t.Fatalf("export.ps1 does not lex: %v", err)
	}
	defined = map[string]bool{}
	reFunc := regexp.MustCompile(`\bfunction\s+([A-Za-z]+-[A-Za-z]+)`)
	for _, tok := range toks {
		if tok.kind != tokCode && tok.kind != tokDouble {
			continue
		}
		for _, m := range reFunc.FindAllStringSubmatch(tok.text, -1) {
			defined[m[1]] = true
		}
		for _, m := range reCmdletWord.FindAllStringSubmatch(tok.text, -1) {
			used = append(used, m[1])
		}
	}
	return used, defined
}

func TestExportScriptOnlyReads(t *testing.T) {
	src := exportText(t)
	// The scanner itself must see a change hidden in a pipeline or a
	// scriptblock, or this test could not fail.
	probe, _ := cmdletsIn(t, "$x = @(Get-TransportRule | ForEach-Object { Set-TransportRule -Identity $_.Name -Enabled $false })")
	if strings.Join(probe, ",") != "Get-TransportRule,ForEach-Object,Set-TransportRule" {
		t.Fatalf("cmdlet scanner read %v", probe)
	}
	used, defined := cmdletsIn(t, src)
	exchangeGets := map[string]bool{}
	for _, c := range used {
		verb, _, _ := strings.Cut(c, "-")
		switch {
		case defined[c]:
			if verb != "ConvertTo" {
				t.Errorf("export.ps1 defines %s; its own helpers only convert values", c)
			}
		case localCmdlets[c]:
		case verb == "Get":
			exchangeGets[c] = true
		default:
			t.Errorf("export.ps1 calls %s: only Get- cmdlets (and %v) are allowed", c, keys(localCmdlets))
		}
	}
	// Every object kind of the contract is read, each with the cmdlet
	// Microsoft documents for it.
	for _, c := range []string{"Get-OrganizationConfig", "Get-AcceptedDomain", "Get-MailContact", "Get-SendConnector",
		"Get-OutboundConnector", "Get-InboundConnector", "Get-TransportRule", "Get-HostedConnectionFilterPolicy"} {
		if !exchangeGets[c] {
			t.Errorf("export.ps1 never calls %s", c)
		}
	}
	// It never signs in or changes anything itself, not even in a
	// scriptblock built at run time.
	for _, bad := range []string{"Invoke-Expression", "iex ", "Connect-ExchangeOnline -", "AuthenticationCredential", "Get-Credential", "Set-Content", "Out-File"} {
		_, calls := parseScript(t, src)
		for _, c := range calls {
			if strings.EqualFold(c.Cmdlet, strings.TrimSpace(bad)) {
				t.Errorf("export.ps1 line %d calls %s", c.Line, c.Cmdlet)
			}
		}
	}
	if strings.Contains(src, ".AuthenticationCredential") {
		t.Error("export.ps1 reads a connector's credential")
	}
}

func TestExportScriptReadsEveryObjectWithStop(t *testing.T) {
	_, calls := parseScript(t, exportText(t))
	n := 0
	for _, c := range calls {
		verb, noun, _ := strings.Cut(c.Cmdlet, "-")
		if verb != "Get" || noun == "Command" || noun == "Date" || noun == "Location" {
			continue
		}
		n++
		if c.Params["ErrorAction"] != psRaw("Stop") {
			t.Errorf("line %d: %s without -ErrorAction Stop: a permission error would leave a partial export", c.Line, c.Cmdlet)
		}
	}
	if n < 8 {
		t.Errorf("only %d Exchange reads found", n)
	}
	// Without -ResultSize Unlimited, Get-MailContact and Get-TransportRule
	// stop at 1000 objects and the audit would judge part of the org.
	for _, name := range []string{"Get-MailContact", "Get-TransportRule"} {
		for _, c := range callsOf(calls, name) {
			if c.Params["ResultSize"] != psRaw("Unlimited") {
				t.Errorf("line %d: %s without -ResultSize Unlimited", c.Line, name)
			}
		}
	}
}

// The contract's property names (README "Export contract") are the keys
// the script writes, per object kind.
func TestExportScriptWritesTheContract(t *testing.T) {
	src := exportText(t)
	sections := map[string][]string{
		"Get-AcceptedDomain": {"Name", "DomainName", "DomainType", "Default"},
		"Get-MailContact":    {"Name", "Alias", "ExternalEmailAddress", "PrimarySmtpAddress"},
		"Get-SendConnector": {"Name", "Enabled", "AddressSpaces", "SmartHosts", "Port", "DNSRoutingEnabled",
			"SmartHostAuthMechanism", "RequireTLS", "TlsAuthLevel", "TlsDomain", "IsScopedConnector",
			"SourceTransportServers", "MaxMessageSize", "Fqdn"},
		"Get-OutboundConnector": {"Name", "Enabled", "ConnectorType", "IsTransportRuleScoped", "RecipientDomains",
			"SmartHosts", "UseMXRecord", "TlsSettings", "TlsDomain"},
		"Get-InboundConnector":             {"Name", "Enabled", "ConnectorType", "SenderDomains", "SenderIPAddresses", "RequireTls"},
		"Get-HostedConnectionFilterPolicy": {"Name", "IPAllowList"},
	}
	for cmdlet, props := range sections {
		at := strings.Index(src, "@("+cmdlet+" -")
		if at < 0 {
			t.Errorf("no %s call", cmdlet)
			continue
		}
		end := strings.Index(src[at:], "})")
		block := src[at : at+end]
		for _, p := range props {
			if !regexp.MustCompile(`\n\s+` + p + `\s+= ConvertTo-Export\w+ \$_\.` + p + `\n`).MatchString(block) {
				t.Errorf("%s block does not write %s from the property of the same name", cmdlet, p)
			}
		}
	}
	for _, key := range []string{"relaywizExport", "platform", "organization", "exportedAt", "acceptedDomains", "mailContacts",
		"sendConnectors", "outboundConnectors", "inboundConnectors", "transportRules", "connectionFilter"} {
		if !strings.Contains(src, key) {
			t.Errorf("export.ps1 does not write %s", key)
		}
	}
	requireText(t, "export.ps1", src, "$ExportVersion = 1", "ConvertTo-Json -Depth 6", "Write-Host \"relaywiz export written to: $path\"",
		"[System.IO.File]::WriteAllText($path, $json)", "Get-TransportRule -ResultSize Unlimited")
}

// The same bytes come out of every scenario's Generate and of
// ExportScript, so support can send one script to any customer.
func TestExportScriptIsTheSameForEveryScenario(t *testing.T) {
	want := exportText(t)
	for _, c := range allCases() {
		if got := generated(t, c.in)[FormatExport]; got != want {
			t.Fatalf("%s: export.ps1 differs from ExportScript()", c.name)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
