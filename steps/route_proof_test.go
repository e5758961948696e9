package steps_test

import (
	"strings"
	"testing"

	"relaywiz/audit"
	"relaywiz/exchange"
	"relaywiz/steps"
)

// The routing proof: for every case of the golden matrix (every scenario,
// every trigger kind and combination, every option set), the plan that
// the golden artifacts are rendered from, applied to a model organisation,
// sends the triggered messages to the provider, keeps ordinary outside
// mail away from it, keeps internal mail inside and never loops.
func TestPlanRoutesAsIntended(t *testing.T) {
	names, inputs := steps.GoldenCases()
	for i, in := range inputs {
		t.Run(names[i], func(t *testing.T) {
			rep, err := audit.Run(audit.Options{Inputs: in})
			if err != nil {
				t.Fatal(err)
			}
			assertHolds(t, rep)
			assertCovers(t, in, rep)
		})
	}
}

// ... and it still holds with each common neighbour, unless the neighbour
// is one that breaks it (a stop-processing rule above relaywiz's rules, an
// unnamed Internet connector competing with the Cryptshare gateway's *):
// then the audit fails and names that neighbour, and the emitted checklist
// and apply.ps1 say what to do about it.
func TestPlanRoutesWithNeighbours(t *testing.T) {
	names, inputs := steps.GoldenCases()
	broken := map[string]int{}
	for i, in := range inputs {
		for _, n := range audit.Neighbours(in) {
			t.Run(names[i]+"/"+n.ID, func(t *testing.T) {
				rep, err := audit.Run(audit.Options{Inputs: in, Neighbours: []audit.Neighbour{n}})
				if err != nil {
					t.Fatal(err)
				}
				if !n.MayBreak || rep.Exit() == 0 {
					assertHolds(t, rep)
					return
				}
				broken[n.ID]++
				assertBrokenBy(t, rep, n.Name)
				assertArtifactsWarn(t, in, n)
			})
		}
		t.Run(names[i]+"/all-harmless", func(t *testing.T) {
			var ns []audit.Neighbour
			for _, n := range audit.Neighbours(in) {
				if !n.MayBreak {
					ns = append(ns, n)
				}
			}
			rep, err := audit.Run(audit.Options{Inputs: in, Neighbours: ns})
			if err != nil {
				t.Fatal(err)
			}
			assertHolds(t, rep)
		})
	}
	// The breaking neighbours did break something (the PAMS plans at the
	// default priority, the Cryptshare gateway next to an unnamed Internet
	// connector), so the branch above is exercised.
	if broken["disclaimer-stop"] < 10 || broken["internet-connector"] < 1 {
		t.Errorf("breaks seen: %v", broken)
	}
}

// A stop-processing rule on top no longer breaks the route once relaywiz's
// rules come first (--priority 0), which is the fix the finding names.
func TestPriorityZeroSurvivesAStopRuleOnTop(t *testing.T) {
	for _, id := range []steps.ScenarioID{steps.PAMSOnPrem, steps.PAMSOnline, steps.RelayOnline, steps.RelayOnPrem, steps.CryptshareOnline} {
		in := steps.Defaults(id)
		if id == steps.CryptshareOnline {
			in.GatewayIP = "203.0.113.25"
		}
		in.Priority = 0
		var stop []audit.Neighbour
		for _, n := range audit.Neighbours(in) {
			if n.ID == "disclaimer-stop" {
				stop = append(stop, n)
			}
		}
		if len(stop) != 1 || stop[0].MayBreak {
			t.Fatalf("%s: the stop rule should not break a plan at priority 0: %+v", id, stop)
		}
		rep, err := audit.Run(audit.Options{Inputs: in, Neighbours: stop})
		if err != nil {
			t.Fatal(err)
		}
		assertHolds(t, rep)
	}
}

func assertHolds(t *testing.T, rep audit.Report) {
	t.Helper()
	for _, m := range rep.Messages {
		if !m.OK {
			t.Errorf("%s: verdict %s, intended %s: %s", m.Label, m.Verdict, m.Intent, m.Reason)
		}
		if m.Verdict == string(exchange.VerdictLoop) {
			t.Errorf("%s loops", m.Label)
		}
	}
	for _, f := range rep.Findings {
		if f.Severity == "fail" {
			t.Errorf("finding: %+v", f)
		}
	}
	if rep.Exit() != 0 {
		t.Errorf("exit %d, want 0", rep.Exit())
	}
}

// assertCovers checks the audit really tried what it promises: one
// triggered message per trigger, an internal message, and (where the
// scenario has untriggered mail) an ordinary outside message.
func assertCovers(t *testing.T, in steps.Inputs, rep audit.Report) {
	t.Helper()
	count := map[audit.Intent]int{}
	for _, m := range rep.Messages {
		count[m.Intent]++
	}
	wantTriggered := max(1, len(in.Triggers))
	if in.Scenario == steps.CryptshareOnline {
		wantTriggered = 1 + len(in.Triggers)
	}
	if count[audit.IntentProvider] != wantTriggered || count[audit.IntentInternal] != 1 {
		t.Errorf("messages by intent %v, want %d triggered and 1 internal", count, wantTriggered)
	}
	if in.Scenario != steps.CryptshareOnPrem && count[audit.IntentNotProvider] == 0 {
		t.Errorf("no message that must not reach the provider")
	}
}

func assertBrokenBy(t *testing.T, rep audit.Report, object string) {
	t.Helper()
	if rep.Exit() == 0 {
		t.Fatalf("the audit passes, but neighbour %q should break the route", object)
	}
	for _, f := range rep.Findings {
		if f.Severity == "fail" && f.Object == object {
			return
		}
	}
	t.Fatalf("no failing finding names %q: %+v", object, rep.Findings)
}

// assertArtifactsWarn: the checklist and apply.ps1 tell the admin about
// the neighbour that breaks the route.
func assertArtifactsWarn(t *testing.T, in steps.Inputs, n audit.Neighbour) {
	t.Helper()
	arts, err := steps.Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	checklist, _ := steps.Find(arts, steps.FormatChecklist)
	apply, _ := steps.Find(arts, steps.FormatApply)
	switch n.ID {
	case "disclaimer-stop":
		if !strings.Contains(checklist.Text, "**Stop processing more rules** switched on") {
			t.Error("checklist.md does not warn about a stop-processing rule above relaywiz's rules")
		}
		if !strings.Contains(apply.Text, "Test-StopAbove") || !strings.Contains(apply.Text, "Write-Warning \"rule '$($s.Name)'") {
			t.Error("apply.ps1 does not name a stop-processing rule above relaywiz's rules")
		}
		// Every rule is checked, whether apply.ps1 creates it or finds it.
		if got, want := strings.Count(apply.Text, "    Test-StopAbove "), 2*len(steps.PlannedRules(in)); got != want {
			t.Errorf("apply.ps1 has %d rule checks, want %d (created and existing, for each of the plan's rules)", got, want)
		}
	case "internet-connector":
		if !strings.Contains(apply.Text, "also sends to all domains (*) and competes with the gateway connector") {
			t.Error("apply.ps1 does not name another send connector for all domains")
		}
		if !strings.Contains(checklist.Text, "check that no other connector competes") {
			t.Error("checklist.md has no step about competing connectors for *")
		}
	default:
		t.Fatalf("neighbour %s breaks the route but no test says how the artifacts warn about it", n.ID)
	}
}

// The add-on's rule stops processing on purpose (CodeTwo's manual: only
// in the first pass): apply.ps1 must not warn about it, whatever priority
// the smart-host rules get.
func TestApplyDoesNotWarnAboutTheAddonRule(t *testing.T) {
	for _, prio := range []int{steps.PriorityAuto, 3} {
		in := steps.Defaults(steps.CodeTwoOnline)
		in.Connectors, in.AddonRule, in.Priority = []string{"Mimecast Outbound"}, "CodeTwo Exchange Rule", prio
		arts, err := steps.Generate(in)
		if err != nil {
			t.Fatal(err)
		}
		apply, _ := steps.Find(arts, steps.FormatApply)
		if got := strings.Count(apply.Text, "Test-StopAbove $RuleName1 $AddonRuleName"); got != 2 {
			t.Errorf("priority %d: %d checks exempt the add-on rule, want 2 (created and existing)", prio, got)
		}
	}
}
