package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// benchRTT is the round trip the benchmarks model (a typical path from a
// European office to a hosted smart host).
const benchRTT = 50 * time.Millisecond

// BenchmarkCheckTwoPortsWithAuth is the yardstick: the full check
// (dns → auth, then QUIT) of two ports at 50 ms RTT, AUTH LOGIN as
// Exchange sends it. Goal: no more than about 8 round trips of wall time
// (one port's chain is connect 1 + banner 1 + EHLO 1 + STARTTLS 1 + TLS 1.3
// handshake 1 + EHLO 1 + AUTH LOGIN 2; the ports run side by side; QUIT is
// not waited for). Reported as "RTTs/op".
//
//	go test -run '^$' -bench CheckTwoPorts -benchtime 20x ./checks/
func BenchmarkCheckTwoPortsWithAuth(b *testing.B) {
	f := &fakeMTA{mechs: []string{"PLAIN", "LOGIN"}}
	pki := newTestPKI(b)
	f.tlsFor(b, pki)
	upstream := "127.0.0.1:" + strconv.Itoa(f.start(b))
	p25 := newDelayProxy(b, upstream, benchRTT)
	p587 := newDelayProxy(b, upstream, benchRTT)
	o := Options{
		Host: fakeName, Ports: []int{p25.port(), p587.port()}, Resolver: loopbackResolver,
		DialContext: p25.dialer(), CAFile: pki.caFile, User: goodUser, Password: []byte(goodPass),
		Timeout: 10 * time.Second,
	}
	var last Report
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		last = Run(context.Background(), o)
		if !last.OK {
			b.Fatalf("check failed: %+v", last)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(benchRTT), "RTTs/op")
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/op")
	if f.usedMech() != "LOGIN" {
		b.Fatalf("benchmark did not use AUTH LOGIN but %q", f.usedMech())
	}
	b.Log(stageBreakdown(last))
}

// BenchmarkCheckNeverGreets measures what a port that accepts TCP and
// never greets costs: exactly the --timeout ("timeouts/op" ≈ 1.00).
func BenchmarkCheckNeverGreets(b *testing.B) {
	silent := scripted{}.start(b)
	const budget = 200 * time.Millisecond
	o := Options{Host: fakeName, Ports: []int{silent}, Resolver: loopbackResolver, Timeout: budget}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if rep := Run(context.Background(), o); rep.ExitCode() != StageBanner.ExitCode() {
			b.Fatalf("exit %d, want banner failure", rep.ExitCode())
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(budget), "timeouts/op")
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/op")
}

// stageBreakdown renders each port's stage times in RTTs for the log.
func stageBreakdown(r Report) string {
	s := fmt.Sprintf("total %.0f ms = %.2f RTT;", r.Ms, r.Ms/float64(benchRTT.Milliseconds()))
	for _, p := range r.Ports {
		s += fmt.Sprintf(" port %d:", p.Port)
		for _, st := range p.Stages {
			s += fmt.Sprintf(" %s %.2f", st.Name, st.Ms/float64(benchRTT.Milliseconds()))
		}
	}
	return s
}

// tlsFor gives f a certificate for fakeName from pki.
func (f *fakeMTA) tlsFor(t testing.TB, pki *testPKI) {
	t.Helper()
	f.tls = &tls.Config{}
	f.tls.Certificates = append(f.tls.Certificates, pki.leaf(t, leafOpts{names: []string{fakeName}}))
}
