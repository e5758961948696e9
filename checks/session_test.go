package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// tlsFake starts a go-smtp fake with STARTTLS using a certificate for the
// given names (default fakeName) and returns its port and PKI.
func tlsFake(t *testing.T, f *fakeMTA, lo leafOpts) (int, *testPKI) {
	t.Helper()
	pki := newTestPKI(t)
	if len(lo.names) == 0 {
		lo.names = []string{fakeName}
	}
	if f.tls == nil {
		f.tls = &tls.Config{}
	}
	f.tls.Certificates = []tls.Certificate{pki.leaf(t, lo)}
	return f.start(t), pki
}

// probe runs the full check against one loopback port.
func probe(t *testing.T, port int, mod func(*Options)) (PortResult, Report) {
	t.Helper()
	o := Options{
		Host:     fakeName,
		Ports:    []int{port},
		Timeout:  5 * time.Second,
		Resolver: loopbackResolver,
	}
	if mod != nil {
		mod(&o)
	}
	rep := Run(context.Background(), o)
	if len(rep.Ports) != 1 {
		t.Fatalf("want 1 port result, got %d", len(rep.Ports))
	}
	return rep.Ports[0], rep
}

func withCreds(pki *testPKI, user, pass string) func(*Options) {
	return func(o *Options) {
		o.CAFile = pki.caFile
		o.User, o.Password = user, []byte(pass)
	}
}

func stageNames(p PortResult) []string {
	var out []string
	for _, s := range p.Stages {
		out = append(out, string(s.Name))
	}
	return out
}

// mustFailAt asserts that st is the failing stage, that it carries a hint
// and that the report maps to the stage's exit code.
func mustFailAt(t *testing.T, p PortResult, rep Report, st Stage) StageResult {
	t.Helper()
	f, failed := p.FailedStage()
	if !failed {
		t.Fatalf("expected %s to fail, all stages passed: %v", st, stageNames(p))
	}
	if f.Name != st {
		t.Fatalf("expected %s to fail, %s failed: %s", st, f.Name, f.Detail)
	}
	if strings.TrimSpace(f.Hint) == "" {
		t.Errorf("%s failure has no hint (detail %q)", st, f.Detail)
	}
	if p.OK || rep.OK {
		t.Errorf("a failed stage must make the port and report not OK")
	}
	if got, want := rep.ExitCode(), st.ExitCode(); got != want {
		t.Errorf("exit code %d, want %d", got, want)
	}
	if last := p.Stages[len(p.Stages)-1]; last.Name != st {
		t.Errorf("stages continued after the failure: %v", stageNames(p))
	}
	return f
}

func TestFullSuccessPrefersLOGIN(t *testing.T) {
	f := &fakeMTA{mechs: []string{"PLAIN", "LOGIN"}}
	port, pki := tlsFake(t, f, leafOpts{})
	p, rep := probe(t, port, withCreds(pki, goodUser, goodPass))

	if !p.OK || !rep.OK || rep.ExitCode() != 0 {
		fs, _ := p.FailedStage()
		t.Fatalf("expected success, failed at %s: %s (%s)", fs.Name, fs.Detail, fs.Hint)
	}
	if got, want := strings.Join(stageNames(p), ","), "dns,connect,banner,ehlo,starttls,tls,ehlo_tls,auth"; got != want {
		t.Errorf("stages %s, want %s", got, want)
	}
	if f.usedMech() != "LOGIN" || p.AuthMechanism != "LOGIN" {
		t.Errorf("used %q/%q, want LOGIN (what Exchange sends)", f.usedMech(), p.AuthMechanism)
	}
	if p.Auth != AuthOK || !p.StartTLS {
		t.Errorf("auth %q starttls %v", p.Auth, p.StartTLS)
	}
	if strings.Join(p.AuthMechanisms, " ") != "LOGIN PLAIN" {
		t.Errorf("auth mechanisms %v", p.AuthMechanisms)
	}
	if p.SizeLimit != 50<<20 {
		t.Errorf("size limit %d", p.SizeLimit)
	}
	if p.TLS == nil || !p.TLS.Verified || p.TLS.Version != "TLS1.3" || p.TLS.Subject != "CN="+fakeName || p.TLS.DaysLeft < 88 {
		t.Errorf("tls info %+v", p.TLS)
	}
	if p.LocalAddr == "" || !strings.HasPrefix(p.RemoteAddr, "127.0.0.1:") {
		t.Errorf("addresses local %q remote %q", p.LocalAddr, p.RemoteAddr)
	}
}

func TestPLAINWhenLOGINNotOffered(t *testing.T) {
	f := &fakeMTA{mechs: []string{"PLAIN"}}
	port, pki := tlsFake(t, f, leafOpts{})
	p, _ := probe(t, port, func(o *Options) { withCreds(pki, goodUser, goodPass)(o); o.Dialect = DialectGeneric })
	if p.Auth != AuthOK || f.usedMech() != "PLAIN" {
		t.Fatalf("auth %q via %q, want ok via PLAIN", p.Auth, f.usedMech())
	}
}

func TestNoUserSkipsAuth(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{mechs: []string{"PLAIN"}}, leafOpts{})
	p, rep := probe(t, port, func(o *Options) { o.CAFile = pki.caFile })
	if !p.OK || p.Auth != AuthSkipped || rep.ExitCode() != 0 {
		t.Fatalf("ok %v auth %q exit %d", p.OK, p.Auth, rep.ExitCode())
	}
	if names := stageNames(p); names[len(names)-1] != "ehlo_tls" {
		t.Errorf("auth stage ran without a user: %v", names)
	}
}

// Regression (trust defect 1): a user without a password (none on stdin or
// in the keyring) used to end in "every stage passed", exit 0. AUTH that
// was asked for and did not run is a failure shown as not run; nothing is
// ever attempted with an empty secret.
func TestUserWithoutPasswordIsNotRunAndFails(t *testing.T) {
	for _, d := range []Dialect{DialectExchangeServer, DialectGeneric} {
		f := &fakeMTA{mechs: []string{"LOGIN", "PLAIN"}}
		port, pki := tlsFake(t, f, leafOpts{})
		p, rep := probe(t, port, func(o *Options) { o.CAFile, o.User, o.Dialect = pki.caFile, goodUser, d })
		st := mustFailAt(t, p, rep, StageAuth)
		if !st.NotRun || !strings.Contains(st.Detail, "not run") || rep.ExitCode() != 28 || f.usedMech() != "" {
			t.Errorf("%s: not_run %v detail %q exit %d mech %q", d, st.NotRun, st.Detail, rep.ExitCode(), f.usedMech())
		}
		want := ""
		if d == DialectExchangeServer {
			want = ExchangeQueueText(ExchangeNoCredentials)
		}
		if st.ExchangeError != want {
			t.Errorf("%s: exchange_error %q, want %q", d, st.ExchangeError, want)
		}
	}
}

func TestNoSTARTTLSFails(t *testing.T) {
	port := (&fakeMTA{}).start(t)
	p, rep := probe(t, port, nil)
	f := mustFailAt(t, p, rep, StageStartTLS)
	if p.StartTLS || p.TLS != nil || !strings.Contains(f.Detail, "not offered") {
		t.Errorf("starttls %v tls %v detail %q", p.StartTLS, p.TLS, f.Detail)
	}
}

func TestCredentialsNeverSentWithoutTLS(t *testing.T) {
	// A server offering AUTH in plaintext and no STARTTLS: we must stop
	// at starttls and never send AUTH.
	var lines []TranscriptLine
	port := scripted{
		greeting: "220 plain.example ESMTP\r\n",
		replies:  map[string]string{"EHLO": "250-plain.example\r\n250 AUTH PLAIN LOGIN\r\n"},
	}.start(t)
	for _, d := range []Dialect{DialectGeneric, DialectExchangeServer} {
		lines = nil
		p, rep := probe(t, port, func(o *Options) {
			o.User, o.Password, o.Dialect = goodUser, []byte(goodPass), d
			o.Transcript = func(l TranscriptLine) { lines = append(lines, l) }
		})
		if d == DialectGeneric {
			mustFailAt(t, p, rep, StageStartTLS)
		} else {
			// Exchange with BasicAuthRequireTLS fails at the login:
			// "451 5.7.3 Require STARTTLS to do basic authentication".
			st := mustFailAt(t, p, rep, StageAuth)
			if rep.ExitCode() != 28 || !strings.Contains(st.ExchangeError, ExchangeRequireSTARTTLS) || p.TLS != nil {
				t.Errorf("exit %d exchange_error %q tls %v", rep.ExitCode(), st.ExchangeError, p.TLS)
			}
		}
		for _, l := range lines {
			if l.Dir == Sent && strings.HasPrefix(strings.ToUpper(l.Text), "AUTH") {
				t.Fatalf("%s: AUTH sent without TLS: %q", d, l.Text)
			}
		}
	}
}

func TestTLS10OnlyFails(t *testing.T) {
	f := &fakeMTA{tls: &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}}
	port, pki := tlsFake(t, f, leafOpts{})
	p, rep := probe(t, port, withCreds(pki, goodUser, goodPass))
	st := mustFailAt(t, p, rep, StageTLS)
	if p.TLS == nil || p.TLS.Version != "TLS1.0" {
		t.Fatalf("tls info %+v, want version TLS1.0 reported", p.TLS)
	}
	if !strings.Contains(st.Hint, "1.2") || f.usedMech() != "" {
		t.Errorf("hint %q, auth mech used %q", st.Hint, f.usedMech())
	}
}

func TestAuthNotOffered(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{}, leafOpts{})
	p, rep := probe(t, port, func(o *Options) { withCreds(pki, goodUser, goodPass)(o); o.Dialect = DialectGeneric })
	st := mustFailAt(t, p, rep, StageAuth)
	if p.Auth != AuthUnavailable || !strings.Contains(st.Detail, "no AUTH offered") {
		t.Errorf("auth %q detail %q", p.Auth, st.Detail)
	}
}

func TestAuthOnlyUnusableMechanisms(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{mechs: []string{"CRAM-MD5"}}, leafOpts{})
	p, rep := probe(t, port, func(o *Options) { withCreds(pki, goodUser, goodPass)(o); o.Dialect = DialectGeneric })
	st := mustFailAt(t, p, rep, StageAuth)
	if p.Auth != AuthUnavailable || !strings.Contains(st.Hint, "CRAM-MD5") {
		t.Errorf("auth %q hint %q", p.Auth, st.Hint)
	}
}

func TestAuthWrongPassword(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{mechs: []string{"LOGIN", "PLAIN"}}, leafOpts{})
	p, rep := probe(t, port, withCreds(pki, goodUser, "wrong"))
	st := mustFailAt(t, p, rep, StageAuth)
	var se *smtp.SMTPError
	if p.Auth != AuthFailed || !strings.Contains(st.Detail, "535") || !errors.As(st.Err, &se) || se.Code != 535 {
		t.Errorf("auth %q detail %q err %v", p.Auth, st.Detail, st.Err)
	}
}

func TestAuthTemporaryFailure(t *testing.T) {
	f := &fakeMTA{mechs: []string{"LOGIN"}, check: func(string, string) error { return errors.New("directory unavailable") }}
	port, pki := tlsFake(t, f, leafOpts{})
	p, rep := probe(t, port, withCreds(pki, goodUser, goodPass))
	st := mustFailAt(t, p, rep, StageAuth)
	if p.Auth != AuthUnavailable || !strings.Contains(st.Detail, "454") {
		t.Errorf("auth %q detail %q", p.Auth, st.Detail)
	}
}

func TestMaskedBannerFlagsInspection(t *testing.T) {
	port := scripted{
		greeting: "220 ******************************2*0**0*2***2**00*0\r\n",
		replies:  map[string]string{"EHLO": "250-relay.example\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n"},
	}.start(t)
	p, rep := probe(t, port, nil)
	st := mustFailAt(t, p, rep, StageStartTLS)
	banner := p.Stages[2]
	if banner.Name != StageBanner || !banner.OK || !banner.Warning || !p.BannerMasked {
		t.Errorf("banner stage %+v masked %v: want passed with a warning", banner, p.BannerMasked)
	}
	if !strings.Contains(st.Hint, "inspection") {
		t.Errorf("starttls hint does not name the firewall inspection: %q", st.Hint)
	}
}

func TestBannerRefusal(t *testing.T) {
	port := scripted{greeting: "554 5.7.1 No SMTP service here\r\n"}.start(t)
	p, rep := probe(t, port, nil)
	st := mustFailAt(t, p, rep, StageBanner)
	if !strings.Contains(st.Detail, "554") {
		t.Errorf("detail %q", st.Detail)
	}
}

func TestEHLORejected(t *testing.T) {
	port := scripted{
		greeting: "220 picky.example ESMTP\r\n",
		replies:  map[string]string{"EHLO": "550 5.7.1 Bad HELO name\r\n"},
	}.start(t)
	p, rep := probe(t, port, func(o *Options) { o.EHLOName = "exch01" })
	st := mustFailAt(t, p, rep, StageEHLO)
	if !strings.Contains(st.Detail, "exch01") || !strings.Contains(st.Detail, "550") {
		t.Errorf("detail %q", st.Detail)
	}
}

func TestSTARTTLSInjectionRefused(t *testing.T) {
	port := scripted{
		greeting: "220 mitm.example ESMTP\r\n",
		replies: map[string]string{
			"EHLO":     "250-mitm.example\r\n250 STARTTLS\r\n",
			"STARTTLS": "220 go ahead\r\n250 injected before TLS\r\n",
		},
	}.start(t)
	p, rep := probe(t, port, nil)
	mustFailAt(t, p, rep, StageStartTLS)
}

func TestSTARTTLSRefusedByServer(t *testing.T) {
	port := scripted{
		greeting: "220 busy.example ESMTP\r\n",
		replies: map[string]string{
			"EHLO":     "250-busy.example\r\n250 STARTTLS\r\n",
			"STARTTLS": "454 4.7.0 TLS not available due to local problem\r\n",
		},
	}.start(t)
	p, rep := probe(t, port, nil)
	st := mustFailAt(t, p, rep, StageStartTLS)
	if !strings.Contains(st.Detail, "454") {
		t.Errorf("detail %q", st.Detail)
	}
}

func TestExpiredCertificate(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{}, leafOpts{notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	p, rep := probe(t, port, func(o *Options) { o.CAFile = pki.caFile })
	st := mustFailAt(t, p, rep, StageTLS)
	if p.TLS == nil || p.TLS.Verified || !strings.Contains(p.TLS.VerifyError, "expired") || p.TLS.DaysLeft >= 0 {
		t.Fatalf("tls info %+v", p.TLS)
	}
	if !strings.Contains(st.Hint, "expired") {
		t.Errorf("hint %q", st.Hint)
	}
}

func TestHostnameMismatchNamesBoth(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{}, leafOpts{names: []string{"other.example"}})
	p, rep := probe(t, port, func(o *Options) { o.CAFile = pki.caFile })
	st := mustFailAt(t, p, rep, StageTLS)
	for _, want := range []string{fakeName, "other.example"} {
		if !strings.Contains(st.Hint, want) || !strings.Contains(p.TLS.VerifyError, want) {
			t.Errorf("hint %q / verify_error %q does not name %q", st.Hint, p.TLS.VerifyError, want)
		}
	}
	if !p.TLS.ChainOK || p.TLS.HostnameOK {
		t.Errorf("chain %v hostname %v: want trusted chain, wrong name", p.TLS.ChainOK, p.TLS.HostnameOK)
	}
}

func TestTLSServerNameOverride(t *testing.T) {
	// Connecting by IP with the certificate's name given explicitly.
	port, pki := tlsFake(t, &fakeMTA{}, leafOpts{names: []string{"cert-name.example"}})
	p, _ := probe(t, port, func(o *Options) {
		o.Host, o.CAFile, o.TLSServerName = "127.0.0.1", pki.caFile, "cert-name.example"
	})
	if !p.OK || !p.TLS.Verified {
		fs, _ := p.FailedStage()
		t.Fatalf("failed at %s: %s", fs.Name, fs.Detail)
	}
}

func TestUnknownAuthority(t *testing.T) {
	port, _ := tlsFake(t, &fakeMTA{}, leafOpts{})
	p, rep := probe(t, port, nil) // no --ca-file: the test CA is not trusted
	st := mustFailAt(t, p, rep, StageTLS)
	if !strings.Contains(p.TLS.VerifyError, "unknown authority") || !strings.Contains(st.Hint, "--ca-file") {
		t.Errorf("verify_error %q hint %q", p.TLS.VerifyError, st.Hint)
	}
}

func TestInsecureSkipVerifyContinuesButReports(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{}, leafOpts{names: []string{"other.example"}})
	p, rep := probe(t, port, func(o *Options) { o.CAFile, o.InsecureSkipVerify = pki.caFile, true })
	if _, failed := p.FailedStage(); failed || len(p.Stages) != 7 {
		t.Fatalf("expected every stage to run with verification skipped: %v", stageNames(p))
	}
	// Regression (trust defect 5): this used to be "OK: every stage
	// passed", exit 0. A certificate Exchange would refuse is no pass.
	if p.OK || rep.OK || rep.ExitCode() != 29 || !rep.Unverified() {
		t.Errorf("port ok %v report ok %v exit %d, want not OK and exit 29", p.OK, rep.OK, rep.ExitCode())
	}
	tlsStage := p.Stages[5]
	if p.TLS.Verified || p.TLS.VerifyError == "" || !tlsStage.Warning || tlsStage.Hint == "" {
		t.Errorf("tls %+v stage %+v", p.TLS, tlsStage)
	}
}

func TestCertificateExpiringSoonWarns(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{}, leafOpts{notAfter: time.Now().Add(10*24*time.Hour + time.Hour)})
	p, _ := probe(t, port, func(o *Options) { o.CAFile = pki.caFile })
	st := p.Stages[5]
	if !p.OK || !st.Warning || p.TLS.DaysLeft != 10 || !strings.Contains(st.Hint, "10 days") {
		t.Errorf("ok %v stage %+v days %d", p.OK, st, p.TLS.DaysLeft)
	}
}

func TestNeverGreetsFailsAtBannerWithinTimeout(t *testing.T) {
	port := scripted{}.start(t)
	const budget = 300 * time.Millisecond
	start := time.Now()
	p, rep := probe(t, port, func(o *Options) { o.Timeout = budget })
	st := mustFailAt(t, p, rep, StageBanner)
	if !strings.Contains(st.Detail, "no greeting") {
		t.Errorf("detail %q", st.Detail)
	}
	// Only the lower bound is asserted (an upper bound would be a timed
	// test); BenchmarkNeverGreets measures the cost.
	if el := time.Since(start); el < budget {
		t.Errorf("gave up after %v, before the %v budget", el, budget)
	}
}

func TestRefusedPort(t *testing.T) {
	p, rep := probe(t, closedPort(t), nil)
	st := mustFailAt(t, p, rep, StageConnect)
	if !strings.Contains(st.Detail, "refused") {
		t.Errorf("detail %q", st.Detail)
	}
}

func TestFilteredPort25SuggestsSubmission(t *testing.T) {
	// A filtered port: the SYN is never answered. Modelled by a dialer
	// that waits for the deadline, as the kernel would.
	blackhole := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
	}
	p, rep := probe(t, 25, func(o *Options) { o.DialContext, o.Timeout = blackhole, 200*time.Millisecond })
	st := mustFailAt(t, p, rep, StageConnect)
	if !strings.Contains(st.Detail, "timed out") || !strings.Contains(st.Hint, "587") {
		t.Errorf("detail %q hint %q", st.Detail, st.Hint)
	}
}

func TestDNSFailuresToldApart(t *testing.T) {
	for name, tc := range map[string]struct{ host, want string }{
		"nxdomain": {"nope.checks.test", "NXDOMAIN"},
		"servfail": {"broken.checks.test", "resolver failure"},
	} {
		t.Run(name, func(t *testing.T) {
			res := fakeResolver{"broken.checks.test": {"SERVFAIL"}}
			p, rep := probe(t, 25, func(o *Options) { o.Host, o.Resolver = tc.host, res })
			st := mustFailAt(t, p, rep, StageDNS)
			if !strings.Contains(st.Detail, tc.want) {
				t.Errorf("detail %q, want %q", st.Detail, tc.want)
			}
		})
	}
}

func TestPortsRunIndependently(t *testing.T) {
	good, pki := tlsFake(t, &fakeMTA{mechs: []string{"LOGIN"}}, leafOpts{})
	silent := scripted{}.start(t)
	var mu sync.Mutex
	finished := map[int]int{}
	rep := Run(context.Background(), Options{
		Host: fakeName, Ports: []int{silent, good}, Timeout: 300 * time.Millisecond,
		Resolver: loopbackResolver, CAFile: pki.caFile, User: goodUser, Password: []byte(goodPass),
		Progress: func(e Event) {
			if e.Kind == PortFinished {
				mu.Lock()
				finished[e.Port]++
				mu.Unlock()
			}
		},
	})
	if rep.Ports[0].Port != silent || rep.Ports[1].Port != good {
		t.Fatalf("ports out of order: %d %d", rep.Ports[0].Port, rep.Ports[1].Port)
	}
	if rep.Ports[0].OK || !rep.Ports[1].OK || rep.OK {
		t.Fatalf("silent ok %v, good ok %v", rep.Ports[0].OK, rep.Ports[1].OK)
	}
	if rep.ExitCode() != 21 || finished[silent] != 1 || finished[good] != 1 {
		t.Errorf("exit %d, PortFinished events %v", rep.ExitCode(), finished)
	}
}

func TestFirstFailureIsEarliestStage(t *testing.T) {
	rep := Report{Ports: []PortResult{
		{Port: 587, Stages: []StageResult{{Name: StageDNS, OK: true}, {Name: StageAuth}}},
		{Port: 25, Stages: []StageResult{{Name: StageDNS, OK: true}, {Name: StageConnect}}},
	}}
	port, st, ok := rep.FirstFailure()
	if !ok || port != 25 || st.Name != StageConnect || rep.ExitCode() != 2 {
		t.Errorf("first failure %d %s %v exit %d", port, st.Name, ok, rep.ExitCode())
	}
}

func TestProgressEventsInStageOrder(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{mechs: []string{"LOGIN"}}, leafOpts{})
	var events []Event
	p, _ := probe(t, port, func(o *Options) {
		withCreds(pki, goodUser, goodPass)(o)
		o.Progress = func(e Event) { events = append(events, e) }
	})
	var got []string
	for _, e := range events {
		switch e.Kind {
		case StageStarted:
			got = append(got, "+"+string(e.Stage))
		case StageFinished:
			got = append(got, "-"+string(e.Stage))
			if !e.Result.OK {
				t.Errorf("stage %s failed: %s", e.Stage, e.Result.Detail)
			}
		case PortFinished:
			got = append(got, "done")
			if e.PortResult == nil || e.PortResult.OK != p.OK {
				t.Errorf("PortFinished without the result")
			}
		}
	}
	want := "+dns -dns +connect -connect +banner -banner +ehlo -ehlo +starttls -starttls +tls -tls +ehlo_tls -ehlo_tls +auth -auth done"
	if strings.Join(got, " ") != want {
		t.Errorf("events\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestCancelStopsAtOnce(t *testing.T) {
	port := scripted{}.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	rep := Run(ctx, Options{
		Host: fakeName, Ports: []int{port}, Timeout: time.Hour, Resolver: loopbackResolver,
		Progress: func(e Event) {
			if e.Kind == StageStarted && e.Stage == StageBanner {
				cancel()
			}
		},
	})
	f, failed := rep.Ports[0].FailedStage()
	if !failed || f.Name != StageBanner || f.Detail != "cancelled" {
		t.Errorf("got %+v", f)
	}
}

func TestRunEndsWithQUIT(t *testing.T) {
	for name, pass := range map[string]string{"success": goodPass, "auth failure": "wrong"} {
		t.Run(name, func(t *testing.T) {
			port, pki := tlsFake(t, &fakeMTA{mechs: []string{"PLAIN"}}, leafOpts{})
			var sent []string
			probe(t, port, func(o *Options) {
				withCreds(pki, goodUser, pass)(o)
				o.Transcript = func(l TranscriptLine) {
					if l.Dir == Sent {
						sent = append(sent, l.Text)
					}
				}
			})
			if len(sent) == 0 || sent[len(sent)-1] != "QUIT" {
				t.Errorf("last command sent %q, want QUIT", sent)
			}
		})
	}
}
