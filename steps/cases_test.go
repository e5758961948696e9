package steps

import (
	"sort"
	"strings"
)

// testCase is one set of answers the tests generate artifacts for. The
// cases cover every scenario and, for scenarios with triggers, every
// combination of trigger kinds the scenario accepts.
type testCase struct {
	name string // also the golden directory: testdata/golden/<name>
	in   Inputs
}

// Sample values for the inputs that have no default. Addresses and IPs
// are from the documentation ranges (RFC 5737, example.com).
const (
	sampleGatewayPublic  = "203.0.113.25"
	sampleGatewayPrivate = "192.0.2.25"
	sampleLabelGUID      = "0F4C5A7E-3B0A-4D8E-9A51-2C6D8E7F9A10"
	sampleSender         = "invoices@example.com"
	sampleAddonRule      = "CodeTwo Exchange Rule"
)

// sampleTrigger gives a value for each trigger kind.
func sampleTrigger(k TriggerKind) Trigger {
	switch k {
	case TriggerSubject:
		return Trigger{Kind: k, Value: "Secure"}
	case TriggerLabel:
		return Trigger{Kind: k, Value: sampleLabelGUID}
	}
	return Trigger{Kind: k, Value: sampleSender}
}

// baseInputs returns the defaults plus the required values a scenario
// cannot default.
func baseInputs(id ScenarioID) Inputs {
	in := Defaults(id)
	switch id {
	case CryptshareOnPrem:
		in.GatewayIP = sampleGatewayPrivate
	case CryptshareOnline:
		in.GatewayIP = sampleGatewayPublic
	case CodeTwoOnline:
		in.Connectors = []string{"Mimecast Outbound"}
		in.AddonRule = sampleAddonRule
	}
	return in
}

// triggerSubsets returns every non-empty subset of kinds, in a stable order.
func triggerSubsets(kinds []TriggerKind) [][]TriggerKind {
	var out [][]TriggerKind
	for mask := 1; mask < 1<<len(kinds); mask++ {
		var set []TriggerKind
		for i, k := range kinds {
			if mask&(1<<i) != 0 {
				set = append(set, k)
			}
		}
		out = append(out, set)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) < len(out[j]) })
	return out
}

func kindsName(kinds []TriggerKind) string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = string(k)
	}
	return strings.Join(parts, "+")
}

// allCases builds the matrix.
func allCases() []testCase {
	var cases []testCase
	for _, s := range Scenarios() {
		base := baseInputs(s.ID)
		if len(s.TriggerKinds) == 0 {
			cases = append(cases, testCase{string(s.ID) + "/default", base})
		} else {
			if s.ID == CryptshareOnline {
				// The OWA subject rule is optional: without a trigger only
				// the X-CS-Sensitivity rule is made.
				in := base.Clone()
				in.Triggers = nil
				cases = append(cases, testCase{string(s.ID) + "/no-trigger", in})
			}
			for _, set := range triggerSubsets(s.TriggerKinds) {
				in := base.Clone()
				in.Triggers = nil
				for _, k := range set {
					in.Triggers = append(in.Triggers, sampleTrigger(k))
				}
				cases = append(cases, testCase{string(s.ID) + "/" + kindsName(set), in})
			}
		}
	}

	// Non-default answers: explicit servers, port, size and priority, and
	// names with quotes that must survive PowerShell quoting.
	pams := baseInputs(PAMSOnPrem)
	pams.Name = "O'Brien’s PAMS"
	pams.SourceServers = []string{"EX01", "ex02.corp.example.com"}
	pams.Port = 25
	pams.MaxSizeMB = 40
	pams.Priority = 0
	pams.PlaceholderDomain = "zivver-relay.invalid"
	pams.ContactAlias = "zivver.relay"
	pams.TestRecipient = "someone@example.net"
	cases = append(cases, testCase{"pams-onprem/custom", pams})

	relay := baseInputs(RelayOnPrem)
	relay.Triggers = []Trigger{{TriggerSubject, "Secure"}, {TriggerSubject, "[vertrouwelijk]"}, {TriggerSender, "o'brien@example.com"}, {TriggerSender, sampleSender}}
	relay.Priority = 2
	cases = append(cases, testCase{"relay-onprem/several-values", relay})

	cmg := baseInputs(CryptshareOnPrem)
	cmg.Connectors = []string{"Internet", "Internet backup"}
	cmg.MaxSizeMB = 100
	cmg.SmartHost = "cmg.example.com"
	cmg.SourceServers = []string{"EX01"}
	cases = append(cases, testCase{"cryptshare-onprem/disable-old", cmg})

	two := baseInputs(CodeTwoOnline)
	two.Connectors = []string{"Mimecast Outbound", "Proofpoint to the internet, the long connector name"}
	cases = append(cases, testCase{"codetwo-online/two-connectors", two})

	validated := baseInputs(RelayOnline)
	validated.TestRecipient = "someone@example.net"
	cases = append(cases, testCase{"relay-online/with-test-recipient", validated})

	fixed := baseInputs(CodeTwoOnline)
	fixed.Priority = 3
	cases = append(cases, testCase{"codetwo-online/fixed-priority", fixed})
	return cases
}
