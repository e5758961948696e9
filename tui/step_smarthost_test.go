package tui

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/relay"
	"relaywiz/steps"
)

func TestValidateHost(t *testing.T) {
	good := []string{"smtp.zivver.com", " smtp.zivver.com ", "127.0.0.2", "::1", "[::1]", "mail-gw01.example.org", "localhost"}
	bad := []string{"", "  ", "smtp.zivver.com:587", "smtp zivver.com", "user@smtp.example", "-bad.example", "a..b", "exa$mple.com", "mail-gw_01.example.org"}
	for _, h := range good {
		if err := validateHost(h); err != nil {
			t.Errorf("validateHost(%q) = %v, want ok", h, err)
		}
	}
	for _, h := range bad {
		if err := validateHost(h); err == nil {
			t.Errorf("validateHost(%q) accepted", h)
		}
	}
}

// The wizard must never save a host that check and doctor refuse, nor
// refuse one they accept: one rule, checks.ValidateHost on the trimmed
// text.
func TestValidateHostAgreesWithCheck(t *testing.T) {
	for _, h := range []string{"smtp.zivver.com", " smtp.zivver.com\t", "mail_gw.example.org", "_dmarc.example.org", "smtp.example.123",
		"127.0.0.2", "[::1]", "smtp.zivver.com:587", "exa$mple.com", "a..b", "-x.example", "smtp.example.org."} {
		wizard, cli := validateHost(h), checks.ValidateHost(strings.TrimSpace(h))
		if (wizard == nil) != (cli == nil) {
			t.Errorf("%q: wizard says %v, check says %v", h, wizard, cli)
		}
	}
}

// The ports field follows checks.ParsePorts: the same list syntax as
// `check --ports` and `doctor --alt-ports`.
func TestValidatePortsIsCheckRule(t *testing.T) {
	for _, in := range []string{"25, 587", "587", "25 587 25", "2525,2587"} {
		if err := validatePorts(in); err != nil {
			t.Errorf("validatePorts(%q) = %v", in, err)
		}
	}
	for _, in := range []string{"", "0", "70000", "smtp", "1,2,3,4,5", "25,,587", "2525;2587"} {
		err := validatePorts(in)
		if err == nil {
			t.Errorf("validatePorts(%q) accepted", in)
			continue
		}
		if _, cliErr := checks.ParsePorts(in); cliErr == nil || cliErr.Error() != err.Error() {
			t.Errorf("validatePorts(%q): wizard %v, check %v", in, err, cliErr)
		}
	}
}

func smartHostHarness(t *testing.T, o Options, id steps.ScenarioID) (*Common, *harness) {
	c := newCommon(t, o)
	c.Session.chooseScenario(scenario(t, id))
	return c, stepHarness(t, newSmartHostStep(c))
}

func TestSmartHostProviderDefaultsAndSubmit(t *testing.T) {
	c, h := smartHostHarness(t, newFixture(t).options(), steps.PAMSOnPrem)
	h.requireView("> smtp.zivver.com", "> 25, 587")
	h.clear().typeLine("smtp.eu.example.net").clear().typeLine("587").key(tea.KeyEnter).key(tea.KeyEnter)
	ses := c.Session
	if ses.Host != "smtp.eu.example.net" || !reflect.DeepEqual(ses.Ports, []int{587}) || ses.UseLab {
		t.Fatalf("session not updated: host %q ports %v lab %v", ses.Host, ses.Ports, ses.UseLab)
	}
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatal("did not move on")
	}
}

func TestSmartHostRejectsHostWithPort(t *testing.T) {
	c, h := smartHostHarness(t, newFixture(t).options(), steps.PAMSOnPrem)
	h.clear().typeLine("smtp.zivver.com:587")
	h.requireView("give the host name only")
	if h.sawMsg(nextStepMsg{}) || c.Session.Host == "smtp.zivver.com:587" {
		t.Fatal("an invalid host was accepted")
	}
}

func fakeLab(t *testing.T) *relay.Lab {
	return &relay.Lab{Addr: "127.0.0.1:2587", CAFile: "/tmp/lab/relaywiz-lab-ca.pem", User: "relaywiz", Password: "lab-secret", Dir: t.TempDir()}
}

func TestSmartHostLabUsesLabAddressAndLogin(t *testing.T) {
	o := newFixture(t).options()
	lab := fakeLab(t)
	starts := 0
	o.StartLab = func(ctx context.Context, dir string) (*relay.Lab, error) {
		starts++
		return lab, nil
	}
	c, h := smartHostHarness(t, o, steps.PAMSOnPrem)
	h.requireView("A lab smart host on this machine")
	h.key(tea.KeyDown).key(tea.KeyEnter)
	ses := c.Session
	if !ses.UseLab || ses.Host != "127.0.0.1" || !reflect.DeepEqual(ses.Ports, []int{2587}) || ses.CAFile != lab.CAFile {
		t.Fatalf("lab not used: %+v", ses)
	}
	if ses.User != "relaywiz" || string(ses.Password()) != "lab-secret" {
		t.Fatal("the lab's login was not taken")
	}
	// Coming back and choosing the lab again reuses the running lab.
	h.run(h.m.(Step).Enter())
	h.settle()
	h.key(tea.KeyEnter)
	if starts != 1 {
		t.Fatalf("lab started %d times", starts)
	}
	// Switching to the provider forgets the lab's login.
	h.run(h.m.(Step).Enter())
	h.settle()
	h.key(tea.KeyUp).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	if ses.UseLab || ses.User != "" || ses.HasPassword() || ses.Host != steps.ZivverSmartHost {
		t.Fatalf("provider after lab: lab %v user %q password %v host %q", ses.UseLab, ses.User, ses.HasPassword(), ses.Host)
	}
}

func TestSmartHostLabFailureIsShown(t *testing.T) {
	o := newFixture(t).options()
	o.StartLab = func(ctx context.Context, dir string) (*relay.Lab, error) {
		return nil, errors.New("listen tcp 127.0.0.1:0: address in use")
	}
	c, h := smartHostHarness(t, o, steps.PAMSOnPrem)
	h.key(tea.KeyDown).key(tea.KeyEnter)
	h.requireView("could not start the lab smart host", "address in use", "Which smart host")
	if c.Session.UseLab || h.sawMsg(nextStepMsg{}) {
		t.Fatal("moved on without a lab")
	}
}
