package troubleshoot

// DNS checks the provider manuals imply but never spell out as a test:
//   - the placeholder accepted domain (PAMS / Custom Relay on-prem) must not
//     exist publicly, or mail to the relay contact can leak to whoever owns
//     it when the send connector is off;
//   - for the Online custom relay the sender domain needs an SPF record (the
//     provider checks it, and the domain must be on its SPF allowlist), and
//     it should authorise Exchange Online;
//   - the smart host name must resolve.
// All lookups go through Resolver so tests use a fake and never real DNS.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
)

// Resolver is the part of *net.Resolver the checks use.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// DNSInput says what to check; empty fields skip their check.
type DNSInput struct {
	PlaceholderDomain string // e.g. the accepted domain of relay@placeholder
	SenderDomain      string // the organisation's mail domain (SPF)
	SmartHost         string // e.g. smtp.zivver.com
	// SPFIncludes are mechanisms the sender's SPF should reach, directly or
	// through nested includes, e.g. "spf.protection.outlook.com" for
	// Exchange Online. Missing ones are warnings.
	SPFIncludes []string
}

// DNSFinding is the outcome of one DNS check.
type DNSFinding struct {
	Check    string   `json:"check"` // "placeholder", "spf", "smarthost"
	Name     string   `json:"name"`  // the name looked up
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Records  []string `json:"records,omitempty"`
}

// Check names.
const (
	DNSCheckPlaceholder = "placeholder"
	DNSCheckSPF         = "spf"
	DNSCheckSmartHost   = "smarthost"
)

// spfLookupLimit mirrors RFC 7208 §4.6.4: at most 10 DNS-querying terms.
const spfLookupLimit = 10

// RunDNSChecks runs the checks that have input, in the order placeholder,
// SPF, smart host.
func RunDNSChecks(ctx context.Context, r Resolver, in DNSInput) []DNSFinding {
	var out []DNSFinding
	if d := normName(in.PlaceholderDomain); d != "" {
		out = append(out, CheckPlaceholderDomain(ctx, r, d))
	}
	if d := normName(in.SenderDomain); d != "" {
		out = append(out, CheckSPF(ctx, r, d, in.SPFIncludes)...)
	}
	if h := normName(in.SmartHost); h != "" {
		out = append(out, CheckSmartHostDNS(ctx, r, h))
	}
	return out
}

func normName(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

// isNotFound: NXDOMAIN or "no such record". Anything else (timeout,
// SERVFAIL) means we could not tell.
func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// CheckPlaceholderDomain passes when the domain has neither MX nor address
// records in public DNS.
func CheckPlaceholderDomain(ctx context.Context, r Resolver, domain string) DNSFinding {
	f := DNSFinding{Check: DNSCheckPlaceholder, Name: domain}
	mxs, mxErr := r.LookupMX(ctx, domain)
	addrs, aErr := r.LookupHost(ctx, domain)
	for _, mx := range mxs {
		f.Records = append(f.Records, fmt.Sprintf("MX %d %s", mx.Pref, strings.TrimSuffix(mx.Host, ".")))
	}
	for _, a := range addrs {
		f.Records = append(f.Records, "A/AAAA "+a)
	}
	switch {
	case len(f.Records) > 0:
		f.Severity = SevFail
		f.Message = fmt.Sprintf("the placeholder domain %s exists in public DNS: if the send connector is disabled or mis-scoped, secure mail redirected to the relay contact is delivered to whoever runs %s. Use a domain that does not exist (and that you control the name of), then update the accepted domain, the contact and the connector's address space", domain, domain)
	case (mxErr == nil || isNotFound(mxErr)) && (aErr == nil || isNotFound(aErr)):
		f.Severity = SevOK
		f.Message = fmt.Sprintf("the placeholder domain %s does not resolve publicly (no MX, no A/AAAA), as the manuals require", domain)
	default:
		err := mxErr
		if err == nil || isNotFound(err) {
			err = aErr
		}
		f.Severity = SevWarn
		f.Message = fmt.Sprintf("could not tell whether the placeholder domain %s resolves: %v (check this machine's DNS, then retry)", domain, err)
	}
	return f
}

// spfRecord returns the v=spf1 records among TXT strings.
func spfRecords(txts []string) []string {
	var out []string
	for _, t := range txts {
		t = strings.TrimSpace(t)
		if l := strings.ToLower(t); l == "v=spf1" || strings.HasPrefix(l, "v=spf1 ") {
			out = append(out, t)
		}
	}
	return out
}

// CheckSPF reports the sender domain's SPF record: presence, the terms it
// authorises, and whether each expected include is reachable through
// nested include:/redirect= (bounded like a real SPF evaluation).
func CheckSPF(ctx context.Context, r Resolver, domain string, expect []string) []DNSFinding {
	f := DNSFinding{Check: DNSCheckSPF, Name: domain}
	txts, err := r.LookupTXT(ctx, domain)
	if err != nil && !isNotFound(err) {
		f.Severity = SevWarn
		f.Message = fmt.Sprintf("could not read the TXT records of %s: %v (check this machine's DNS, then retry)", domain, err)
		return []DNSFinding{f}
	}
	recs := spfRecords(txts)
	switch len(recs) {
	case 0:
		f.Severity = SevFail
		f.Message = fmt.Sprintf("%s has no SPF record: the provider checks SPF on mail it relays for you (Zivver requires it for the custom relay and keeps your domain on its SPF allowlist). Publish one, e.g. \"v=spf1 include:spf.protection.outlook.com -all\" for Exchange Online", domain)
		return []DNSFinding{f}
	case 1:
	default:
		f.Severity = SevFail
		f.Records = recs
		f.Message = fmt.Sprintf("%s has %d SPF records: receivers treat that as a permanent error (RFC 7208 §4.5). Merge them into one", domain, len(recs))
		return []DNSFinding{f}
	}
	f.Records = recs
	terms := spfTerms(recs[0])
	f.Severity = SevOK
	f.Message = fmt.Sprintf("%s publishes SPF: %s", domain, strings.Join(terms, " "))
	out := []DNSFinding{f}

	if len(expect) == 0 {
		return out
	}
	reached, lookups, truncated := spfReachable(ctx, r, domain, recs[0])
	for _, want := range expect {
		want = normName(want)
		if want == "" {
			continue
		}
		m := DNSFinding{Check: DNSCheckSPF, Name: domain}
		switch {
		case reached[want]:
			m.Severity = SevOK
			m.Message = fmt.Sprintf("%s's SPF includes %s", domain, want)
		case truncated:
			m.Severity = SevWarn
			m.Message = fmt.Sprintf("%s's SPF needs more than %d lookups before %s is found: receivers stop there with a permerror. Flatten the record", domain, spfLookupLimit, want)
		default:
			m.Severity = SevWarn
			m.Message = fmt.Sprintf("%s's SPF does not include %s (checked %d nested lookups): mail sent on your behalf from there may fail SPF", domain, want, lookups)
		}
		out = append(out, m)
	}
	return out
}

// spfTerms lists the record's terms after the version, for display.
func spfTerms(rec string) []string {
	f := strings.Fields(rec)
	if len(f) <= 1 {
		return []string{"(no terms)"}
	}
	return f[1:]
}

// spfReachable walks include: and redirect= breadth-first, counting DNS
// lookups against the RFC 7208 limit; cycles are visited once.
func spfReachable(ctx context.Context, r Resolver, domain, rec string) (reached map[string]bool, lookups int, truncated bool) {
	reached = map[string]bool{}
	seen := map[string]bool{domain: true}
	queue := []string{rec}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, term := range strings.Fields(cur)[1:] {
			lt := strings.ToLower(term)
			lt = strings.TrimLeft(lt, "+-~?")
			var target string
			switch {
			case strings.HasPrefix(lt, "include:"):
				target = strings.TrimPrefix(lt, "include:")
			case strings.HasPrefix(lt, "redirect="):
				target = strings.TrimPrefix(lt, "redirect=")
			default:
				continue
			}
			target = normName(target)
			reached[target] = true
			if seen[target] || strings.Contains(target, "%{") { // macros are not expanded
				continue
			}
			seen[target] = true
			if lookups >= spfLookupLimit {
				truncated = true
				continue
			}
			lookups++
			txts, err := r.LookupTXT(ctx, target)
			if err != nil {
				continue
			}
			if recs := spfRecords(txts); len(recs) == 1 {
				queue = append(queue, recs[0])
			}
		}
	}
	return reached, lookups, truncated
}

// CheckSmartHostDNS resolves the smart host: addresses first (what
// Exchange's send connector uses for a smart host), MX when the name is a
// mail domain rather than a host.
func CheckSmartHostDNS(ctx context.Context, r Resolver, host string) DNSFinding {
	f := DNSFinding{Check: DNSCheckSmartHost, Name: host}
	if ip := net.ParseIP(host); ip != nil {
		f.Severity = SevInfo
		f.Message = fmt.Sprintf("the smart host is given as the address %s: nothing to resolve, but TLS certificate checks need its DNS name (set the connector's TlsDomain / relaywiz --tls-server-name)", host)
		return f
	}
	addrs, aErr := r.LookupHost(ctx, host)
	sort.Strings(addrs)
	for _, a := range addrs {
		f.Records = append(f.Records, "A/AAAA "+a)
	}
	if len(addrs) > 0 {
		f.Severity = SevOK
		f.Message = fmt.Sprintf("%s resolves to %s", host, strings.Join(addrs, ", "))
		return f
	}
	mxs, mxErr := r.LookupMX(ctx, host)
	if len(mxs) > 0 {
		sort.Slice(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
		var names []string
		for _, mx := range mxs {
			n := strings.TrimSuffix(mx.Host, ".")
			names = append(names, n)
			f.Records = append(f.Records, fmt.Sprintf("MX %d %s", mx.Pref, n))
		}
		f.Severity = SevWarn
		f.Message = fmt.Sprintf("%s has no address but MX records (%s): it is a mail domain, not a host. Use the host name the provider documents (e.g. %s) as the connector's smart host", host, strings.Join(names, ", "), names[0])
		return f
	}
	switch {
	case isNotFound(aErr) && (mxErr == nil || isNotFound(mxErr)):
		f.Severity = SevFail
		f.Message = fmt.Sprintf("%s does not exist in DNS: check the spelling of the smart host on the send connector against the provider's manual", host)
	default:
		err := aErr
		if err == nil {
			err = mxErr
		}
		f.Severity = SevFail
		f.Message = fmt.Sprintf("could not resolve %s: %v (check this machine's DNS servers; Exchange resolves with its own settings)", host, err)
	}
	return f
}
