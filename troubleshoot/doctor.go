package troubleshoot

// Diagnose turns everything `relaywiz doctor` gathered (the connectivity
// probe, the keyring lookup, DNS, an optional live send and an optional
// header analysis) into ONE ordered list of findings, most likely cause
// first, each naming the setting to change. It is pure: the command does
// the I/O, so the ranking is tested without a network.

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"

	"relaywiz/audit"
	"relaywiz/checks"
)

// Settings a finding can blame; they match the doctor flags / profile fields.
const (
	SettingHost          = "host"
	SettingPort          = "port"
	SettingCAFile        = "ca-file"
	SettingTLSServerName = "tls-server-name"
	SettingUser          = "user"
	SettingPassword      = "password"
	SettingNetwork       = "network"   // firewall / egress path, not a relaywiz setting
	SettingSmartHost     = "smarthost" // the provider's side
	SettingPlaceholder   = "placeholder-domain"
	SettingSenderSPF     = "sender-domain"
	SettingRule          = "transport-rule"
	SettingConnector     = "send-connector"
	SettingMessage       = "message"
)

// Finding is one line of the doctor's report.
type Finding struct {
	Severity Severity `json:"severity"`
	Setting  string   `json:"setting,omitempty"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	// order ranks findings of equal severity: lower is more fundamental
	// (nothing after DNS matters when the name does not resolve).
	order int
}

// PasswordState is what the keyring lookup found.
type PasswordState string

const (
	PasswordFound       PasswordState = "found"
	PasswordMissing     PasswordState = "missing"
	PasswordUnavailable PasswordState = "keyring-unavailable"
	PasswordNotNeeded   PasswordState = "" // no user configured
)

// SendOutcome is the part of a live test send the diagnosis needs; its
// JSON form is the "send" object of `relaywiz doctor --json`.
type SendOutcome struct {
	Accepted bool   `json:"accepted"`
	Step     string `json:"step"`  // where it stopped: relay, connect, mail, rcpt, data
	Reply    string `json:"reply"` // the final reply (upstream's when it gave one)
	QueueID  string `json:"queue_id,omitempty"`
	Hint     string `json:"-"`
	Err      error  `json:"-"`
}

// DoctorInput is everything gathered for one diagnosis.
type DoctorInput struct {
	Host string
	Port int // the configured port (the profile's / --port)
	User string

	Password     PasswordState
	PasswordNote string // how to fix a missing/unavailable password

	Report  *checks.Report // ports probed: the configured one first, alternatives after
	DNS     []DNSFinding
	Send    *SendOutcome
	Headers *Analysis
	// Audit is the audit of the live organisation's export (doctor
	// --export), AuditErr why it could not be audited.
	Audit    *audit.Report
	AuditErr error
}

// Diagnose ranks the findings: failures (most fundamental first), then
// warnings, then what is fine.
func Diagnose(in DoctorInput) []Finding {
	var fs []Finding
	add := func(f Finding) { fs = append(fs, f) }

	if in.Report != nil {
		diagnoseReport(in, add)
	}
	switch in.Password {
	case PasswordMissing:
		add(Finding{Severity: SevFail, Setting: SettingPassword, order: 50,
			Title:  fmt.Sprintf("no password stored for %s on %s", in.User, in.Host),
			Detail: "AUTH could not be tested, and the relay cannot log in without it.",
			Fix:    orDefault(in.PasswordNote, fmt.Sprintf("relaywiz creds set --smart-host %s --user %s", in.Host, in.User))})
	case PasswordUnavailable:
		add(Finding{Severity: SevWarn, Setting: SettingPassword, order: 50,
			Title: "the OS keyring is not available, so AUTH was not tested",
			Fix:   orDefault(in.PasswordNote, "unlock or start the keyring, or run doctor with --password-stdin")})
	}
	for _, d := range in.DNS {
		diagnoseDNS(d, add)
	}
	if in.Send != nil {
		diagnoseSend(*in.Send, add)
	}
	if in.Headers != nil {
		diagnoseHeaders(*in.Headers, add)
	}
	diagnoseExport(in.Audit, in.AuditErr, add)

	sort.SliceStable(fs, func(i, j int) bool {
		ri, rj := fs[i].Severity.rank(), fs[j].Severity.rank()
		if ri != rj {
			return ri < rj
		}
		return fs[i].order < fs[j].order
	})
	return fs
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// diagnoseReport explains the configured port; the other probed ports only
// serve as evidence (a working 587 next to a refused 2525 means the port
// setting is wrong, not the network).
func diagnoseReport(in DoctorInput, add func(Finding)) {
	rep := in.Report
	var cfg *checks.PortResult
	var working []int
	for i := range rep.Ports {
		p := &rep.Ports[i]
		if p.Port == in.Port && cfg == nil {
			cfg = p
			continue
		}
		if answered(*p) {
			working = append(working, p.Port)
		}
	}
	if cfg == nil {
		return
	}
	st, failed := cfg.FailedStage()
	if !failed {
		title := fmt.Sprintf("%s port %d: connect, STARTTLS and certificate are fine", rep.Host, cfg.Port)
		switch cfg.Auth {
		case checks.AuthOK:
			title = fmt.Sprintf("%s port %d: connect, STARTTLS, certificate and AUTH as %s all work", rep.Host, cfg.Port, in.User)
		case checks.AuthUnavailable:
			add(Finding{Severity: SevFail, Setting: SettingSmartHost, order: 40,
				Title:  fmt.Sprintf("%s port %d offers no AUTH LOGIN/PLAIN after STARTTLS (or answered 454)", rep.Host, cfg.Port),
				Detail: "Exchange's send connector authenticates with AUTH LOGIN.",
				Fix:    "Ask the provider to enable AUTH LOGIN on this port, or use the port their manual names."})
		}
		if tl := cfg.TLS; tl != nil && tl.DaysLeft < 30 {
			add(Finding{Severity: SevWarn, Setting: SettingSmartHost, order: 60,
				Title: fmt.Sprintf("the smart host's certificate expires in %d days", tl.DaysLeft),
				Fix:   "Tell the provider; Exchange refuses an expired certificate when the connector requires TLS with a trusted CA."})
		}
		add(Finding{Severity: SevOK, order: 90, Title: title})
		return
	}

	detail := st.Detail
	hint := st.Hint
	if st.ExchangeError != "" {
		// Name what the admin will find in Exchange's queue for it.
		inner, named := add, false
		add = func(f Finding) {
			if !named && f.Severity == SevFail {
				named = true
				f.Detail = strings.TrimSpace(f.Detail + " Exchange's queue will show: " + st.ExchangeError)
			}
			inner(f)
		}
	}
	switch st.Name {
	case checks.StageDNS:
		add(Finding{Severity: SevFail, Setting: SettingHost, order: 10,
			Title:  fmt.Sprintf("the smart host name %s does not resolve", rep.Host),
			Detail: detail, Fix: orDefault(hint, "Check the host name against the provider's manual (e.g. smtp.zivver.com).")})
	case checks.StageConnect:
		if len(working) > 0 {
			best := working[0]
			for _, p := range working { // prefer a port that passes everything
				if cfgPassed(rep, p) {
					best = p
					break
				}
			}
			add(Finding{Severity: SevFail, Setting: SettingPort, order: 20,
				Title:  fmt.Sprintf("port %d is wrong: %s", cfg.Port, detail),
				Detail: fmt.Sprintf("The same host answers on port %s: %s.", joinInts(working, " and "), portsNote(rep, working)),
				Fix:    fmt.Sprintf("Set the port to %d: --port %d for relaywiz's commands, and on the connector Set-SendConnector -Port %d.", best, best, best)})
		} else {
			// Name the alternatives that were really probed (none with
			// doctor --ports "").
			var others []int
			for _, p := range rep.Ports {
				if p.Port != cfg.Port {
					others = append(others, p.Port)
				}
			}
			nor := ""
			switch len(others) {
			case 0:
			case 1:
				nor = fmt.Sprintf(" (nor on port %d)", others[0])
			default:
				nor = fmt.Sprintf(" (nor on ports %s)", joinInts(others, " and "))
			}
			add(Finding{Severity: SevFail, Setting: SettingNetwork, order: 20,
				Title:  fmt.Sprintf("%s is not reachable on port %d%s: %s", rep.Host, cfg.Port, nor, detail),
				Detail: "A timeout means a firewall drops the traffic; a refusal means nothing listens there.",
				Fix:    orDefault(hint, "Open outbound TCP to the smart host in the firewall, or check the host name.")})
		}
	case checks.StageBanner, checks.StageEHLO:
		add(Finding{Severity: SevFail, Setting: SettingNetwork, order: 25,
			Title:  fmt.Sprintf("port %d answered but the SMTP %s failed: %s", cfg.Port, st.Name, detail),
			Detail: "Often a firewall's SMTP inspection (Cisco ASA ESMTP) or a non-SMTP service on that port.",
			Fix:    orDefault(hint, "Disable SMTP inspection for this destination, or check the port.")})
	case checks.StageStartTLS:
		add(Finding{Severity: SevFail, Setting: SettingNetwork, order: 30,
			Title: fmt.Sprintf("port %d does not offer STARTTLS: %s", cfg.Port, detail),
			Fix:   orDefault(hint, "Something strips STARTTLS (firewall inspection) or this is not the provider's submission port.")})
	case checks.StageTLS, checks.StageEHLOTLS:
		diagnoseTLS(in, *cfg, st, add)
	case checks.StageAuth:
		diagnoseAuth(in, *cfg, st, add)
	default:
		add(Finding{Severity: SevFail, Setting: SettingSmartHost, order: 45,
			Title: fmt.Sprintf("port %d failed at %s: %s", cfg.Port, st.Name, detail), Fix: hint})
	}
}

// answered: the port took the connection and greeted like an SMTP server,
// which is all it takes to show that the configured port is the problem.
func answered(p checks.PortResult) bool {
	st, failed := p.FailedStage()
	return !failed || st.Name.Index() > checks.StageBanner.Index()
}

// portsNote describes how far the alternative ports got, so a second
// problem (e.g. an untrusted certificate) is visible before the port is fixed.
func portsNote(rep *checks.Report, ports []int) string {
	var parts []string
	for _, p := range rep.Ports {
		if !containsPort(ports, p.Port) {
			continue
		}
		if st, failed := p.FailedStage(); failed {
			parts = append(parts, fmt.Sprintf("port %d answers SMTP but then fails at %s (%s)", p.Port, st.Name, st.Detail))
		} else {
			parts = append(parts, fmt.Sprintf("port %d passes every check", p.Port))
		}
	}
	return strings.Join(parts, "; ")
}

func containsPort(ps []int, p int) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func diagnoseTLS(in DoctorInput, p checks.PortResult, st checks.StageResult, add func(Finding)) {
	tl := p.TLS
	switch {
	case tl != nil && !tl.ChainOK:
		add(Finding{Severity: SevFail, Setting: SettingCAFile, order: 30,
			Title:  fmt.Sprintf("the certificate of %s:%d is not trusted: it is issued by %q, which this machine does not trust", in.Host, p.Port, tl.Issuer),
			Detail: st.Detail,
			Fix:    "If the provider uses a private CA, pass its certificate with --ca-file (and import it into the Exchange server's Trusted Root store); otherwise you are not talking to the provider (TLS interception?)."})
	case tl != nil && !tl.HostnameOK:
		add(Finding{Severity: SevFail, Setting: SettingTLSServerName, order: 30,
			Title:  fmt.Sprintf("the certificate of %s:%d does not name %s (it names %s)", in.Host, p.Port, tl.ServerName, strings.Join(tl.SANs, ", ")),
			Detail: st.Detail,
			Fix:    "Use the host name the certificate names as the smart host, or --tls-server-name when connecting by IP (Exchange: the connector's TlsDomain)."})
	default:
		add(Finding{Severity: SevFail, Setting: SettingSmartHost, order: 30,
			Title: fmt.Sprintf("TLS with %s:%d failed: %s", in.Host, p.Port, st.Detail), Fix: st.Hint})
	}
}

func diagnoseAuth(in DoctorInput, p checks.PortResult, st checks.StageResult, add func(Finding)) {
	if st.NotRun && in.Password != PasswordFound {
		// No password to try: the password finding says so and how to fix it.
		return
	}
	reply := ""
	var se *smtp.SMTPError
	if errors.As(st.Err, &se) {
		reply = fmt.Sprintf("%d %s", se.Code, se.Message)
		if ec := se.EnhancedCode; ec[0] > 0 {
			reply = fmt.Sprintf("%d %d.%d.%d %s", se.Code, ec[0], ec[1], ec[2], se.Message)
		}
	}
	var cause, fix string
	if info, ok := checks.LookupReply(reply); ok && reply != "" {
		cause, fix = info.Cause, info.Fix
	} else {
		fix = st.Hint
	}
	switch {
	case p.Auth == checks.AuthUnavailable:
		add(Finding{Severity: SevFail, Setting: SettingSmartHost, order: 40,
			Title: fmt.Sprintf("%s:%d could not authenticate right now: %s", in.Host, p.Port, st.Detail), Detail: cause, Fix: fix})
	case se != nil && se.Code == 535 || p.Auth == checks.AuthFailed:
		add(Finding{Severity: SevFail, Setting: SettingPassword, order: 40,
			Title:  fmt.Sprintf("the smart host rejected the password for %s (%s)", in.User, orDefault(reply, st.Detail)),
			Detail: "Everything before AUTH works, so host, port and certificate are right. The user name may be wrong too (full address expected?).",
			Fix:    fmt.Sprintf("Store the current password with relaywiz creds set --smart-host %s --user %s (check it with relaywiz creds test), then put the same credentials on the send connector (Set-SendConnector -AuthenticationCredential).", in.Host, in.User)})
	default:
		add(Finding{Severity: SevFail, Setting: SettingUser, order: 40,
			Title: fmt.Sprintf("AUTH as %s failed: %s", in.User, st.Detail), Detail: cause, Fix: fix})
	}
}

func diagnoseDNS(d DNSFinding, add func(Finding)) {
	setting := map[string]string{DNSCheckPlaceholder: SettingPlaceholder, DNSCheckSPF: SettingSenderSPF, DNSCheckSmartHost: SettingHost}[d.Check]
	order := 70
	if d.Check == DNSCheckSmartHost {
		order = 10
	}
	f := Finding{Severity: d.Severity, Setting: setting, Title: d.Message, order: order}
	if len(d.Records) > 0 {
		f.Detail = strings.Join(d.Records, "; ")
	}
	if d.Severity == SevOK {
		f.Setting = ""
	}
	add(f)
}

func diagnoseSend(s SendOutcome, add func(Finding)) {
	if s.Accepted {
		add(Finding{Severity: SevOK, order: 91, Title: "the test message was accepted by the smart host through the embedded relay", Detail: s.Reply})
		return
	}
	setting := SettingSmartHost
	switch s.Step {
	case "mail", "rcpt", "data":
		// the smart host refused the transaction itself: sender, recipient
		// or content/size, not the connection settings
		setting = SettingMessage
	}
	title := fmt.Sprintf("the test send failed at %s", orDefault(s.Step, "start"))
	if s.Reply != "" {
		title += ": " + s.Reply
	} else if s.Err != nil {
		title += ": " + s.Err.Error()
	}
	fix := s.Hint
	if info, ok := checks.LookupReply(s.Reply); ok && fix == "" {
		fix = info.Hint()
	}
	add(Finding{Severity: SevFail, Setting: setting, order: 55, Title: title, Fix: fix})
}

// diagnoseHeaders folds the header verdict into the list; reasons keep
// their own order after the probe findings (a broken connector explains a
// missing provider hop better than the headers do).
func diagnoseHeaders(a Analysis, add func(Finding)) {
	for i, r := range a.Verdict.Reasons {
		if r.Severity == SevInfo {
			continue
		}
		setting := ""
		switch r.Code {
		case CodeDirectDelivery, CodeNoProvider:
			setting = SettingRule
		case CodeRuleFiredDirect, CodeProviderNoTLS, CodeProviderTLSUnsaid:
			setting = SettingConnector
		case CodeLoop, CodeProviderRepeated:
			setting = SettingRule
		}
		add(Finding{Severity: r.Severity, Setting: setting, order: 80 + i, Title: "headers: " + r.Message})
	}
}

func cfgPassed(rep *checks.Report, port int) bool {
	for _, p := range rep.Ports {
		if p.Port == port {
			_, failed := p.FailedStage()
			return !failed
		}
	}
	return false
}

func joinInts(ns []int, sep string) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, sep)
}
