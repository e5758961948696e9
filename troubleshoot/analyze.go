package troubleshoot

import (
	"errors"
	"io"
	"math"
	"strings"
	"time"
)

// Options tune Analyze. The zero value uses the defaults.
type Options struct {
	// ProviderHosts are host patterns of the provider's smart host (see
	// hostMatcher for the forms). Empty: DefaultProviderHosts.
	ProviderHosts []string
	// MaxHeaderBytes caps the header block. 0: DefaultMaxHeaderBytes.
	MaxHeaderBytes int64
	// SlowHop is the per-hop delay above which a hop is reported. 0: DefaultSlowHop.
	SlowHop time.Duration
	// TriggerLabels are sensitivity label GUIDs that must route securely.
	// Empty: any enabled label is reported as a possible trigger.
	TriggerLabels []string
	// TriggerSubjects are subject words that must route securely (the
	// Custom Relay "word in the subject" rule), matched case-insensitively.
	TriggerSubjects []string
	// AntiLoopHeaders are extra header names to report as anti-loop headers
	// (the CodeTwo guide lets the admin choose the name).
	AntiLoopHeaders []string
}

// DefaultSlowHop: Exchange, EOP and the providers hand a message on within
// seconds; minutes on one hop point at a deferred rule, a queue retry
// (4xx from the smart host) or greylisting.
const DefaultSlowHop = 5 * time.Minute

// maxHops bounds the chain for hostile input; real chains have < 30 hops,
// and Exchange itself gives up on loops long before this.
const maxHops = 300

var (
	errEmptyPattern    = errors.New("empty provider host pattern")
	errBadPatternChars = errors.New("a provider host pattern is a host name, a domain or a glob like *.zivver.com (no spaces, '/', '@' or ':')")
)

// Analysis is what Analyze found. Its JSON form is the `relaywiz headers
// --json` contract: {"hops":[…],"markers":{…},"labels":[…],"verdict":{…}}.
type Analysis struct {
	Hops    []Hop   `json:"hops"`
	Markers Markers `json:"markers"`
	Labels  []Label `json:"labels"`
	Verdict Verdict `json:"verdict"`
}

// Analyze reads a message or its header block from r (the body is never
// read) and explains how it travelled. Errors: *TooLargeError above the
// cap, ErrNoHeaders when r holds no header field, or a read error.
func Analyze(r io.Reader, opts Options) (Analysis, error) {
	fields, ignored, err := readHeaderBlock(r, opts.MaxHeaderBytes)
	if err != nil {
		return Analysis{}, err
	}
	provider := newHostMatcher(opts.ProviderHosts)
	if len(provider.patterns) == 0 {
		provider = newHostMatcher(DefaultProviderHosts)
	}
	extraLoop := map[string]bool{}
	for _, h := range opts.AntiLoopHeaders {
		extraLoop[strings.ToLower(strings.TrimSpace(h))] = true
	}

	a := Analysis{Hops: []Hop{}}
	a.Markers, a.Labels = collectMarkers(fields, extraLoop)
	a.Markers.IgnoredLines = ignored

	// Received headers are prepended by each MTA: the first one in the
	// block is the newest. Collect, then reverse to oldest first.
	var received []string
	truncated := false
	for _, f := range fields {
		if f.Key != "received" {
			continue
		}
		if len(received) == maxHops {
			truncated = true
			continue
		}
		received = append(received, f.Value)
	}
	for i := len(received) - 1; i >= 0; i-- {
		h := parseReceived(received[i])
		h.Index = len(a.Hops) + 1
		h.Provider = provider.match(h.By) || provider.match(h.From)
		a.Hops = append(a.Hops, h)
	}
	computeDelays(a.Hops, a.Markers.Date)

	a.Verdict = judge(a, provider, opts, truncated)
	return a, nil
}

// computeDelays fills DelaySeconds (since the previous hop, the first hop
// since the Date header) and DelayPercent (share of the total, counting
// negative clock-skew delays as zero) like Microsoft's Message Header
// Analyzer does.
func computeDelays(hops []Hop, date *time.Time) {
	prev := date
	var total float64
	for i := range hops {
		t := hops[i].Time
		if t != nil && prev != nil {
			d := t.Sub(*prev).Seconds()
			hops[i].DelaySeconds = &d
			if d > 0 {
				total += d
			}
		}
		if t != nil {
			prev = t
		}
	}
	if total <= 0 {
		return
	}
	for i := range hops {
		if d := hops[i].DelaySeconds; d != nil {
			p := math.Round(math.Max(*d, 0)/total*1000) / 10
			hops[i].DelayPercent = &p
		}
	}
}
