package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/steps"
)

func TestScenarioListsEveryScenarioWithWhenToPick(t *testing.T) {
	c := newCommon(t, newFixture(t).options())
	h := stepHarness(t, newScenarioStep(c))
	for _, sc := range steps.Scenarios() {
		h.requireView(sc.Title)
	}
	h.requireView("Troubleshoot an existing setup")
	// The explanation follows the cursor.
	first := steps.Scenarios()[0]
	h.requireView("Pick this when:")
	h.key(tea.KeyDown)
	second := steps.Scenarios()[1]
	if first.WhenToPick == second.WhenToPick {
		t.Fatalf("%s and %s share one when-to-pick sentence; each scenario needs its own", first.ID, second.ID)
	}
	h.requireView("> " + second.Title)
	v := h.view()
	if !containsWrapped(v, second.WhenToPick) {
		t.Fatalf("the sentence for %s is not shown:\n%s", second.ID, v)
	}
}

func TestScenarioChooseRecordsAndMovesOn(t *testing.T) {
	c := newCommon(t, newFixture(t).options())
	h := stepHarness(t, newScenarioStep(c))
	h.key(tea.KeyDown).key(tea.KeyDown).key(tea.KeyEnter)
	want := steps.Scenarios()[2]
	if c.Session.Scenario.ID != want.ID || !c.Session.HasScenario {
		t.Fatalf("scenario %q, want %q", c.Session.Scenario.ID, want.ID)
	}
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatal("choosing did not move on")
	}
	if c.Session.Host != want.DefaultSmartHost {
		t.Fatalf("host %q, want the provider default %q", c.Session.Host, want.DefaultSmartHost)
	}
	if c.Session.Inputs.Scenario != want.ID {
		t.Fatalf("inputs not reset to the scenario's defaults: %+v", c.Session.Inputs)
	}
}

func TestScenarioUpWrapsToTroubleshoot(t *testing.T) {
	c := newCommon(t, newFixture(t).options())
	h := stepHarness(t, newScenarioStep(c))
	h.key(tea.KeyUp)
	h.requireView("> Troubleshoot an existing setup")
	h.key(tea.KeyEnter)
	if !h.sawMsg(openTroubleshootMsg{}) {
		t.Fatal("the Troubleshoot entry did not open the Troubleshoot screen")
	}
	if c.Session.HasScenario {
		t.Fatal("Troubleshoot must not pick a scenario")
	}
}

// A user-typed host survives choosing another scenario of the same
// provider; the provider default follows the scenario otherwise.
func TestChooseScenarioKeepsTypedHost(t *testing.T) {
	s := &Session{}
	s.chooseScenario(scenario(t, steps.PAMSOnPrem))
	s.Host = "smtp.eu.example.net"
	s.chooseScenario(scenario(t, steps.RelayOnPrem))
	if s.Host != "smtp.eu.example.net" {
		t.Fatalf("typed host replaced: %q", s.Host)
	}
	s2 := &Session{}
	s2.chooseScenario(scenario(t, steps.CryptshareOnPrem))
	s2.chooseScenario(scenario(t, steps.PAMSOnPrem))
	if s2.Host != steps.ZivverSmartHost {
		t.Fatalf("host %q, want the PAMS default", s2.Host)
	}
}
