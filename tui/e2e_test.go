package tui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/testpeers"
)

// End-to-end tests: the whole wizard in a tea.Program (teatest) with the
// real checks, relay, files and an in-memory keyring, against the lab
// smart host (always) and the real Postfix peer (when `make test` runs
// it). Key screens are compared with golden files after the parts that
// change between runs (ports, timings, queue ids, temp paths) are masked.

// snapModel wraps the wizard so a test can read the current screen from
// inside the program's own goroutine (teatest's output stream is a diff of
// terminal updates, not a screen).
type snapModel struct{ *Model }

type snapMsg struct{ reply chan string }

func (s snapModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m, ok := msg.(snapMsg); ok {
		m.reply <- s.Model.View()
		return s, nil
	}
	_, cmd := s.Model.Update(msg)
	return s, cmd
}

type e2e struct {
	t       *testing.T
	tm      *teatest.TestModel
	m       *Model
	outDir  string
	profile string
	store   creds.Store
}

func startE2E(t *testing.T, o Options) *e2e {
	t.Helper()
	dir := fixedTempDir(t)
	profile := filepath.Join(dir, "config", "profile.json")
	store := creds.NewMemory()
	o.Check = checks.Run
	o.Creds = store
	o.Send = RelaySender()
	o.StartLab = RelayLab()
	o.LabDir = filepath.Join(dir, "lab")
	o.Write = files.WriteArtifacts
	o.ProfilePath = profile
	o.SaveProfile = func(p files.Profile) error { return files.SaveProfile(profile, p) }
	o.CheckTimeout = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, snapModel{m}, teatest.WithInitialTermSize(80, 24))
	return &e2e{t: t, tm: tm, m: m, outDir: filepath.Join(dir, "out"), profile: profile, store: store}
}

// fixedTempDir is a temporary directory whose path always has the same
// length, so the summary wraps the same way in every run and the golden
// file stays stable (t.TempDir's names vary in length).
func fixedTempDir(t *testing.T) string {
	t.Helper()
	dir := fmt.Sprintf("/tmp/relaywiz-e2e-%08x", rand.Uint32())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// screen returns the current frame as plain text.
func (e *e2e) screen() string {
	reply := make(chan string, 1)
	e.tm.Send(snapMsg{reply})
	select {
	case s := <-reply:
		return ansi.Strip(s)
	case <-time.After(5 * time.Second):
		e.t.Fatal("the program did not answer a snapshot request")
	}
	return ""
}

// waitScreen waits until the frame shows every text.
func (e *e2e) waitScreen(texts ...string) string {
	e.t.Helper()
	return pollUntilShown(e.t, e.screen, texts, 20*time.Second, 40*time.Millisecond)
}

// pollUntilShown captures the screen until it contains every text, and
// fails the test with the last screen when the deadline passes. The teatest
// run and the tmux pane both wait this way.
func pollUntilShown(t *testing.T, capture func() string, texts []string, limit, every time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := capture()
		missing := ""
		for _, want := range texts {
			if !strings.Contains(s, want) {
				missing = want
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q (missing %q); screen:\n%s", texts, missing, s)
		}
		time.Sleep(every)
	}
}

// focus waits until the form field titled title has the focus (huh
// moves focus through a Cmd, so keys sent too early would land in the
// previous field).
func (e *e2e) focus(title string) {
	e.t.Helper()
	e.waitScreen("┃ " + title)
}

func (e *e2e) key(k tea.KeyType) { e.tm.Send(tea.KeyMsg{Type: k}) }
func (e *e2e) enter()            { e.key(tea.KeyEnter) }
func (e *e2e) typeText(s string) { e.tm.Type(s) }

// replace clears the focused field and types s.
func (e *e2e) replace(s string) {
	e.key(tea.KeyCtrlU)
	e.key(tea.KeyCtrlK)
	e.typeText(s)
}

// submitDetails accepts every Exchange question as it stands, waiting for
// the focus to move each time.
func (e *e2e) submitDetails() {
	e.t.Helper()
	d := e.m.steps[StepDetails].(*detailsStep)
	for i, f := range d.order {
		title, _ := question(f)
		e.focus(title)
		e.enter()
		if i == len(d.order)-1 {
			break
		}
	}
}

// mask hides what differs between runs so a golden file is stable.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}`), "QUEUEID"},
	{regexp.MustCompile(`/tmp/relaywiz-e2e-[0-9a-f]{8}`), "/tmp/relaywiz-e2e-XXXXXXXX"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`([Pp]ort) \d{4,5}\b`), "$1 PORT"},
	{regexp.MustCompile(` *\d+ ms`), "    N ms"}, // the table pads times to 4 digits
	{regexp.MustCompile(`\(\d+(\.\d+)?m?s\)`), "(T)"},
	{regexp.MustCompile(`expires in \d+ days`), "expires in N days"},
}

func maskScreen(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	// Masking changes widths: trailing spaces carry no meaning.
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

// golden compares a masked screen with testdata/<test>/<name>.golden
// (go test -update rewrites them).
func (e *e2e) golden(name, screen string) {
	e.t.Helper()
	e.t.Run(name, func(t *testing.T) {
		golden.RequireEqual(t, []byte(maskScreen(screen)))
	})
}

// TestWizardEndToEndLab walks every step against the lab smart host, as
// someone without a provider account would, and checks what is left
// behind: the files, the profile, the stored password and the message.
func TestWizardEndToEndLab(t *testing.T) {
	e := startE2E(t, Options{})

	e.golden("1-scenario", e.waitScreen("Step 1 of 8 · Scenario", "> Zivver PAMS, Exchange on-premises"))
	e.enter()

	e.waitScreen("Step 2 of 8 · Smart host", "Which smart host should relaywiz test?")
	e.key(tea.KeyDown)
	e.enter()

	s := e.waitScreen("Step 3 of 8 · Connectivity", "Checked the lab smart host", "The lab answers on port")
	e.golden("3-connectivity", s)
	e.enter()

	e.waitScreen("Step 4 of 8 · Credentials", "The lab's generated login is filled in")
	e.focus("SMTP user name")
	e.enter()
	e.focus("Password")
	e.enter()
	s = e.waitScreen("Login accepted by 127.0.0.1", "logged in with AUTH")
	e.golden("4-credentials", s)
	lab := e.m.Session().Lab
	if lab == nil {
		t.Fatal("no lab in the session")
	}
	if pw, err := e.store.Get(context.Background(), "127.0.0.1", lab.User); err != nil || string(pw) != lab.Password {
		t.Fatalf("the login was not stored in the keyring: %v", err)
	}
	e.enter()

	e.waitScreen("Step 5 of 8 · Exchange details", "Placeholder domain")
	e.submitDetails()

	e.waitScreen("Step 6 of 8 · Exchange steps", "[checklist.md]")
	e.tm.Type("w")
	e.waitScreen("Folder:")
	e.replace(e.outDir)
	e.enter()
	e.waitScreen("Wrote 6 files")
	e.enter()

	e.waitScreen("Step 7 of 8 · Live test", "Through the lab smart host")
	e.enter()
	e.focus("To")
	e.replace("someone@example.org")
	e.enter()
	e.focus("From")
	e.replace("admin@example.com")
	e.enter()
	e.focus("Subject")
	e.enter()
	s = e.waitScreen("Accepted by the lab smart host")
	if strings.Contains(s, lab.Password) {
		t.Fatal("the transcript shows the password")
	}
	e.enter()

	s = e.waitScreen("Step 8 of 8 · Summary", "What relaywiz proved")
	e.golden("8-summary", s)
	e.enter()
	e.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	for _, name := range []string{"checklist.md", "apply.ps1", "undo.ps1", "verify.ps1", "export.ps1", "pams.reg"} {
		if _, err := os.Stat(filepath.Join(e.outDir, name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	p, err := files.LoadProfile(e.profile)
	if err != nil || p.Steps.Scenario != "pams-onprem" || p.TestRecipient != "someone@example.org" {
		t.Fatalf("profile %+v, %v", p, err)
	}
	raw, _ := os.ReadFile(e.profile)
	if strings.Contains(string(raw), lab.Password) {
		t.Fatal("the profile holds the password")
	}
	emls, _ := filepath.Glob(filepath.Join(lab.Dir, "*.eml"))
	if len(emls) != 1 {
		t.Fatalf("the lab holds %d messages, want 1", len(emls))
	}
	body, _ := os.ReadFile(emls[0])
	if !strings.Contains(string(body), "zivver-relay: zivver-message-info") {
		t.Fatal("the test message lacks the PAMS trigger header")
	}
}

// TestWizardEndToEndMTA walks the provider path against the real Postfix
// (STARTTLS, SASL, a private CA) and checks that the message is delivered.
func TestWizardEndToEndMTA(t *testing.T) {
	mta := testpeers.RequireMTA(t)
	e := startE2E(t, Options{})
	e.waitScreen("Step 1 of 8")
	e.key(tea.KeyDown) // PAMS Online: Exchange Online connectors always use 25
	e.key(tea.KeyDown)
	e.key(tea.KeyDown) // Custom Relay, on-premises
	e.waitScreen("> Zivver Custom Relay, Exchange on-premises")
	e.enter()

	e.waitScreen("Which smart host should relaywiz test?")
	e.enter()
	e.focus("Smart host")
	e.replace(mta.Host)
	e.enter()
	e.focus("Ports to test")
	e.replace("25, 587")
	e.enter()
	e.focus("Extra CA certificate")
	e.replace(mta.CAFile)
	e.enter()
	e.focus("Certificate name")
	e.replace(mta.ServerName)
	e.enter()

	e.waitScreen("Checked "+mta.Host+" on port 25 and 587", "Port 25 ✓", "Port 587 ✓")
	e.enter()

	e.focus("SMTP user name")
	e.replace(mta.User)
	e.enter()
	e.focus("Password")
	e.typeText(mta.Password)
	e.enter()
	e.waitScreen("Login accepted by "+mta.Host+" port 587", "Stored in the OS keyring")
	e.enter()

	e.waitScreen("Step 5 of 8", "Subject words")
	e.submitDetails()
	e.waitScreen("Step 6 of 8", "[checklist.md]")
	e.enter()

	to := "wizard-e2e-" + time.Now().Format("150405.000") + "@" + mta.SinkDomain
	e.waitScreen("Step 7 of 8", "Through the smart host "+mta.Host+":587")
	e.enter()
	e.focus("To")
	e.replace(to)
	e.enter()
	e.focus("From")
	e.replace(mta.User)
	e.enter()
	e.focus("Subject")
	e.enter()
	e.waitScreen("Accepted by the smart host")
	e.enter()
	e.waitScreen("Step 8 of 8", "was accepted by")
	e.enter()
	e.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	local := strings.SplitN(to, "@", 2)[0]
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, _ := filepath.Glob(filepath.Join(mta.MaildirFor(local), "*"))
		if len(got) > 0 {
			body, _ := os.ReadFile(got[0])
			if !strings.Contains(string(body), "Subject: Secure relaywiz test") {
				t.Fatalf("delivered message lacks the trigger subject:\n%s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing delivered to %s", mta.MaildirFor(local))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
