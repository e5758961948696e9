package tui

import (
	"net"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/steps"
)

func detailsHarness(t *testing.T, id steps.ScenarioID, prep func(*Session)) (*Common, *harness) {
	c := newCommon(t, newFixture(t).options())
	ses := c.Session
	ses.chooseScenario(scenario(t, id))
	if prep != nil {
		prep(ses)
	}
	return c, stepHarness(t, newDetailsStep(c))
}

// submitAll presses enter through every question.
func submitAll(h *harness, n int) {
	for i := 0; i < n; i++ {
		h.key(tea.KeyEnter)
	}
}

// Only the questions the scenario reads are asked.
func TestDetailsAsksOnlyWhatTheScenarioNeeds(t *testing.T) {
	_, h := detailsHarness(t, steps.PAMSOnPrem, nil)
	h.requireView("Placeholder domain", "> zivver.org", "Contact alias", "> relay")
	h.requireNoView("Gateway IPv4", "Subject words", "Existing connectors")

	_, h = detailsHarness(t, steps.CryptshareOnline, nil)
	h.requireView("Subject words", "> [confidential]", "Gateway IPv4")
	h.requireNoView("Placeholder domain", "Sensitivity label")

	_, h = detailsHarness(t, steps.RelayOnline, nil)
	h.requireView("Subject words", "Sensitivity label GUIDs", "Sender addresses")
}

func TestDetailsDefaultsSubmitToValidInputs(t *testing.T) {
	c, h := detailsHarness(t, steps.PAMSOnPrem, func(s *Session) {
		s.useProvider("smtp.zivver.com", []int{25, 587}, "", "")
		s.Port, s.PortReason = 587, "Port 25 failed at TCP connect (timeout), but 587 works: the connector and the live test use port 587 instead."
	})
	h.requireView("The connector sends to smtp.zivver.com on port 587.", "but 587 works")
	submitAll(h, len(c.Session.Scenario.Fields))
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatalf("defaults were not accepted:\n%s", h.view())
	}
	in := c.Session.Inputs
	if err := in.Validate(); err != nil {
		t.Fatalf("inputs invalid: %v", err)
	}
	if in.SmartHost != "smtp.zivver.com" || in.Port != 587 || in.PlaceholderDomain != "zivver.org" || !c.Session.HaveInputs {
		t.Fatalf("inputs %+v", in)
	}
}

// Errors come from steps.Validate and name the field.
func TestDetailsValidationNamesTheField(t *testing.T) {
	c, h := detailsHarness(t, steps.PAMSOnPrem, nil)
	h.clear().typeLine("not a domain")
	h.requireView("placeholder-domain:")
	if h.sawMsg(nextStepMsg{}) {
		t.Fatal("moved on with an invalid domain")
	}
	h.clear().typeLine("zivver.org")
	h.requireNoView("placeholder-domain:")
	_ = c
}

func TestDetailsGatewayRequiredAndPrefilled(t *testing.T) {
	c, h := detailsHarness(t, steps.CryptshareOnline, nil)
	h.key(tea.KeyEnter) // subject word
	h.key(tea.KeyEnter) // empty gateway
	h.requireView("gateway-ip:", "is required")
	if h.sawMsg(nextStepMsg{}) {
		t.Fatal("moved on without the gateway")
	}
	_ = c

	c2, h2 := detailsHarness(t, steps.CryptshareOnPrem, func(s *Session) {
		s.useProvider("192.0.2.25", []int{25}, "", "")
	})
	h2.requireView("> 192.0.2.25")
	if c2.Session.Inputs.GatewayIP != "192.0.2.25" {
		t.Fatalf("gateway not prefilled from the smart host: %+v", c2.Session.Inputs)
	}
}

func TestDetailsTriggersParsed(t *testing.T) {
	c, h := detailsHarness(t, steps.RelayOnline, nil)
	h.clear().typeLine("Secure, Vertrouwelijk")
	h.runes("not-a-guid").key(tea.KeyEnter)
	h.requireView("trigger:", "not-a-guid")
	h.clear().key(tea.KeyEnter)
	h.typeLine("app@example.com")
	submitAll(h, 3) // name, priority, test recipient
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatalf("did not move on:\n%s", h.view())
	}
	want := []steps.Trigger{{Kind: steps.TriggerSubject, Value: "Secure"}, {Kind: steps.TriggerSubject, Value: "Vertrouwelijk"},
		{Kind: steps.TriggerSender, Value: "app@example.com"}}
	if !reflect.DeepEqual(c.Session.Inputs.Triggers, want) {
		t.Fatalf("triggers %+v", c.Session.Inputs.Triggers)
	}
	if c.Session.Inputs.Port != 25 {
		t.Fatalf("Exchange Online port %d, want 25", c.Session.Inputs.Port)
	}
}

func TestConnectorTarget(t *testing.T) {
	ses := &Session{}
	ses.chooseScenario(scenario(t, steps.PAMSOnPrem))
	ses.useProvider("smtp.zivver.com", []int{25, 587}, "", "")
	ses.Port = 25
	if h, p := connectorTarget(ses); h != "smtp.zivver.com" || p != 25 {
		t.Errorf("on-prem: %s:%d", h, p)
	}
	ses.Port = 2525 // not a connector port: the scenario's default
	if _, p := connectorTarget(ses); p != 587 {
		t.Errorf("odd port: %d", p)
	}
	ses.UseLab, ses.Host, ses.Port = true, "127.0.0.1", 41000
	if h, p := connectorTarget(ses); h != steps.ZivverSmartHost || p != 587 {
		t.Errorf("lab: %s:%d, want the provider's", h, p)
	}
	online := &Session{}
	online.chooseScenario(scenario(t, steps.PAMSOnline))
	online.useProvider("smtp.zivver.com", []int{587}, "", "")
	online.Port = 587
	if _, p := connectorTarget(online); p != 25 {
		t.Errorf("online port %d, want 25", p)
	}
	c2 := &Session{}
	c2.chooseScenario(scenario(t, steps.CodeTwoOnline))
	if h, p := connectorTarget(c2); h != "" || p != 0 {
		t.Errorf("codetwo: %q:%d, want none", h, p)
	}
}

func TestSplitList(t *testing.T) {
	got := splitList(" a, b ;c,, ")
	if strings.Join(got, "|") != "a|b|c" {
		t.Fatalf("splitList = %q", got)
	}
}

// On-premises Cryptshare switches the named connectors off; the question
// says so instead of asking for connectors to keep.
func TestDetailsCryptshareConnectorsSaySwitchedOff(t *testing.T) {
	f := newFixture(t)
	c := newCommon(t, f.options())
	c.Session.chooseScenario(scenario(t, steps.CryptshareOnPrem))
	c.Session.useProvider("192.0.2.25", []int{25}, "", "")
	h := stepHarness(t, newDetailsStep(c))
	h.send(tea.WindowSizeMsg{Width: 100, Height: 60})
	h.requireWrapped("Existing connectors to switch off (optional)", "apply.ps1 switches them off (kept, not deleted")
}

// The manuals' example placeholder domain is looked up (through the
// injected resolver) when step 5 opens, and a warning shown if it exists;
// a domain the admin chose is not looked up.
func TestDetailsWarnsWhenDefaultPlaceholderExists(t *testing.T) {
	f := newFixture(t)
	f.dns.mx = map[string][]*net.MX{"zivver.org": {{Host: "mx.zivver.org.", Pref: 10}}}
	c := newCommon(t, f.options())
	c.Session.chooseScenario(scenario(t, steps.RelayOnPrem))
	c.Session.useProvider("smtp.zivver.com", []int{587}, "", "")
	h := stepHarness(t, newDetailsStep(c))
	h.requireWrapped("The placeholder domain zivver.org (the manuals' example) exists in public DNS (MX 10 mx.zivver.org)")

	f = newFixture(t)
	f.dns.mx = map[string][]*net.MX{"zivver.org": {{Host: "mx.zivver.org.", Pref: 10}}}
	c = newCommon(t, f.options())
	c.Session.chooseScenario(scenario(t, steps.RelayOnPrem))
	c.Session.Inputs.PlaceholderDomain = "relay-placeholder.invalid"
	c.Session.HaveInputs = true
	h = stepHarness(t, newDetailsStep(c))
	h.requireNoView("exists in public DNS")
}
