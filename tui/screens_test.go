package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/steps"
)

// Every step and error state of the wizard at 80×24, as golden files
// (testdata/TestWizardScreens80x24/*.golden; go test ./tui -run Screens80x24
// -update rewrites them). Each screen must also fill exactly 80×24, so the
// footer with the keys and the field errors is always visible.

// screenRoot is a wizard on the provider's smart host with a proven login,
// ready to be sent to any step.
func screenRoot(t *testing.T, f *fixture, o Options) (*Model, *harness) {
	t.Helper()
	m, h := newRoot(t, o)
	ses := m.Session()
	ses.chooseScenario(scenario(t, steps.RelayOnPrem))
	ses.useProvider("smtp.zivver.com", []int{25, 587}, "", "")
	return m, h
}

func shot(t *testing.T, h *harness, name string) {
	t.Helper()
	v := h.view()
	requireFrame(t, v, 80, 24, name)
	t.Run(name, func(t *testing.T) { golden.RequireEqual(t, []byte(v)) })
}

func TestWizardScreens80x24(t *testing.T) {
	// 1 Scenario
	f := newFixture(t)
	_, h := newRoot(t, f.options())
	shot(t, h, "1-scenario")

	// 2 Smart host, then a host with a port (error in the footer), then a
	// CA file that does not exist (checked when the form is submitted)
	f = newFixture(t)
	_, h = screenRoot(t, f, f.options())
	h.send(gotoStepMsg{StepSmartHost})
	shot(t, h, "2-smart-host")
	h.clear().typeLine("smtp.zivver.com:587")
	shot(t, h, "2-smart-host-error")
	h.clear().typeLine("smtp.zivver.com").key(tea.KeyEnter).typeLine("/nonexistent/relaywiz-ca.pem").key(tea.KeyEnter)
	h.waitFor("the CA file check", func() bool { return containsWrapped(h.view(), "Extra CA certificate: /nonexistent") })
	shot(t, h, "2-smart-host-ca-missing")

	// 3 Connectivity: passed, its detail view, and a failure
	f = newFixture(t)
	_, h = screenRoot(t, f, f.options())
	h.send(gotoStepMsg{StepConnectivity})
	shot(t, h, "3-connectivity")
	h.runes("d")
	shot(t, h, "3-connectivity-details")
	f = newFixture(t)
	f.checker.ports[25] = portScript{failAt: checks.StageConnect, detail: "smtp.zivver.com:25 timed out", hint: "Outbound port 25 is blocked on this network; use 587."}
	f.checker.ports[587] = portScript{failAt: checks.StageTLS, detail: "x509: certificate signed by unknown authority", hint: "If the provider uses a private CA, pass its certificate with --ca-file."}
	_, h = screenRoot(t, f, f.options())
	h.send(gotoStepMsg{StepConnectivity})
	shot(t, h, "3-connectivity-failed")

	// 4 Credentials: the form, a refused login, the keyring unavailable,
	// and a keyring that cannot be read (the recipe folded)
	f = newFixture(t)
	m, h := screenRoot(t, f, f.options())
	m.Session().Port = 587
	h.send(gotoStepMsg{StepCredentials})
	shot(t, h, "4-credentials")
	h.typeLine("svc@example.net").typeLine("wrong")
	shot(t, h, "4-credentials-refused")
	o := f.options()
	o.Creds = brokenStore{}
	m, h = screenRoot(t, f, o)
	m.Session().Port = 587
	h.send(gotoStepMsg{StepCredentials})
	h.typeLine("svc@example.net").typeLine("right")
	shot(t, h, "4-credentials-keyring-unavailable")
	o.Creds = failingGetStore{&creds.UnavailableError{Op: "read", Reason: creds.ReasonLocked,
		Detail: "the Secret Service collection is locked", Hint: "Unlock it in the desktop session, or for this shell:\n    dbus-run-session -- bash\n    read -rsp 'Keyring password: ' KP\n    printf '%s' \"$KP\" | gnome-keyring-daemon --unlock \\\n        --components=secrets >/dev/null\n    unset KP"}}
	m, h = screenRoot(t, f, o)
	m.Session().Port, m.Session().User = 587, "svc@example.net"
	h.send(gotoStepMsg{StepCredentials})
	h.key(tea.KeyEnter).key(tea.KeyEnter) // the stored password, please
	shot(t, h, "4-credentials-keyring-locked")
	h.send(tea.KeyMsg{Type: tea.KeyCtrlO})
	shot(t, h, "4-credentials-keyring-locked-fix")

	// 5 Exchange details, and an invalid answer (error in the footer)
	f = newFixture(t)
	m, h = screenRoot(t, f, f.options())
	provenLogin(m)
	h.send(gotoStepMsg{StepDetails})
	shot(t, h, "5-details")
	h.key(tea.KeyEnter) // subject words: the default
	h.clear().typeLine("not an address")
	shot(t, h, "5-details-error")

	// 6 Exchange steps
	f = newFixture(t)
	m, h = screenRoot(t, f, f.options())
	provenLogin(m)
	m.Session().Inputs, m.Session().HaveInputs = steps.Defaults(steps.RelayOnPrem), true
	h.send(gotoStepMsg{StepExchange})
	shot(t, h, "6-exchange-steps")
	// PAMS has the most files (six, with pams.reg): the tabs and the route
	// tab still fit, and the footer does not offer to copy the route
	f = newFixture(t)
	m, h = screenRoot(t, f, f.options())
	m.Session().chooseScenario(scenario(t, steps.PAMSOnPrem))
	provenLogin(m)
	m.Session().Inputs, m.Session().HaveInputs = steps.Defaults(steps.PAMSOnPrem), true
	h.send(gotoStepMsg{StepExchange})
	h.runes("7")
	shot(t, h, "6-exchange-steps-pams-route")
	if v := h.view(); !containsWrapped(v, "[route]") || containsWrapped(v, "c copies this one") {
		t.Errorf("the route tab offers to copy a file (c does nothing there):\n%s", v)
	}

	// 7 Live test: the form, a refused send, a send running with the quit
	// question
	f = newFixture(t)
	m, h = screenRoot(t, f, f.options())
	provenLogin(m)
	h.send(gotoStepMsg{StepLiveTest})
	shot(t, h, "7-live-test")
	f.sender.fail = errors.New("535 5.7.8 Authentication credentials invalid")
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	shot(t, h, "7-live-test-refused")
	f = newFixture(t)
	f.sender.block = make(chan struct{})
	defer close(f.sender.block)
	m, h = screenRoot(t, f, f.options())
	provenLogin(m)
	h.send(gotoStepMsg{StepLiveTest})
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	h.key(tea.KeyCtrlC)
	shot(t, h, "7-live-test-quit-question")

	// 8 Summary
	f = newFixture(t)
	m, h = screenRoot(t, f, f.options())
	provenLogin(m)
	m.Session().Inputs, m.Session().HaveInputs = steps.Defaults(steps.RelayOnPrem), true
	h.send(gotoStepMsg{StepSummary})
	shot(t, h, "8-summary")

	// Troubleshoot: its last field (the Exchange export) focused, with its
	// input line on screen
	f = newFixture(t)
	_, h = screenRoot(t, f, f.options())
	h.send(openTroubleshootMsg{})
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	if v := h.view(); !strings.Contains(v[strings.Index(v, "Exchange export to audit"):], "┃ >") {
		t.Errorf("the focused export field has no input line on screen:\n%s", v)
	}
	shot(t, h, "troubleshoot-export-field")

	// The root's error screen and the offer to continue a saved run
	f = newFixture(t)
	_, h = screenRoot(t, f, f.options())
	h.send(ErrorMsg(errors.New("could not write /srv/out/apply.ps1: permission denied")))
	shot(t, h, "error")
	f = newFixture(t)
	o = f.options()
	o.Profile = resumeProfile("details")
	_, h = newRoot(t, o)
	shot(t, h, "resume-offer")
}

func provenLogin(m *Model) {
	ses := m.Session()
	ses.Port, ses.User, ses.Creds, ses.AuthProven, ses.TestTo = 587, "svc@example.net", CredsKeyring, true, "someone@example.org"
	ses.CredsNote = "Stored in the OS keyring (service relaywiz/smtp.zivver.com, user svc@example.net)."
	ses.SetPassword([]byte("right"))
}

// failingGetStore has a password "stored" that cannot be read.
type failingGetStore struct{ err error }

func (s failingGetStore) Set(_ context.Context, _, _ string, _ []byte) error { return s.err }
func (s failingGetStore) Get(context.Context, string, string) ([]byte, error) {
	return nil, s.err
}
func (s failingGetStore) Delete(context.Context, string, string) error { return s.err }
func (s failingGetStore) Status(context.Context, string, string) creds.Status {
	return creds.Status{State: creds.Unavailable, Err: s.err}
}
