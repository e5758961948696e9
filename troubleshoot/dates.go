package troubleshoot

import (
	"strconv"
	"strings"
	"time"
)

// Dates in real Received and Date headers stray far from RFC 5322: obsolete
// zone names (PST, EDT, military letters), full weekday names, "Apr 21
// 2018", US "4/20/2018 11:01:32 PM", fractional seconds, ISO dates with a Go
// zone suffix (SendGrid). The parser below reads the parts in any order
// instead of trying layouts: time.Parse with an "MST" layout silently gives
// an unknown zone name offset +0000, which is what made PST hops look eight
// hours slow.

// zoneOffsets are the zone names with a trustworthy offset, in seconds:
// RFC 5322 §4.3 obs-zone plus the abbreviations European and Asian
// servers commonly write.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"CET": 3600, "CEST": 2 * 3600, "MET": 3600, "MEST": 2 * 3600, "BST": 3600, "WEST": 3600,
	"EET": 2 * 3600, "EEST": 3 * 3600, "MSK": 3 * 3600, "JST": 9 * 3600, "KST": 9 * 3600,
	"HKT": 8 * 3600, "SGT": 8 * 3600, "AEST": 10 * 3600, "AEDT": 11 * 3600, "NZST": 12 * 3600, "NZDT": 13 * 3600,
}

var (
	monthNames   = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	weekdayNames = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

// parseDate reads a date-time. zoneKnown is false when the zone is missing
// or cannot be trusted (RFC 5322 §4.3: military letters other than Z
// "SHOULD all be considered equivalent to -0000"); the time is then read
// as UTC.
func parseDate(s string) (t time.Time, zoneKnown, ok bool) {
	return parseDateMode(s, false)
}

type dateParts struct {
	year, month, day, hour, min, sec, nsec int
	ampm                                   string
	offset                                 int
	numericZone, namedZone, unknownZone    bool
}

// parseDateMode: strict refuses any word it does not understand (used to
// find a date at the end of a Received value without a ';').
func parseDateMode(s string, strict bool) (time.Time, bool, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 200 {
		return time.Time{}, false, false
	}
	s = stripComments(s)
	fs := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' })
	if len(fs) == 1 {
		if t, err := time.Parse(time.RFC3339Nano, fs[0]); err == nil {
			return t, true, true
		}
	}
	if len(fs) < 3 || len(fs) > 10 {
		return time.Time{}, false, false
	}
	p := dateParts{year: -1, month: -1, day: -1, hour: -1, min: -1}
	unknown := 0
	for _, f := range fs {
		if !p.word(f) {
			unknown++
		}
	}
	if unknown > 0 && (strict || unknown > 2) {
		return time.Time{}, false, false
	}
	return p.build()
}

// word consumes one field; false when it is not part of a date.
func (p *dateParts) word(f string) bool {
	lf := strings.ToLower(f)
	switch {
	case isNamePrefix(lf, weekdayNames) >= 0:
		return true
	case p.month < 0 && isNamePrefix(lf, monthNames) >= 0:
		p.month = isNamePrefix(lf, monthNames) + 1
		return true
	case p.hour < 0 && strings.Count(f, ":") >= 1 && f[0] >= '0' && f[0] <= '9':
		return p.clock(f)
	case lf == "am" || lf == "pm":
		p.ampm = lf
		return true
	case (f[0] == '+' || f[0] == '-') && len(f) > 1:
		return p.numericOffset(f[1:], f[0] == '-')
	case strings.Count(f, "/") == 2 && p.day < 0:
		return p.slashDate(strings.Split(f, "/"))
	case strings.Count(f, "-") == 2 && p.day < 0 && f[0] >= '0' && f[0] <= '9':
		parts := strings.Split(f, "-")
		if y, ok := atoi(parts[0], 4); ok && len(parts[0]) == 4 {
			m, ok1 := atoi(parts[1], 2)
			d, ok2 := atoi(parts[2], 2)
			if ok1 && ok2 {
				p.year, p.month, p.day = y, m, d
				return true
			}
		}
		return false
	case allDigits(f):
		n, _ := strconv.Atoi(f)
		switch {
		case len(f) == 4 && p.year < 0:
			p.year = n
		case p.day < 0 && len(f) <= 2:
			p.day = n
		case p.year < 0 && len(f) <= 3:
			// RFC 5322 §4.3 obs-year
			switch {
			case len(f) == 3:
				n += 1900
			case n < 50:
				n += 2000
			default:
				n += 1900
			}
			p.year = n
		default:
			return false
		}
		return true
	}
	up := strings.ToUpper(f)
	if off, ok := zoneOffsets[up]; ok {
		if !p.numericZone {
			p.offset, p.namedZone = off, true
		}
		return true
	}
	if len(up) == 1 && up[0] >= 'A' && up[0] <= 'Z' && up != "J" {
		p.unknownZone = true // military zone: RFC 5322 says treat as -0000
		return true
	}
	if len(up) >= 2 && len(up) <= 5 && isUpperAlpha(f) {
		p.unknownZone = true
		return true
	}
	return false
}

func (p *dateParts) clock(f string) bool {
	hms := strings.Split(f, ":")
	if len(hms) > 3 {
		return false
	}
	h, ok1 := atoi(hms[0], 2)
	m, ok2 := atoi(hms[1], 2)
	if !ok1 || !ok2 {
		return false
	}
	p.hour, p.min = h, m
	if len(hms) == 3 {
		sec, frac, hasFrac := strings.Cut(hms[2], ".")
		s, ok := atoi(sec, 2)
		if !ok {
			return false
		}
		p.sec = s
		if hasFrac {
			if !allDigitsN(frac, 9) {
				return false
			}
			ns, _ := strconv.Atoi((frac + "000000000")[:9])
			p.nsec = ns
		}
	}
	return true
}

func (p *dateParts) numericOffset(v string, neg bool) bool {
	v = strings.Replace(v, ":", "", 1)
	if len(v) != 4 || !allDigits(v) {
		return false
	}
	hh, _ := strconv.Atoi(v[:2])
	mm, _ := strconv.Atoi(v[2:])
	if hh > 14 || mm > 59 {
		return false
	}
	off := hh*3600 + mm*60
	if neg {
		off = -off
	}
	p.offset, p.numericZone = off, true
	return true
}

// slashDate reads m/d/y (Outlook's US form), or d/m/y when the first
// number cannot be a month.
func (p *dateParts) slashDate(parts []string) bool {
	a, ok1 := atoi(parts[0], 2)
	b, ok2 := atoi(parts[1], 2)
	y, ok3 := atoi(parts[2], 4)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	if len(parts[2]) == 2 {
		y += 2000
	}
	if a > 12 {
		a, b = b, a
	}
	p.month, p.day, p.year = a, b, y
	return true
}

func (p *dateParts) build() (time.Time, bool, bool) {
	if p.year < 1970 || p.year > 9999 || p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 ||
		p.hour < 0 || p.min < 0 || p.min > 59 || p.sec > 60 {
		return time.Time{}, false, false
	}
	switch p.ampm {
	case "am":
		if p.hour == 12 {
			p.hour = 0
		}
	case "pm":
		if p.hour < 12 {
			p.hour += 12
		}
	}
	if p.hour > 23 {
		return time.Time{}, false, false
	}
	zoneKnown := p.numericZone || p.namedZone
	off := p.offset
	if !zoneKnown {
		off = 0
	}
	t := time.Date(p.year, time.Month(p.month), p.day, p.hour, p.min, p.sec, p.nsec, time.FixedZone("", off))
	if t.Day() != p.day {
		return time.Time{}, false, false // 31 April
	}
	return t, zoneKnown, true
}

// trailingDate finds a date at the end of a Received value that has no
// ';' before it and returns the value without it.
func trailingDate(body string) (string, time.Time, bool, bool) {
	var starts []int
	in := false
	for i := 0; i < len(body); i++ {
		sp := body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'
		if !sp && !in {
			starts = append(starts, i)
		}
		in = !sp
	}
	for k := min(8, len(starts)); k >= 3; k-- {
		start := starts[len(starts)-k]
		if t, zoneKnown, ok := parseDateMode(body[start:], true); ok {
			return body[:start], t, zoneKnown, true
		}
	}
	return body, time.Time{}, false, false
}

func isNamePrefix(lf string, names []string) int {
	if len(lf) < 3 {
		return -1
	}
	lf = strings.TrimSuffix(lf, ".")
	for i, n := range names {
		if strings.HasPrefix(n, lf) && len(lf) >= 3 {
			return i
		}
	}
	return -1
}

func atoi(s string, maxLen int) (int, bool) {
	if !allDigitsN(s, maxLen) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func allDigitsN(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpperAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
