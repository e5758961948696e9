package troubleshoot

import (
	"bytes"
	"errors"
	"fmt"
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
	// AllHeaders fills Analysis.Headers with every header field in order
	// (Message Header Analyzer's "Other headers" table).
	AllHeaders bool
	// ScanAttached reads past the header block of a multipart message to
	// list attached messages (message/rfc822 parts). Off for interactive
	// paste: the body would never come and the read would block.
	ScanAttached bool
	// Attached, when > 0, analyses the Nth attached message instead of
	// the outer one (implies ScanAttached).
	Attached int
	// MaxMessageBytes caps a whole message read for attachments or an
	// Outlook .msg file. 0: files.MaxMessageBytes.
	MaxMessageBytes int64
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
// --json` contract: {"input":…,"summary":{…},"hops":[…],"markers":{…},
// "labels":[…],"antispam":[…],"attached":[…],"headers":[…],"verdict":{…}}.
type Analysis struct {
	// Input says what was read: "headers" (an .eml or pasted text), "msg"
	// (an Outlook .msg file's transport headers), or "attached N" when
	// Options.Attached picked an attached message.
	Input    string          `json:"input"`
	Summary  Summary         `json:"summary"`
	Hops     []Hop           `json:"hops"`
	Markers  Markers         `json:"markers"`
	Labels   []Label         `json:"labels"`
	Antispam []AntispamField `json:"antispam"`
	// Attached lists the messages attached to this one (with
	// Options.ScanAttached); Options.Attached = Index analyses one.
	Attached []AttachedMessage `json:"attached,omitempty"`
	// Headers is every header field in input order (Options.AllHeaders).
	Headers []HeaderField `json:"headers,omitempty"`
	Verdict Verdict       `json:"verdict"`
}

// Summary is the overview Message Header Analyzer leads with.
type Summary struct {
	Created   *time.Time `json:"created,omitempty"`   // the Date header
	Delivered *time.Time `json:"delivered,omitempty"` // the newest hop's time
	// TotalDelaySeconds is Delivered minus Created (or minus the oldest
	// hop's time without a Date header); DeliveredAfter the same in words.
	TotalDelaySeconds *float64 `json:"total_delay_seconds,omitempty"`
	DeliveredAfter    string   `json:"delivered_after,omitempty"`
	Hops              int      `json:"hops"`
}

// Analyze reads a message or its header block from r (the body is never
// read) and explains how it travelled. Errors: *TooLargeError above the
// cap, ErrNoHeaders when r holds no header field, or a read error.
func Analyze(r io.Reader, opts Options) (Analysis, error) {
	in, err := readInput(r, opts)
	if err != nil {
		return Analysis{}, err
	}
	if opts.Attached > 0 {
		if opts.Attached > len(in.attached) {
			return Analysis{}, &AttachedError{Want: opts.Attached, Have: len(in.attached)}
		}
		inner := opts
		inner.Attached, inner.ScanAttached = 0, false
		a, err := Analyze(bytes.NewReader(in.attachedRaw[opts.Attached-1]), inner)
		if err != nil {
			return Analysis{}, fmt.Errorf("attached message %d: %w", opts.Attached, err)
		}
		a.Input = fmt.Sprintf("attached %d", opts.Attached)
		return a, nil
	}
	return analyzeFields(in, opts), nil
}

func analyzeFields(in input, opts Options) Analysis {
	fields, ignored := in.fields, in.ignored
	provider := newHostMatcher(opts.ProviderHosts)
	if len(provider.patterns) == 0 {
		provider = newHostMatcher(DefaultProviderHosts)
	}
	extraLoop := map[string]bool{}
	for _, h := range opts.AntiLoopHeaders {
		extraLoop[strings.ToLower(strings.TrimSpace(h))] = true
	}

	a := Analysis{Input: in.kind, Hops: []Hop{}, Antispam: []AntispamField{}, Attached: in.attached}
	a.Markers, a.Labels = collectMarkers(fields, extraLoop)
	a.Markers.IgnoredLines = ignored
	for _, f := range fields {
		if name, ok := antispamHeaders[f.Key]; ok && len(a.Antispam) < maxAntispamFields {
			a.Antispam = append(a.Antispam, parseAntispam(name, f.Value)...)
		}
		if opts.AllHeaders {
			a.Headers = append(a.Headers, HeaderField{Name: f.Name, Value: decodeHeader(f.Value)})
		}
	}

	// Received headers are prepended by each MTA: the first one in the
	// block is the newest. Collect, then reverse to oldest first.
	// Beyond the cap the newest hops (nearest the recipient, first in the
	// block) are kept: in a loop they show what repeats.
	var received []string
	total := 0
	for _, f := range fields {
		if f.Key != "received" {
			continue
		}
		total++
		if len(received) < maxHops {
			received = append(received, f.Value)
		}
	}
	for i := len(received) - 1; i >= 0; i-- {
		h := parseReceived(received[i])
		h.Index = len(a.Hops) + 1
		h.Provider = provider.match(h.By) || matchFrom(provider, h)
		a.Hops = append(a.Hops, h)
	}
	computeDelays(a.Hops, a.Markers.Date)
	a.Summary = summarize(a.Hops, a.Markers.Date)

	a.Verdict = judge(a, provider, opts, total)
	return a
}

// matchFrom: the client is the provider when its announced name or its
// reverse-DNS name matches.
func matchFrom(m hostMatcher, h Hop) bool {
	return m.match(h.From) || m.match(h.FromRDNS)
}

func summarize(hops []Hop, date *time.Time) Summary {
	s := Summary{Created: date, Hops: len(hops)}
	var first *time.Time
	for i := range hops {
		if t := hops[i].Time; t != nil {
			if first == nil {
				first = t
			}
			s.Delivered = t
		}
	}
	start := date
	if start == nil {
		start = first
	}
	// One timestamp alone (no Date header, one timed hop) is no delay.
	if start != nil && s.Delivered != nil && start != s.Delivered {
		d := s.Delivered.Sub(*start).Seconds()
		s.TotalDelaySeconds = &d
		s.DeliveredAfter = humanDuration(d)
	}
	return s
}

// humanDuration writes a delay the way a person says it: "6 seconds",
// "12 minutes 18 seconds", "2 hours 5 minutes".
func humanDuration(sec float64) string {
	neg := sec < 0
	d := time.Duration(math.Abs(sec) * float64(time.Second)).Round(time.Second)
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	h, m, s := int64(d/time.Hour), int64(d%time.Hour/time.Minute), int64(d%time.Minute/time.Second)
	var out string
	switch {
	case h >= 24:
		out = unit(h/24, "day") + " " + unit(h%24, "hour")
	case h > 0:
		out = unit(h, "hour") + " " + unit(m, "minute")
	case m > 0:
		out = unit(m, "minute") + " " + unit(s, "second")
	default:
		out = unit(s, "second")
	}
	if neg {
		out = "-" + out + " (clocks differ)"
	}
	return out
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
