package checks

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkEnvelope: RSET + MAIL FROM + two RCPT TO at 50 ms RTT (delay
// proxy). Pipelined (an Exchange dialect, PIPELINING offered) they cost one
// round trip; one at a time four. Fails when the pipelined median exceeds
// 1.5 round trips.
func BenchmarkEnvelope(b *testing.B) {
	for _, tc := range []struct {
		name string
		ext  []string
		d    Dialect
		goal float64
	}{
		{"exchange-server/pipelining", []string{"PIPELINING"}, DialectExchangeServer, 1.5},
		{"exchange-server/no-pipelining", nil, DialectExchangeServer, 0},
		{"generic/pipelining-offered", []string{"PIPELINING"}, DialectGeneric, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := &rawSmartHost{ehloTLS: tc.ext}
			pki := newTestPKI(b)
			f.cert = pki.leaf(b, leafOpts{names: []string{fakeName}})
			p := newDelayProxy(b, "127.0.0.1:"+strconv.Itoa(f.start(b)), benchRTT)
			conn, err := Dial(context.Background(), DialOptions{Dialect: tc.d, Host: fakeName, Port: p.port(), DialContext: p.dialer(),
				Resolver: loopbackResolver, CAFile: pki.caFile, Timeout: 10 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			runs := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				r := conn.MailRcpt(true, "a@example.com", nil, []string{"b@example.org", "c@example.org"})
				runs = append(runs, time.Since(t0))
				if r.Reset != nil || r.Mail != nil || len(r.Rcpt) != 2 || r.Rcpt[0] != nil || r.Rcpt[1] != nil {
					b.Fatalf("replies %+v", r)
				}
			}
			slices.Sort(runs)
			rtts := float64(runs[len(runs)/2]) / float64(benchRTT)
			b.ReportMetric(rtts, "median-RTTs")
			b.ReportMetric(0, "ns/op")
			if tc.goal > 0 && rtts > tc.goal && b.N >= 5 {
				b.Errorf("%s: %.2f round trips for RSET+MAIL+2 RCPT, goal %.1f", tc.name, rtts, tc.goal)
			}
		})
	}
}
