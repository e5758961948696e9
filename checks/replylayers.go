package checks

// Exchange rarely shows the smart host's reply on its own: the queue wraps it
// ("451 4.4.0 Primary target IP address responded with: "451 5.7.3 …""),
// Exchange Online chains it with "->" or tucks it into "[Message=…]". The
// innermost reply is the real reason; the wrapper only says how Exchange
// reacted. ExplainLayers splits a line into those layers so each one gets
// its own explanation, innermost first.

import (
	"regexp"
	"sort"
	"strings"
)

// ReplyLayer is one reply found in a line, with what it means.
type ReplyLayer struct {
	Text string // the part of the line this layer covers, trimmed
	Info ReplyInfo
}

var (
	// a reply code with an enhanced code, or an enhanced code alone (NDR and
	// message-trace style: "LED=450 4.4.316 …", "5.7.708 Access denied …")
	layerReEnhanced = regexp.MustCompile(`([2-5]\d\d[ \-]+)?[245]\.\d{1,3}\.\d{1,3}`)
	// a bare reply code right after one of Exchange's wrapper markers: the
	// inner reply of a server that sends no enhanced codes
	layerReWrappedBasic = regexp.MustCompile(`(?i)(?:responded with:\s*["']?|->\s*|\[message=|returned\s+["'])([2-5][0-5]\d)[ \-]`)
)

// ExplainLayers returns the replies in text, innermost (last quoted) first,
// then each wrapper outwards. A line with a single reply gives one layer;
// text without any code or known wording gives none.
func ExplainLayers(text string) []ReplyLayer {
	if len(text) > replyMaxLookupText {
		text = text[:replyMaxLookupText]
	}
	starts := layerStarts(text)
	if len(starts) < 2 {
		info, ok := lookupOne(text)
		if !ok {
			return nil
		}
		return []ReplyLayer{{Text: strings.TrimSpace(text), Info: info}}
	}
	// Segments in text order, outermost first.
	type segment struct {
		text string
		info ReplyInfo
	}
	var segs []segment
	failed := false
	for i := range starts {
		from, to := starts[i], len(text)
		if i+1 < len(starts) {
			to = starts[i+1]
		}
		if i == 0 {
			from = 0 // keep the words before the first code ("Remote Server returned")
		}
		info, ok := lookupOne(text[from:to])
		if !ok {
			if len(segs) > 0 {
				segs[len(segs)-1].text += text[from:to]
			}
			continue
		}
		failed = failed || info.Code >= 400
		segs = append(segs, segment{text[from:to], info})
	}
	// A positive reply (2xx, 3xx) quoted inside a failure is why it failed
	// ("answered DATA with an unexpected 250": out of turn), not a reason
	// of its own: explaining it ("This is not an error") would tell the
	// admin the opposite of the truth. It stays part of its wrapper's text.
	if failed {
		kept := segs[:0]
		for _, sg := range segs {
			if sg.info.Code > 0 && sg.info.Code < 400 && len(kept) > 0 {
				kept[len(kept)-1].text += sg.text
				continue
			}
			kept = append(kept, sg)
		}
		segs = kept
	}
	layers := make([]ReplyLayer, 0, len(segs))
	for i := len(segs) - 1; i >= 0; i-- {
		layers = append(layers, ReplyLayer{Text: layerTrim(segs[i].text), Info: segs[i].info})
	}
	return layers
}

// layerStarts lists where each reply begins, in text order, one per reply.
func layerStarts(text string) []int {
	var starts []int
	for _, loc := range layerReEnhanced.FindAllStringSubmatchIndex(text, 32) {
		s, e := loc[0], loc[1]
		// the enhanced part must not be a piece of an IP address or version
		es := s
		if loc[2] >= 0 {
			es = loc[3]
		}
		if es > 0 && (replyIsDigit(text[es-1]) || text[es-1] == '.') {
			continue
		}
		if s > 0 && loc[2] >= 0 && replyIsDigit(text[s-1]) {
			continue
		}
		if e < len(text) && (replyIsDigit(text[e]) || (text[e] == '.' && e+1 < len(text) && replyIsDigit(text[e+1]))) {
			continue
		}
		starts = append(starts, s)
	}
	for _, loc := range layerReWrappedBasic.FindAllStringSubmatchIndex(text, 16) {
		s := loc[2]
		if !layerCovered(starts, s) {
			starts = append(starts, s)
		}
	}
	sort.Ints(starts)
	return starts
}

// layerCovered reports whether a bare code at s is already the start of a
// reply found with its enhanced code.
func layerCovered(starts []int, s int) bool {
	for _, st := range starts {
		if st == s {
			return true
		}
	}
	return false
}

// layerTrim drops the quoting and brackets a wrapper leaves around and after
// an inner reply.
func layerTrim(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ` "'`)
	s = strings.TrimSuffix(strings.TrimSpace(s), "->")
	s = strings.TrimSuffix(strings.TrimSpace(s), "[Message=")
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), `:"'[`))
}
