package relay

// BenchmarkRelayVsDirect compares the time per message of submitting to the
// real Postfix directly (checks.Dial: STARTTLS, verify, AUTH, then MAIL/RCPT/
// DATA/QUIT) with submitting the same message through the relay (plain
// loopback to the relay, which does the same upstream session and streams
// the body on). Every operation is one whole session, as an Exchange send
// connector or `relaywiz send` would do it. Goal: relay ≤ 1.3× direct.
//
//	set -a; . /work/notes/peers.env; set +a   # or under `make test`
//	go test -run '^$' -bench RelayVsDirect -benchtime 21x ./relay/
//
// Each size reports the median time per message of every path and the
// ratios relay/direct (pooled smart host connection, the default) and
// cold/direct (pooling off: TCP + STARTTLS + AUTH per message, like direct).

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
	"relaywiz/testpeers"
)

func benchMessage(size int) []byte {
	head := "From: a@example.com\r\nTo: b@example.org\r\nSubject: benchmark\r\n\r\n"
	line := strings.Repeat("x", 76) + "\r\n"
	var b bytes.Buffer
	b.WriteString(head)
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	return b.Bytes()
}

func BenchmarkRelayVsDirect(b *testing.B) {
	m := testpeers.RequireMTA(b)
	local := uniqueLocal("bench")
	rcpt := local + "@" + m.SinkDomain
	cfg := mtaUpstream(m, m.Password)
	srv, _ := startTestRelay(b, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})
	// cold: a new smart host connection (TLS + AUTH) for every message,
	// exactly the work the direct path does.
	cold, _ := startTestRelay(b, Options{Upstream: NewUpstreamDialer(cfg), UpstreamName: cfg.Name(), UpstreamIdle: -1})
	b.Cleanup(func() { cleanMailbox(b, m, local) })

	direct := func(msg []byte) {
		conn, err := checks.Dial(context.Background(), checks.DialOptions{Host: cfg.Host, Port: cfg.Port, CAFile: cfg.CAFile, User: cfg.User, Password: cfg.Password})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sendVia(conn.Client, "a@example.com", []string{rcpt}, msg); err != nil {
			b.Fatal(err)
		}
		conn.Quit()
	}
	// direct-exchange: what an Exchange connector itself sends to the
	// smart host: the exchange-server dialect's envelope (pipelined when
	// offered) and one BDAT <n> LAST when CHUNKING is offered (held until
	// its size is known), through checks.Conn as the relay's upstream does.
	directExchange := func(msg []byte) {
		conn, err := checks.Dial(context.Background(), checks.DialOptions{Host: cfg.Host, Port: cfg.Port, CAFile: cfg.CAFile, User: cfg.User, Password: cfg.Password})
		if err != nil {
			b.Fatal(err)
		}
		if r := conn.MailRcpt(false, "a@example.com", &smtp.MailOptions{Size: int64(len(msg))}, []string{rcpt}); r.Mail != nil || r.Rcpt[0] != nil {
			b.Fatalf("envelope: %+v", r)
		}
		w, err := conn.Body()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		conn.Quit()
	}
	generic := cfg
	generic.Dialect = checks.DialectGeneric
	relayGeneric, _ := startTestRelay(b, Options{Upstream: NewUpstreamDialer(generic), UpstreamName: generic.Name()})
	via := func(s *Server) func([]byte) {
		return func(msg []byte) {
			c, err := smtp.Dial(s.Addr())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sendVia(c, "a@example.com", []string{rcpt}, msg); err != nil {
				b.Fatal(err)
			}
			c.Quit()
		}
	}
	paths := []struct {
		name string
		send func([]byte)
	}{{"direct", direct}, {"relay", via(srv)}, {"relay-cold", via(cold)}, {"direct-exchange", directExchange}, {"relay-generic", via(relayGeneric)}}

	for _, size := range []struct {
		name string
		n    int
	}{{"1KB", 1 << 10}, {"10MB", 10 << 20}} {
		msg := benchMessage(size.n)
		b.Run(size.name, func(b *testing.B) {
			// The paths take turns message by message, so a load spike on
			// the (shared) machine hits all of them alike; medians keep one
			// slow outlier from deciding the ratio.
			times := make([][]time.Duration, len(paths))
			for i := 0; i < b.N; i++ {
				for p, path := range paths {
					start := time.Now()
					path.send(msg)
					times[p] = append(times[p], time.Since(start))
				}
			}
			med := make([]float64, len(paths))
			for p := range paths {
				med[p] = float64(median(times[p])) / float64(time.Millisecond)
				b.ReportMetric(med[p], paths[p].name+"-ms/msg")
			}
			b.ReportMetric(med[1]/med[0], "relay/direct")
			b.ReportMetric(med[2]/med[0], "cold/direct")
			b.ReportMetric(med[1]/med[3], "relay/direct-exchange")
			b.ReportMetric(med[4]/med[0], "relay-generic/direct")
			b.ReportMetric(0, "ns/op") // the per-path metrics above are the result
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// cleanMailbox removes what the benchmark delivered (hundreds of MB with
// the 10 MB case) once Postfix has finished delivering it.
func cleanMailbox(b *testing.B, m testpeers.MTA, local string) {
	dir := filepath.Dir(m.MaildirFor(local))
	last := -1
	for i := 0; i < 100; i++ { // until the count stops growing (≤ 10 s)
		files, _ := filepath.Glob(filepath.Join(m.MaildirFor(local), "*"))
		if len(files) == last {
			break
		}
		last = len(files)
		time.Sleep(100 * time.Millisecond)
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Logf("could not clean %s: %v", dir, err)
	}
}
