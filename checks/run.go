package checks

import (
	"context"
	"sync"
	"time"
)

// Run probes every port of the smart host side by side (the ports never
// wait for each other) and returns what each stage found. It never
// prints; Progress and Transcript, when set, are called as things happen
// (never concurrently). A failing stage ends that port's probe; the other
// ports go on. Each port's probe is bounded by Options.Timeout; ctx
// cancels everything.
func Run(ctx context.Context, o Options) Report {
	ports := o.Ports
	if len(ports) == 0 {
		ports = DefaultPorts
	}
	dialect := o.Dialect.orDefault()
	if dialect == DialectExchangeOnline {
		// New-OutboundConnector has no port: Exchange Online uses 25.
		ports = []int{OnlinePort}
	}
	var gate *authGate
	if o.User != "" && o.Password != nil && len(ports) > 1 {
		pref := 0
		for _, p := range ports {
			if p == o.AuthPort {
				pref = p
			}
		}
		gate = newAuthGate(pref)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	roots := o.RootCAs
	if roots == nil && o.CAFile != "" {
		// Parse once for all ports; on error each port's tls stage
		// reports it (the CLI validates the file before it gets here).
		if pool, err := LoadRoots(o.CAFile); err == nil {
			roots = pool
		}
	}

	var mu sync.Mutex // serialises the callbacks across the port goroutines
	var progress func(Event)
	if o.Progress != nil {
		progress = func(e Event) { mu.Lock(); defer mu.Unlock(); o.Progress(e) }
	}
	var transcript func(TranscriptLine)
	if o.Transcript != nil {
		transcript = func(l TranscriptLine) { mu.Lock(); defer mu.Unlock(); o.Transcript(l) }
	}

	start := time.Now()
	results := make([]PortResult, len(ports))
	var wg sync.WaitGroup
	for i, port := range ports {
		wg.Go(func() {
			s := newSession(DialOptions{
				Host:               o.Host,
				Port:               port,
				Dialect:            dialect,
				gate:               gate,
				EHLOName:           o.EHLOName,
				TLSServerName:      o.TLSServerName,
				RootCAs:            roots,
				CAFile:             o.CAFile,
				InsecureSkipVerify: o.InsecureSkipVerify,
				User:               o.User,
				Password:           o.Password,
				Timeout:            timeout,
				Resolver:           o.Resolver,
				DialContext:        o.DialContext,
				Transcript:         transcript,
				Progress:           progress,
			})
			err := s.walk(ctx)
			if gate != nil && err != nil {
				gate.gone(port) // never reached AUTH: the next port may lead
			}
			if err == nil {
				// QUIT without waiting for the 221: the result is
				// complete, and waiting would only add a round trip.
				s.quitNoWait()
			}
			// A certificate that was not verified (--insecure-skip-verify)
			// is never a pass: Exchange validates it.
			s.res.OK = err == nil && (s.res.TLS == nil || s.res.TLS.Verified)
			results[i] = s.res
			if progress != nil {
				r := s.res
				progress(Event{Kind: PortFinished, Port: port, PortResult: &r})
			}
		})
	}
	wg.Wait()

	rep := Report{Host: o.Host, As: dialect, OK: true, Ms: millis(time.Since(start)), Ports: results}
	for _, p := range results {
		rep.OK = rep.OK && p.OK
	}
	return rep
}
