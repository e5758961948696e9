package tui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/relay"
	"relaywiz/steps"
)

// Fakes for the injected dependencies. They behave like the real ones at
// the interface (events in stage order, ErrNotFound, fs.ErrExist), so the
// steps are tested against the contracts, not against the fakes' whims.

// portScript says how a fake port behaves: all stages pass, or the stage
// at failAt fails with detail and hint.
type portScript struct {
	failAt checks.Stage
	detail string
	hint   string
	// exchange is the failing stage's ExchangeError.
	exchange string
}

// fakeChecker answers like checks.Run: per port, StageStarted/Finished
// events in order up to the first failure, then PortFinished. AUTH passes
// only for password "right".
type fakeChecker struct {
	mu    sync.Mutex
	ports map[int]portScript
	calls []checks.Options
	// block, when set, holds every call until it is closed (or ctx ends).
	block chan struct{}
}

func (f *fakeChecker) run(ctx context.Context, o checks.Options) checks.Report {
	f.mu.Lock()
	cp := o
	cp.Password = append([]byte(nil), o.Password...)
	f.calls = append(f.calls, cp)
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return checks.Report{Host: o.Host}
		}
	}
	rep := checks.Report{Host: o.Host, OK: true}
	for _, port := range o.Ports {
		pr := f.port(port, o)
		if !pr.OK {
			rep.OK = false
		}
		for _, st := range pr.Stages {
			if o.Progress != nil {
				o.Progress(checks.Event{Kind: checks.StageStarted, Port: port, Stage: st.Name})
				o.Progress(checks.Event{Kind: checks.StageFinished, Port: port, Stage: st.Name, Result: st})
			}
		}
		if o.Progress != nil {
			p := pr
			o.Progress(checks.Event{Kind: checks.PortFinished, Port: port, PortResult: &p})
		}
		rep.Ports = append(rep.Ports, pr)
	}
	return rep
}

func (f *fakeChecker) lastCall() checks.Options {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return checks.Options{}
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeChecker) port(port int, o checks.Options) checks.PortResult {
	f.mu.Lock()
	sc := f.ports[port]
	f.mu.Unlock()
	pr := checks.PortResult{Port: port, OK: true, StartTLS: true, Auth: checks.AuthSkipped,
		TLS: &checks.TLSInfo{Version: "TLS1.3", Cipher: "TLS_AES_128_GCM_SHA256", Verified: true, DaysLeft: 200,
			Subject: "CN=" + o.Host, SANs: []string{o.Host, "mx." + o.Host}, Issuer: "CN=Fake Issuing CA",
			NotAfter: "2027-06-10T12:00:00Z", ServerName: o.Host},
		Banner:         "220 " + o.Host + " ESMTP",
		AuthMechanisms: []string{"LOGIN", "PLAIN"}, SizeLimit: 52428800}
	if o.Transcript != nil {
		o.Transcript(checks.TranscriptLine{Port: port, Dir: checks.Received, Text: "220 " + o.Host + " ESMTP"})
		o.Transcript(checks.TranscriptLine{Port: port, Dir: checks.Sent, Text: "EHLO relaywiz.test"})
	}
	for _, st := range checks.Stages() {
		if st == checks.StageAuth && o.User == "" {
			break
		}
		r := checks.StageResult{Name: st, OK: true, Ms: 3}
		if st == sc.failAt {
			r.OK, r.Detail, r.Hint, r.ExchangeError = false, sc.detail, sc.hint, sc.exchange
			pr.OK = false
			pr.Stages = append(pr.Stages, r)
			return pr
		}
		if st == checks.StageAuth {
			switch string(o.Password) {
			case "right":
				pr.Auth, pr.AuthMechanism = checks.AuthOK, "LOGIN"
			case "":
				r.Detail = "skipped: no password"
			default:
				r.OK, r.Detail, r.Hint = false, "535 5.7.8 Authentication credentials invalid", "Check the user name and password."
				pr.OK, pr.Auth = false, checks.AuthFailed
				pr.Stages = append(pr.Stages, r)
				return pr
			}
		}
		pr.Stages = append(pr.Stages, r)
	}
	return pr
}

// brokenStore is a keyring that is unavailable, as on a server without a
// session bus.
type brokenStore struct{}

var errNoBus = &creds.UnavailableError{Op: "store", Reason: creds.ReasonNoSessionBus,
	Detail: "there is no D-Bus session bus", Hint: "Start one with dbus-run-session."}

func (brokenStore) Set(context.Context, string, string, []byte) error   { return errNoBus }
func (brokenStore) Get(context.Context, string, string) ([]byte, error) { return nil, errNoBus }
func (brokenStore) Delete(context.Context, string, string) error        { return errNoBus }
func (brokenStore) Status(context.Context, string, string) creds.Status {
	return creds.Status{State: creds.Unavailable, Err: errNoBus}
}

// fakeSender streams a short transcript and accepts, or fails at MAIL.
type fakeSender struct {
	mu    sync.Mutex
	reqs  []SendRequest
	fail  error
	block chan struct{}
	// handOver: the transcript shows the end of the message sent before
	// the send blocks (a send cut short after that may have been delivered).
	handOver bool
}

func (f *fakeSender) send(ctx context.Context, r SendRequest, transcript func(string)) (SendResult, error) {
	f.mu.Lock()
	cp := r
	cp.Password = append([]byte(nil), r.Password...)
	f.reqs = append(f.reqs, cp)
	block, fail, handOver := f.block, f.fail, f.handOver
	f.mu.Unlock()
	transcript(fmt.Sprintf("[%d] ~> AUTH LOGIN <redacted>", r.Port))
	if handOver {
		transcript(fmt.Sprintf("[%d] ~> .", r.Port))
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return SendResult{}, ctx.Err()
		}
	}
	if fail != nil {
		transcript(fmt.Sprintf("[%d] <~ 535 5.7.8 Authentication credentials invalid", r.Port))
		return SendResult{Step: relay.StepMail, UpstreamReply: "535 5.7.8 Authentication credentials invalid", Hint: "Check the password."}, fail
	}
	transcript(fmt.Sprintf("[%d] <~ 250 2.0.0 Ok: queued as FAKE1", r.Port))
	return SendResult{Accepted: true, Reply: "250 2.0.0 Ok: queued as FAKE1", UpstreamReply: "250 2.0.0 Ok: queued as FAKE1",
		QueueID: "FAKE1", Step: relay.StepDone, Elapsed: 40 * time.Millisecond}, nil
}

func (f *fakeSender) last() SendRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		return SendRequest{}
	}
	return f.reqs[len(f.reqs)-1]
}

// fakeResolver answers the Troubleshoot screen's DNS checks from a map;
// every other name is NXDOMAIN, so no test ever queries real DNS.
type fakeResolver struct {
	mx  map[string][]*net.MX
	txt map[string][]string
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r *fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	return nil, notFound(host)
}

func (r *fakeResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if mx, ok := r.mx[name]; ok {
		return mx, nil
	}
	return nil, notFound(name)
}

func (r *fakeResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if txt, ok := r.txt[name]; ok {
		return txt, nil
	}
	return nil, notFound(name)
}

// fakeClipboard remembers the text, or fails like a headless Linux box.
type fakeClipboard struct {
	text string
	fail bool
}

func (c *fakeClipboard) copy(s string) error {
	if c.fail {
		return errors.New("no clipboard tool found")
	}
	c.text = s
	return nil
}

// fixture bundles the fakes and builds Options from them.
type fixture struct {
	checker *fakeChecker
	store   creds.Store
	sender  *fakeSender
	clip    *fakeClipboard
	dns     *fakeResolver
	saved   []files.Profile
	labDir  string
	mu      sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	return &fixture{
		checker: &fakeChecker{ports: map[int]portScript{}},
		store:   creds.NewMemory(),
		sender:  &fakeSender{},
		clip:    &fakeClipboard{},
		dns:     &fakeResolver{},
		labDir:  t.TempDir(),
	}
}

func (f *fixture) options() Options {
	return Options{
		Check:       f.checker.run,
		Creds:       f.store,
		Send:        f.sender.send,
		Resolver:    f.dns,
		Write:       files.WriteArtifacts,
		Clipboard:   f.clip.copy,
		LabDir:      f.labDir,
		ProfilePath: "/home/admin/.config/relaywiz/profile.json",
		SaveProfile: func(p files.Profile) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.saved = append(f.saved, p)
			return nil
		},
		Now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) },
	}
}

func (f *fixture) lastSaved() (files.Profile, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.saved) == 0 {
		return files.Profile{}, false
	}
	return f.saved[len(f.saved)-1], true
}

// newCommon builds the shared state a single step is tested with.
func newCommon(t *testing.T, o Options) *Common {
	t.Helper()
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	return &Common{Styles: DefaultStyles(), Session: &Session{ProfilePath: o.ProfilePath}, Deps: &o, Ctx: testCtx(t), Width: 80, Height: 19}
}

// scenario returns a catalogue entry by ID.
func scenario(t *testing.T, id steps.ScenarioID) steps.Scenario {
	t.Helper()
	sc, ok := steps.Lookup(string(id))
	if !ok {
		t.Fatalf("no scenario %s", id)
	}
	return sc
}

// stepHarness enters step s at 80×19 (the content area of 80×24).
func stepHarness(t *testing.T, s Step) *harness {
	t.Helper()
	s.SetSize(80, 19)
	h := newHarness(t, s)
	h.run(s.Enter())
	h.settle()
	return h
}
