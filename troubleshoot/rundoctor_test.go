package troubleshoot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// simHost stands in for checks.Run against one smart host: it answers on
// the ports in open, its certificate is issued by a private CA (trusted
// only with caFile) for certName, and it takes password for user. Each
// setting of a DoctorPlan therefore has exactly one right value, and a
// test can break one at a time.
type simHost struct {
	host     string
	open     []int
	caFile   string
	certName string
	user     string
	password string
	calls    []checks.Options
}

func newSimHost() *simHost {
	return &simHost{host: "smtp.provider.example", open: []int{587}, caFile: "/etc/relaywiz/provider-ca.pem",
		certName: "smtp.provider.example", user: "relay@example.com", password: "right"}
}

// plan is the plan with every setting right.
func (h *simHost) plan() DoctorPlan {
	return DoctorPlan{Host: h.host, Port: 587, AltPorts: []int{587, 25}, User: h.user, CAFile: h.caFile}
}

func (h *simHost) check(_ context.Context, o checks.Options) checks.Report {
	cp := o
	cp.Password = slices.Clone(o.Password) // the caller zeroes its copy
	h.calls = append(h.calls, cp)
	rep := checks.Report{Host: o.Host, OK: true}
	for _, port := range o.Ports {
		p := h.port(o, port)
		for _, st := range p.Stages {
			if o.Progress != nil {
				o.Progress(checks.Event{Kind: checks.StageStarted, Port: port, Stage: st.Name})
				o.Progress(checks.Event{Kind: checks.StageFinished, Port: port, Stage: st.Name, Result: st})
			}
		}
		if o.Progress != nil {
			o.Progress(checks.Event{Kind: checks.PortFinished, Port: port, PortResult: &p})
		}
		rep.OK = rep.OK && p.OK
		rep.Ports = append(rep.Ports, p)
	}
	return rep
}

func (h *simHost) port(o checks.Options, port int) checks.PortResult {
	name := o.TLSServerName
	if name == "" {
		name = o.Host
	}
	switch {
	case o.Host != h.host:
		return portResult(port, checks.StageDNS, "no such host", nil)
	case !slices.Contains(h.open, port):
		return portResult(port, checks.StageConnect, "connection refused", nil)
	case o.CAFile != h.caFile:
		p := portResult(port, checks.StageTLS, "x509: certificate signed by unknown authority", nil)
		p.TLS = &checks.TLSInfo{Issuer: "CN=Provider Private CA", ChainOK: false, HostnameOK: true, ServerName: name, SANs: []string{h.certName}}
		return p
	case name != h.certName:
		p := portResult(port, checks.StageTLS, "x509: certificate is not valid for "+name, nil)
		p.TLS = &checks.TLSInfo{Issuer: "CN=Provider Private CA", ChainOK: true, HostnameOK: false, ServerName: name, SANs: []string{h.certName}}
		return p
	case o.User == "" || o.Password == nil:
		p := portResult(port, "", "", nil)
		p.Stages = p.Stages[:len(p.Stages)-1] // no auth stage, as checks does
		p.Auth = checks.AuthSkipped
		return p
	case o.User != h.user || string(o.Password) != h.password:
		se := &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Error: authentication failed"}
		p := portResult(port, checks.StageAuth, "535 5.7.8 Error: authentication failed", fmt.Errorf("auth: %w", se))
		p.Auth = checks.AuthFailed
		return p
	}
	return portResult(port, "", "", nil)
}

// fakeSend records the test sends and answers with out.
type fakeSend struct {
	out   SendOutcome
	err   error
	calls []TestSend
}

func (f *fakeSend) send(_ context.Context, s TestSend) (SendOutcome, error) {
	s.Password = slices.Clone(s.Password)
	f.calls = append(f.calls, s)
	return f.out, f.err
}

var accepted = SendOutcome{Accepted: true, Step: "done", Reply: "250 2.0.0 Ok: queued as 4XyZ", QueueID: "4XyZ"}

func corpusFile(name string) HeadersSource {
	return func(bool) (io.ReadCloser, error) { return os.Open("testdata/" + name) }
}

func rightPassword() DoctorPassword {
	return DoctorPassword{State: PasswordFound, Secret: []byte("right")}
}

// One setting broken at a time: RunDoctor's first finding names it.
func TestRunDoctorNamesTheBrokenSetting(t *testing.T) {
	cases := []struct {
		name    string
		break_  func(p *DoctorPlan, pw *DoctorPassword, d *DoctorDeps, r *fakeResolver, s *fakeSend)
		setting string
		want    string // in the first finding's title or fix
	}{
		{"host", func(p *DoctorPlan, _ *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			p.Host = "smtp.provider.exmaple"
		}, SettingHost, "does not resolve"},
		{"port", func(p *DoctorPlan, _ *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			p.Port = 2525
		}, SettingPort, "Set the port to 587"},
		{"ca-file", func(p *DoctorPlan, _ *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			p.CAFile = ""
		}, SettingCAFile, "CN=Provider Private CA"},
		{"tls-server-name", func(p *DoctorPlan, _ *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			p.TLSServerName = "203.0.113.25"
		}, SettingTLSServerName, "does not name 203.0.113.25"},
		{"wrong password", func(_ *DoctorPlan, pw *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			pw.Secret = []byte("wrong")
		}, SettingPassword, "535 5.7.8"},
		{"no password stored", func(_ *DoctorPlan, pw *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			*pw = DoctorPassword{State: PasswordMissing, Note: "relaywiz creds set --smart-host smtp.provider.example --user relay@example.com"}
		}, SettingPassword, "relaywiz creds set"},
		{"placeholder domain", func(p *DoctorPlan, _ *DoctorPassword, _ *DoctorDeps, r *fakeResolver, _ *fakeSend) {
			p.PlaceholderDomain = "zivver.org"
			r.mx["zivver.org"] = []*net.MX{{Host: "mx.zivver.org.", Pref: 10}}
		}, SettingPlaceholder, "exists in public DNS"},
		{"sender domain SPF", func(p *DoctorPlan, _ *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			p.SenderDomain = "nospf.example"
		}, SettingSenderSPF, "no SPF record"},
		{"recipient refused", func(p *DoctorPlan, _ *DoctorPassword, _ *DoctorDeps, _ *fakeResolver, s *fakeSend) {
			p.SendTo = []string{"someone@example.org"}
			s.out = SendOutcome{Step: "rcpt", Reply: "554 5.7.1 <someone@example.org>: Relay access denied", Err: errors.New("rcpt refused")}
		}, SettingMessage, "Relay access denied"},
		{"transport rule", func(_ *DoctorPlan, _ *DoctorPassword, d *DoctorDeps, _ *fakeResolver, _ *fakeSend) {
			d.Headers = corpusFile("direct-unsecured.eml")
		}, SettingRule, "headers: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newSimHost()
			plan, pw := h.plan(), rightPassword()
			r := &fakeResolver{mx: map[string][]*net.MX{}}
			s := &fakeSend{out: accepted}
			deps := DoctorDeps{Check: h.check, Resolver: r, Send: s.send}
			// Everything right first: no failure at all.
			res, err := RunDoctor(context.Background(), plan, pw, deps, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				if f.Severity == SevFail {
					t.Fatalf("all settings right, yet %+v", res.Findings)
				}
			}
			c.break_(&plan, &pw, &deps, r, s)
			res, err = RunDoctor(context.Background(), plan, pw, deps, nil)
			if err != nil {
				t.Fatal(err)
			}
			f := firstFail(t, res.Findings)
			if f.Setting != c.setting || !strings.Contains(f.Title+" "+f.Fix, c.want) {
				t.Fatalf("first finding %+v, want setting %q mentioning %q\nall: %+v", f, c.setting, c.want, res.Findings)
			}
		})
	}
}

// The probe gets the configured port first, each alternative once, the
// plan's TLS settings and the caller's password; a user without a
// password still reaches checks (which records AUTH as skipped).
func TestRunDoctorProbeOptions(t *testing.T) {
	h := newSimHost()
	plan := h.plan()
	plan.Port, plan.AltPorts, plan.TLSServerName, plan.Timeout = 25, []int{587, 25, 2525}, h.certName, 7*time.Second
	if got := plan.ProbePorts(); !slices.Equal(got, []int{25, 587, 2525}) {
		t.Fatalf("ProbePorts %v", got)
	}
	if _, err := RunDoctor(context.Background(), plan, rightPassword(), DoctorDeps{Check: h.check, Resolver: &fakeResolver{}}, nil); err != nil {
		t.Fatal(err)
	}
	o := h.calls[0]
	if o.Host != h.host || !slices.Equal(o.Ports, []int{25, 587, 2525}) || o.CAFile != h.caFile || o.TLSServerName != h.certName ||
		o.Timeout != 7*time.Second || o.User != h.user || string(o.Password) != "right" {
		t.Fatalf("checks.Options %+v", o)
	}
	if _, err := RunDoctor(context.Background(), plan, DoctorPassword{State: PasswordMissing}, DoctorDeps{Check: h.check, Resolver: &fakeResolver{}}, nil); err != nil {
		t.Fatal(err)
	}
	if o := h.calls[1]; o.User != h.user || o.Password != nil {
		t.Fatalf("without a password: user %q password %q", o.User, o.Password)
	}
	// No user: the password state is ignored (nothing to log in with).
	plan.User = ""
	res, _ := RunDoctor(context.Background(), plan, rightPassword(), DoctorDeps{Check: h.check, Resolver: &fakeResolver{}}, nil)
	if o := h.calls[2]; o.Password != nil {
		t.Fatalf("password sent without a user")
	}
	for _, f := range res.Findings {
		if f.Setting == SettingPassword {
			t.Errorf("password finding without a user: %+v", f)
		}
	}
}

// The test send carries the plan, runs only when the configured port
// works, and its outcome is a finding; the headers source hears whether
// the message went out.
func TestRunDoctorTestSend(t *testing.T) {
	h := newSimHost()
	plan := h.plan()
	plan.SendTo, plan.Trigger = []string{"someone@example.org"}, "pams"
	s := &fakeSend{out: accepted}
	var sentSeen []bool
	headers := func(sent bool) (io.ReadCloser, error) {
		sentSeen = append(sentSeen, sent)
		return nil, nil
	}
	deps := DoctorDeps{Check: h.check, Resolver: &fakeResolver{}, Send: s.send, Headers: headers}
	res, err := RunDoctor(context.Background(), plan, rightPassword(), deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := s.calls[0]
	if got.Host != h.host || got.Port != 587 || got.CAFile != h.caFile || got.User != h.user || string(got.Password) != "right" ||
		got.From != h.user || !slices.Equal(got.To, plan.SendTo) || got.Trigger != "pams" {
		t.Fatalf("test send %+v", got)
	}
	if res.Send == nil || !res.Send.Accepted || res.Headers != nil || !slices.Equal(sentSeen, []bool{true}) {
		t.Fatalf("send %+v headers %+v sent seen %v", res.Send, res.Headers, sentSeen)
	}
	// A user that is not an address: the default sender.
	plan.User = "relayuser"
	if _, err := RunDoctor(context.Background(), plan, DoctorPassword{State: PasswordMissing}, deps, nil); err != nil {
		t.Fatal(err)
	}
	if got := s.calls[1]; got.From != defaultTestFrom || got.Password != nil {
		t.Fatalf("default sender: %+v", got)
	}
	// The configured port fails: no send, and the source hears so.
	plan.User, plan.Port = h.user, 2525
	var events []DoctorEvent
	res, err = RunDoctor(context.Background(), plan, rightPassword(), deps, func(ev DoctorEvent) { events = append(events, ev) })
	if err != nil {
		t.Fatal(err)
	}
	if len(s.calls) != 2 || res.Send != nil || sentSeen[len(sentSeen)-1] {
		t.Fatalf("sent although port 2525 fails: %d sends, %+v", len(s.calls), res.Send)
	}
	if !slices.ContainsFunc(events, func(ev DoctorEvent) bool {
		return ev.Phase == PhaseSend && ev.Kind == PhaseSkipped && ev.Text == "skipping the test send: port 2525 does not work yet"
	}) {
		t.Errorf("no skip event: %+v", events)
	}
	// A message that cannot be built is the caller's bad input.
	plan.Port = 587
	s.err = errors.New(`--to "nobody": want a mail address such as someone@example.org`)
	_, err = RunDoctor(context.Background(), plan, rightPassword(), deps, nil)
	var bad *SendInputError
	if !errors.As(err, &bad) || err.Error() != s.err.Error() {
		t.Fatalf("err %v", err)
	}
}

// Headers that cannot be read do not end the diagnosis: the error is
// returned in the result, and the last finding says so.
func TestRunDoctorHeadersProblem(t *testing.T) {
	h := newSimHost()
	missing := func(bool) (io.ReadCloser, error) { return os.Open("testdata/no-such-message.eml") }
	empty := func(bool) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("no header here\n")), nil }
	for name, src := range map[string]HeadersSource{"missing": missing, "no headers": empty} {
		t.Run(name, func(t *testing.T) {
			res, err := RunDoctor(context.Background(), h.plan(), rightPassword(), DoctorDeps{Check: h.check, Resolver: &fakeResolver{}, Headers: src}, nil)
			if err != nil || res.HeadersErr == nil || res.Headers != nil {
				t.Fatalf("err %v headers err %v headers %+v", err, res.HeadersErr, res.Headers)
			}
			last := res.Findings[len(res.Findings)-1]
			if last.Severity != SevWarn || last.Setting != SettingMessage || last.Detail != res.HeadersErr.Error() {
				t.Fatalf("last finding %+v", last)
			}
			if !strings.Contains(res.Findings[0].Title, "AUTH as relay@example.com all work") {
				t.Errorf("the probe's finding is gone: %+v", res.Findings)
			}
		})
	}
}

// The events let a front end show progress: each phase starts (or is
// skipped) and finishes in order, with the probe's stages in between.
func TestRunDoctorEvents(t *testing.T) {
	h := newSimHost()
	plan := h.plan()
	plan.SendTo = []string{"someone@example.org"}
	s := &fakeSend{out: accepted}
	var got []string
	stages := 0
	_, err := RunDoctor(context.Background(), plan, rightPassword(),
		DoctorDeps{Check: h.check, Resolver: &fakeResolver{}, Send: s.send, Headers: corpusFile("secure-pams-onprem.eml")},
		func(ev DoctorEvent) {
			if ev.Kind == ProbeProgress {
				stages++
				return
			}
			got = append(got, fmt.Sprintf("%s %d %s", ev.Phase, ev.Kind, ev.Text))
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"probe 0 probing smtp.provider.example on port 587, 25 …",
		"probe 2 port 587 passes the checks",
		"dns 0 checking DNS …",
		"dns 2 DNS: nothing to check (no placeholder or sender domain)",
		"send 0 sending a test message through the embedded relay …",
		"send 2 the smart host accepted the test message",
		"headers 2 read the received message's headers",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
	if stages == 0 {
		t.Error("no probe progress passed on")
	}
}

// A cancelled run reports the context's error, not a diagnosis.
func TestRunDoctorCancelled(t *testing.T) {
	h := newSimHost()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunDoctor(ctx, h.plan(), rightPassword(), DoctorDeps{Check: h.check, Resolver: &fakeResolver{}}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// The result is the `relaywiz doctor --json` document: empty lists are
// [] and what did not run is null.
func TestDoctorResultJSON(t *testing.T) {
	h := newSimHost()
	plan := h.plan()
	plan.User = ""
	res, err := RunDoctor(context.Background(), plan, DoctorPassword{}, DoctorDeps{Check: h.check, Resolver: &fakeResolver{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, doc := jsonFields(t, res)
	if len(doc) != 6 || string(doc["dns"]) != "[]" || string(doc["send"]) != "null" || string(doc["headers"]) != "null" || string(doc["audit"]) != "null" ||
		!strings.HasPrefix(string(doc["findings"]), "[{") || !strings.Contains(string(doc["check"]), `"host":"smtp.provider.example"`) {
		t.Fatalf("JSON %s", raw)
	}
	out, _ := json.Marshal(accepted)
	if string(out) != `{"accepted":true,"step":"done","reply":"250 2.0.0 Ok: queued as 4XyZ","queue_id":"4XyZ"}` {
		t.Errorf("send JSON %s", out)
	}
}

// jsonFields marshals v and splits the object into its top-level fields.
func jsonFields(t *testing.T, v any) ([]byte, map[string]json.RawMessage) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	return raw, fields
}
