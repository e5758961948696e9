package checks

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The disagreements between relaywiz's old generic client and Exchange's
// send connector, each against a fake smart host that has it: the
// Exchange Server dialect must judge as Exchange does.

func rawFake(t *testing.T, f *rawSmartHost) (int, *testPKI) {
	t.Helper()
	pki := newTestPKI(t)
	if f.cert.Certificate == nil {
		f.cert = pki.leaf(t, leafOpts{names: []string{fakeName}})
	}
	return f.start(t), pki
}

func probeAs(t *testing.T, d Dialect, port int, pki *testPKI, mod func(*Options)) (PortResult, Report) {
	t.Helper()
	return probe(t, port, func(o *Options) {
		withCreds(pki, goodUser, goodPass)(o)
		o.Dialect = d
		if mod != nil {
			mod(o)
		}
	})
}

func TestExchangeLogsInWhereInitialResponseIsRefused(t *testing.T) {
	f := &rawSmartHost{refuseIR: true}
	port, pki := rawFake(t, f)
	var lines []string
	p, rep := probeAs(t, DialectExchangeServer, port, pki, func(o *Options) {
		o.Transcript = func(l TranscriptLine) { lines = append(lines, l.String()) }
	})
	if !p.OK || p.Auth != AuthOK || rep.ExitCode() != 0 {
		fs, _ := p.FailedStage()
		t.Fatalf("Exchange logs in with a bare AUTH LOGIN and two prompts; got auth %q, %s: %s", p.Auth, fs.Name, fs.Detail)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"~> AUTH LOGIN\n", "<~ 334 VXNlcm5hbWU6", "<~ 334 UGFzc3dvcmQ6", "<~ 235"} {
		if !strings.Contains(text+"\n", want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "~> "+redacted) != 2 {
		t.Errorf("want both credential lines redacted:\n%s", text)
	}
	// The generic dialect (initial response) is what used to fail here.
	p, _ = probeAs(t, DialectGeneric, port, pki, nil)
	if p.Auth == AuthOK {
		t.Errorf("generic dialect: the server refuses initial responses, auth %q", p.Auth)
	}
}

func TestExchangeRefusesOnlyOldFormAUTH(t *testing.T) {
	port, pki := rawFake(t, &rawSmartHost{ehloTLS: []string{"AUTH=LOGIN"}})
	p, rep := probeAs(t, DialectExchangeServer, port, pki, nil)
	st := mustFailAt(t, p, rep, StageAuth)
	if rep.ExitCode() != 28 || !strings.Contains(st.ExchangeError, ExchangeRequireBasicAuth) || !strings.Contains(st.Detail, "AUTH=LOGIN") {
		t.Errorf("exit %d exchange_error %q detail %q", rep.ExitCode(), st.ExchangeError, st.Detail)
	}
	if want := ExchangeQueueText(ExchangeRequireBasicAuth); st.ExchangeError != want {
		t.Errorf("exchange_error %q, want the queue's form %q", st.ExchangeError, want)
	}
	// The old client logged in (parsing AUTH=LOGIN), where Exchange will not.
	if p, _ := probeAs(t, DialectGeneric, port, pki, nil); p.Auth != AuthOK {
		t.Errorf("generic dialect: auth %q", p.Auth)
	}
}

func TestExchangeRefusesOnlyPLAIN(t *testing.T) {
	f := &rawSmartHost{ehloTLS: []string{"AUTH PLAIN"}}
	port, pki := rawFake(t, f)
	p, rep := probeAs(t, DialectExchangeServer, port, pki, nil)
	st := mustFailAt(t, p, rep, StageAuth)
	if rep.ExitCode() != 28 || !strings.Contains(st.ExchangeError, "451 5.7.3 Require basic authentication") {
		t.Errorf("exit %d exchange_error %q", rep.ExitCode(), st.ExchangeError)
	}
	if auths, _, _ := f.snapshot(); auths != 0 {
		t.Errorf("Exchange sends no AUTH at all here; %d sent", auths)
	}
	if p, _ := probeAs(t, DialectGeneric, port, pki, nil); p.Auth != AuthOK {
		t.Errorf("generic dialect (PLAIN allowed): auth %q", p.Auth)
	}
}

func TestExchangeMultiLine334IsFatal(t *testing.T) {
	port, pki := rawFake(t, &rawSmartHost{multiLine334: true})
	p, rep := probeAs(t, DialectExchangeServer, port, pki, nil)
	st := mustFailAt(t, p, rep, StageAuth)
	if rep.ExitCode() != 28 || !strings.Contains(st.ExchangeError, ExchangeIllegalAuthResponse) || !strings.Contains(st.Detail, "more than one line") {
		t.Errorf("exit %d exchange_error %q detail %q", rep.ExitCode(), st.ExchangeError, st.Detail)
	}
}

func TestExchangeSendsNoSNIAndFailsWhenOnlyTheSNICertificateFits(t *testing.T) {
	pki := newTestPKI(t)
	good := pki.leaf(t, leafOpts{names: []string{fakeName}})
	f := &rawSmartHost{cert: pki.leaf(t, leafOpts{names: []string{"default.hosting.test"}}), sniCert: &good}
	port := f.start(t)
	p, rep := probeAs(t, DialectExchangeServer, port, pki, nil)
	st := mustFailAt(t, p, rep, StageTLS)
	if rep.ExitCode() != 29 || !strings.Contains(st.Detail, "SNI") || !strings.Contains(st.Hint, "SNI") || !strings.Contains(st.Detail, "INFERRED") {
		t.Errorf("exit %d detail %q hint %q", rep.ExitCode(), st.Detail, st.Hint)
	}
	for _, cert := range []string{"default.hosting.test", "CN=" + fakeName} {
		if !strings.Contains(st.Detail, cert) {
			t.Errorf("detail must show both certificates, lacks %q: %s", cert, st.Detail)
		}
	}
	if p.TLS == nil || p.TLS.SNI || p.TLS.WithSNI == nil || !p.TLS.WithSNI.Verified || !p.TLS.WithSNI.SNI {
		t.Errorf("tls %+v", p.TLS)
	}
	if !strings.Contains(st.ExchangeError, ExchangeCertValidation) {
		t.Errorf("exchange_error %q", st.ExchangeError)
	}
	_, sni, _ := f.snapshot()
	if len(sni) < 2 || sni[0] != "" || sni[1] != fakeName {
		t.Errorf("handshakes' SNI %q: want none first, then %s for the comparison", sni, fakeName)
	}
	// The generic dialect sends SNI and passes.
	if p, _ := probeAs(t, DialectGeneric, port, pki, nil); !p.OK {
		t.Errorf("generic dialect with SNI should pass: %v", stageNames(p))
	}
}

func TestExchangeNoSecondHandshakeWhenTheDefaultCertificateFits(t *testing.T) {
	f := &rawSmartHost{}
	port, pki := rawFake(t, f)
	p, _ := probeAs(t, DialectExchangeServer, port, pki, nil)
	if !p.OK || p.TLS.SNI || p.TLS.WithSNI != nil {
		t.Fatalf("ok %v tls %+v", p.OK, p.TLS)
	}
	if _, sni, _ := f.snapshot(); len(sni) != 1 || sni[0] != "" {
		t.Errorf("handshakes' SNI %q, want exactly one without SNI", sni)
	}
}

func TestExchangeIPSmartHostPredictsCertificateFailure(t *testing.T) {
	// 192.0.2.10 is only the name in the connector: DialContext takes every
	// connection to the fake on loopback, nothing else is ever contacted.
	const ip = "192.0.2.10"
	pki := newTestPKI(t)
	f := &rawSmartHost{cert: pki.leaf(t, leafOpts{names: []string{ip}})}
	port := f.start(t)
	toFake := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
	}
	o := Options{Host: ip, Ports: []int{587}, CAFile: pki.caFile, User: goodUser, Password: []byte(goodPass),
		DialContext: toFake, Timeout: 5 * time.Second}
	rep := Run(context.Background(), o)
	p := rep.Ports[0]
	st := mustFailAt(t, p, rep, StageTLS)
	if want := ExchangeQueueText(ExchangeCertValidation); st.ExchangeError != want || rep.ExitCode() != 29 || !strings.Contains(st.Hint, "["+ip+"]") {
		t.Errorf("exchange_error %q (want %q) exit %d hint %q", st.ExchangeError, want, rep.ExitCode(), st.Hint)
	}
	if auths, _, _ := f.snapshot(); auths != 0 {
		t.Error("credentials sent to a server Exchange would refuse")
	}
	// The generic dialect verifies the IP SAN and logs in.
	o.Dialect = DialectGeneric
	if rep := Run(context.Background(), o); !rep.OK {
		t.Errorf("generic dialect: %+v", rep.Ports[0].Stages)
	}
}

func TestExchangeOnlineProbesPort25OnlyAndNeverAuthenticates(t *testing.T) {
	f := &rawSmartHost{}
	port, pki := rawFake(t, f)
	var dialled []string
	toFake := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialled = append(dialled, addr)
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
	}
	rep := Run(context.Background(), Options{Host: fakeName, Ports: []int{587, 2525}, Dialect: DialectExchangeOnline,
		Resolver: loopbackResolver, DialContext: toFake, CAFile: pki.caFile, User: goodUser, Password: []byte(goodPass), Timeout: 5 * time.Second})
	if rep.As != DialectExchangeOnline || len(rep.Ports) != 1 || rep.Ports[0].Port != 25 || !rep.OK {
		t.Fatalf("as %q ports %+v", rep.As, rep.Ports)
	}
	if len(dialled) != 1 || !strings.HasSuffix(dialled[0], ":25") {
		t.Errorf("dialled %v, want port 25 only", dialled)
	}
	if auths, _, _ := f.snapshot(); auths != 0 || rep.Ports[0].Auth != AuthSkipped {
		t.Errorf("Exchange Online never logs in: %d AUTH, auth %q", auths, rep.Ports[0].Auth)
	}
	for _, st := range rep.Ports[0].Stages {
		if st.Name == StageAuth {
			t.Errorf("auth stage ran: %+v", st)
		}
	}
}

// Regression (trust defect 4): a wrong password was tried on both ports at
// once, two failed logins per run. The connector's port logs in first; on
// 535 the other ports do not try.
func TestWrongPasswordIsTriedOnOnePortOnly(t *testing.T) {
	f := &rawSmartHost{}
	port, pki := rawFake(t, f)
	other := f.start(t)
	for _, d := range []Dialect{DialectExchangeServer, DialectGeneric} {
		before, _, _ := f.snapshot()
		rep := Run(context.Background(), Options{Host: fakeName, Ports: []int{other, port}, AuthPort: port, Dialect: d,
			Resolver: loopbackResolver, CAFile: pki.caFile, User: goodUser, Password: []byte("wrong"), Timeout: 5 * time.Second})
		after, _, _ := f.snapshot()
		if after-before != 1 {
			t.Errorf("%s: %d AUTH attempts for one run, want 1", d, after-before)
		}
		lead, follow := rep.Ports[1], rep.Ports[0]
		if lead.Auth != AuthFailed || rep.ExitCode() != 28 {
			t.Errorf("%s: connector port auth %q exit %d", d, lead.Auth, rep.ExitCode())
		}
		if follow.Auth != AuthSkipped || !strings.Contains(follow.AuthNote, "refused on port "+strconv.Itoa(port)) {
			t.Errorf("%s: other port auth %q note %q", d, follow.Auth, follow.AuthNote)
		}
	}
	// A good password is proven once, on the connector's port.
	before, _, _ := f.snapshot()
	rep := Run(context.Background(), Options{Host: fakeName, Ports: []int{other, port}, AuthPort: port,
		Resolver: loopbackResolver, CAFile: pki.caFile, User: goodUser, Password: []byte(goodPass), Timeout: 5 * time.Second})
	after, _, _ := f.snapshot()
	if after-before != 1 || !rep.OK || rep.Ports[1].Auth != AuthOK || !strings.Contains(rep.Ports[0].AuthNote, "accepted on port "+strconv.Itoa(port)) {
		t.Errorf("%d AUTH, ok %v, ports %+v", after-before, rep.OK, rep.Ports)
	}
}

// A connector port that never connects (filtered) must not hold the other
// ports' login until the budget ends: the first port ready leads then.
func TestLoginDoesNotWaitForAFilteredConnectorPort(t *testing.T) {
	f := &rawSmartHost{}
	port, pki := rawFake(t, f)
	const filtered = 2525
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasSuffix(addr, ":"+strconv.Itoa(filtered)) {
			<-ctx.Done() // a firewall that drops the SYN
			return nil, ctx.Err()
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	start := time.Now()
	rep := Run(context.Background(), Options{Host: fakeName, Ports: []int{filtered, port}, AuthPort: filtered,
		Resolver: loopbackResolver, DialContext: dial, CAFile: pki.caFile, User: goodUser, Password: []byte(goodPass), Timeout: 2 * time.Second})
	if p := rep.Ports[1]; p.Auth != AuthOK {
		fs, _ := p.FailedStage()
		t.Fatalf("the reachable port did not log in: auth %q, %s %s", p.Auth, fs.Name, fs.Detail)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}
