package troubleshoot

// RunDoctor is the gathering half of `relaywiz doctor` and of the TUI's
// Troubleshoot screen: probe the smart host (configured port plus the
// alternatives, with AUTH when a password is at hand), run the DNS checks,
// optionally send a test message, optionally read the received message's
// headers, then let Diagnose rank the findings. Both front ends call it so
// the diagnosis is gathered one way only; everything that touches the
// network comes in through DoctorDeps so tests use fakes.

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"relaywiz/audit"
	"relaywiz/checks"
	"relaywiz/exchange"
)

// ExchangeOnlineSPF is what a sender domain's SPF must reach when Exchange
// Online sends for it.
const ExchangeOnlineSPF = "spf.protection.outlook.com"

// dnsBudget bounds all DNS checks together: a resolver that never answers
// must not hold up the report.
const dnsBudget = 20 * time.Second

// defaultTestFrom is the test message's sender when the plan names none and
// the user name is not an address.
const defaultTestFrom = "relaywiz@relaywiz.localhost"

// DoctorPlan is what to diagnose: the non-secret settings, typically the
// wizard's profile overridden by flags or by the Troubleshoot form.
type DoctorPlan struct {
	Host string
	// Port is the configured port (what Exchange's send connector uses);
	// AltPorts are probed too, as evidence that tells a wrong port from a
	// blocked network.
	Port     int
	AltPorts []int
	// User enables the AUTH check (with DoctorPassword.Secret) and the
	// password findings.
	User          string
	CAFile        string
	TLSServerName string
	// Dialect is the connector the probe and the test send speak as (zero:
	// Exchange Server); EHLOName its FQDN (empty: this machine's).
	Dialect  checks.Dialect
	EHLOName string
	// Timeout bounds each port's probe and the test send's connection to
	// the smart host (0: the checks default).
	Timeout time.Duration

	// DNS checks; empty fields skip theirs.
	PlaceholderDomain string
	SenderDomain      string
	SPFIncludes       []string

	// SendTo, when set, asks for a test message through the embedded relay
	// (sent only when the configured port passed the probe). From defaults
	// to User when it is an address; Trigger is "pams" or "subject=WORD".
	SendTo  []string
	From    string
	Trigger string

	// Header analysis (see Options). ProviderHosts empty: the defaults
	// plus Host, the smart host this setup actually uses.
	ProviderHosts   []string
	TriggerLabels   []string
	TriggerSubjects []string

	// Export is the live organisation as export.ps1 wrote it (read with
	// ReadExport); its audit's findings join the list.
	Export *exchange.Export
}

// ProbePorts is the order the ports are probed in: the configured port
// first, then each alternative once.
func (p DoctorPlan) ProbePorts() []int {
	ports := []int{p.Port}
	for _, alt := range p.AltPorts {
		if !slices.Contains(ports, alt) {
			ports = append(ports, alt)
		}
	}
	return ports
}

// DoctorPassword is the outcome of the caller's password lookup (keyring,
// stdin, or a password held for this run). Secret is only read while
// RunDoctor runs; the caller owns it and zeroes it afterwards.
type DoctorPassword struct {
	State  PasswordState
	Note   string // how to fix a missing/unavailable password
	Secret []byte // set when State is PasswordFound
}

// HeadersSource hands RunDoctor the received message to analyse, or nil
// for none. It is asked once, after the test send: sent reports whether a
// test message was accepted, so an interactive caller can ask for the
// headers only then. RunDoctor closes what it returns.
type HeadersSource func(sent bool) (io.ReadCloser, error)

// DoctorDeps are RunDoctor's dependencies; nil fields get the production
// ones (no headers for Headers).
type DoctorDeps struct {
	Check    func(ctx context.Context, o checks.Options) checks.Report // checks.Run
	Resolver Resolver                                                  // net.DefaultResolver
	Send     Sender                                                    // RelaySend
	Headers  HeadersSource
}

func (d DoctorDeps) withDefaults() DoctorDeps {
	if d.Check == nil {
		d.Check = checks.Run
	}
	if d.Resolver == nil {
		d.Resolver = net.DefaultResolver
	}
	if d.Send == nil {
		d.Send = RelaySend
	}
	return d
}

// DoctorPhase names a part of the run.
type DoctorPhase string

const (
	PhaseProbe    DoctorPhase = "probe"
	PhaseDNS      DoctorPhase = "dns"
	PhaseSend     DoctorPhase = "send"
	PhaseHeaders  DoctorPhase = "headers"
	PhaseExchange DoctorPhase = "exchange" // the audit of an export
)

// DoctorEventKind tells progress events apart.
type DoctorEventKind int

const (
	PhaseStarted  DoctorEventKind = iota // Text says what runs now
	PhaseSkipped                         // Text says why the phase does not run
	PhaseDone                            // Text sums it up; Severity is its worst outcome
	ProbeProgress                        // Check is a stage event of the probe
)

// DoctorEvent is one progress notification. The probe phase has
// Started, ProbeProgress… and Done; DNS and send have Started or Skipped,
// then Done; the header analysis only reports Done, since it takes no time.
type DoctorEvent struct {
	Phase    DoctorPhase
	Kind     DoctorEventKind
	Text     string
	Severity Severity
	Check    checks.Event
}

// DoctorResult is what RunDoctor gathered and concluded. Its JSON form is
// `relaywiz doctor --json`:
// {"findings":[…],"check":{…},"dns":[…],"send":{…}|null,"headers":{…}|null}.
type DoctorResult struct {
	Findings []Finding     `json:"findings"` // most likely cause first; never nil
	Report   checks.Report `json:"check"`
	DNS      []DNSFinding  `json:"dns"` // never nil
	Send     *SendOutcome  `json:"send"`
	Headers  *Analysis     `json:"headers"`
	Audit    *audit.Report `json:"audit"` // the export's audit (doctor --export); null without one
	// HeadersErr is why the received message could not be read or
	// analysed (the HeadersSource's own error, or Analyze's); Findings
	// then ends with a warning saying so.
	HeadersErr error `json:"-"`
}

// SendInputError means the test message could not be built from the plan
// (a bad sender or recipient address): nothing was sent.
type SendInputError struct{ Err error }

func (e *SendInputError) Error() string { return e.Err.Error() }
func (e *SendInputError) Unwrap() error { return e.Err }

// RunDoctor gathers and diagnoses. The error is ctx's when it ended, or a
// *SendInputError; everything the smart host, DNS or the headers said is in
// the result. progress may be nil; it is called from RunDoctor's goroutine
// and from the probe's, never concurrently.
func RunDoctor(ctx context.Context, plan DoctorPlan, pw DoctorPassword, deps DoctorDeps, progress func(DoctorEvent)) (DoctorResult, error) {
	deps = deps.withDefaults()
	emit := func(ev DoctorEvent) {
		if progress != nil {
			progress(ev)
		}
	}
	in := DoctorInput{Host: plan.Host, Port: plan.Port, User: plan.User}
	var secret []byte
	if plan.User != "" {
		in.Password, in.PasswordNote = pw.State, pw.Note
		if pw.State == PasswordFound {
			secret = pw.Secret
		}
	}
	res := DoctorResult{DNS: []DNSFinding{}}

	// 1+2: the probe, with AUTH when there is a password. A user without
	// one makes checks record AUTH as skipped.
	ports := plan.ProbePorts()
	emit(DoctorEvent{Phase: PhaseProbe, Kind: PhaseStarted, Text: fmt.Sprintf("probing %s on port %s …", plan.Host, joinInts(ports, ", "))})
	res.Report = deps.Check(ctx, checks.Options{
		Host: plan.Host, Ports: ports, CAFile: plan.CAFile, TLSServerName: plan.TLSServerName, Timeout: plan.Timeout,
		User: plan.User, Password: secret, Dialect: plan.Dialect, EHLOName: plan.EHLOName,
		// The connector's port logs in first; on 535 the others do not try.
		AuthPort: plan.Port,
		Progress: func(e checks.Event) { emit(DoctorEvent{Phase: PhaseProbe, Kind: ProbeProgress, Check: e}) },
	})
	if err := ctx.Err(); err != nil {
		return DoctorResult{}, err
	}
	in.Report = &res.Report
	portOK := cfgPassed(&res.Report, plan.Port)
	emit(probeDone(plan, portOK))

	// 3: DNS. The smart host name is not looked up again: the probe's dns
	// stage already reports a name that does not resolve.
	emit(DoctorEvent{Phase: PhaseDNS, Kind: PhaseStarted, Text: "checking DNS …"})
	dctx, cancel := context.WithTimeout(ctx, dnsBudget)
	if found := RunDNSChecks(dctx, deps.Resolver, DNSInput{
		PlaceholderDomain: plan.PlaceholderDomain, SenderDomain: plan.SenderDomain, SPFIncludes: plan.SPFIncludes,
	}); found != nil {
		res.DNS = found
	}
	cancel()
	in.DNS = res.DNS
	emit(dnsDone(res.DNS))

	// 4: the optional live send, only when the configured port works
	// (otherwise it could only fail the way the probe already did).
	if len(plan.SendTo) > 0 {
		if !portOK {
			emit(DoctorEvent{Phase: PhaseSend, Kind: PhaseSkipped, Text: fmt.Sprintf("skipping the test send: port %d does not work yet", plan.Port)})
		} else {
			emit(DoctorEvent{Phase: PhaseSend, Kind: PhaseStarted, Text: "sending a test message through the embedded relay …"})
			out, err := deps.Send(ctx, plan.testSend(secret))
			if ctx.Err() != nil {
				return DoctorResult{}, ctx.Err()
			}
			if err != nil {
				return DoctorResult{}, &SendInputError{Err: err}
			}
			res.Send, in.Send = &out, &out
			emit(sendDone(out))
		}
	}

	// 5: the received message's headers, when the caller has them.
	var headersProblem *Finding
	if deps.Headers != nil {
		an, err := analyzeSource(deps.Headers, res.Send != nil && res.Send.Accepted, plan.headerOptions())
		switch {
		case err != nil:
			res.HeadersErr = err
			headersProblem = &Finding{Severity: SevWarn, Setting: SettingMessage,
				Title: "the message could not be analysed", Detail: err.Error(),
				Fix: "Save the received message as .eml (or its headers as text) and give that path."}
			emit(DoctorEvent{Phase: PhaseHeaders, Kind: PhaseDone, Severity: SevWarn, Text: "could not read the received message's headers"})
		case an != nil:
			res.Headers, in.Headers = an, an
			emit(DoctorEvent{Phase: PhaseHeaders, Kind: PhaseDone, Severity: worstReason(an.Verdict.Reasons), Text: "read the received message's headers"})
		}
	}

	// 6: the live organisation, when the caller has its export. Pure: the
	// file was read by the caller.
	if plan.Export != nil {
		rep, _, err := audit.FromExport(plan.Export, audit.ExportOptions{})
		if err != nil {
			in.AuditErr = err
		} else {
			res.Audit, in.Audit = &rep, &rep
		}
		emit(DoctorEvent{Phase: PhaseExchange, Kind: PhaseDone, Severity: exportSeverity(res.Audit, err), Text: "audited the exported Exchange organisation"})
	}

	res.Findings = Diagnose(in)
	if headersProblem != nil {
		// after the ranked list: the diagnosis stands without the headers
		res.Findings = append(res.Findings, *headersProblem)
	}
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	return res, nil
}

func (p DoctorPlan) testSend(secret []byte) TestSend {
	from := p.From
	if from == "" {
		from = defaultTestFrom
		if strings.Contains(p.User, "@") {
			from = p.User
		}
	}
	return TestSend{
		Host: p.Host, Port: p.Port, CAFile: p.CAFile, TLSServerName: p.TLSServerName, Timeout: p.Timeout,
		User: p.User, Password: secret,
		From: from, To: p.SendTo, Trigger: p.Trigger,
		Dialect: p.Dialect, EHLOName: p.EHLOName,
	}
}

func (p DoctorPlan) headerOptions() Options {
	providers := p.ProviderHosts
	if len(providers) == 0 {
		providers = append(append([]string{}, DefaultProviderHosts...), p.Host)
	}
	return Options{ProviderHosts: providers, TriggerLabels: p.TriggerLabels, TriggerSubjects: p.TriggerSubjects}
}

// analyzeSource asks src for the message and analyses it; (nil, nil) when
// there is none.
func analyzeSource(src HeadersSource, sent bool, o Options) (*Analysis, error) {
	r, err := src(sent)
	if err != nil || r == nil {
		return nil, err
	}
	defer r.Close()
	an, err := Analyze(r, o)
	if err != nil {
		return nil, err
	}
	return &an, nil
}

func probeDone(plan DoctorPlan, portOK bool) DoctorEvent {
	ev := DoctorEvent{Phase: PhaseProbe, Kind: PhaseDone, Severity: SevOK, Text: fmt.Sprintf("port %d passes the checks", plan.Port)}
	if !portOK {
		ev.Severity, ev.Text = SevFail, fmt.Sprintf("port %d fails the checks", plan.Port)
	}
	return ev
}

func dnsDone(found []DNSFinding) DoctorEvent {
	ev := DoctorEvent{Phase: PhaseDNS, Kind: PhaseDone, Severity: SevOK, Text: "DNS: nothing to check (no placeholder or sender domain)"}
	if len(found) == 0 {
		return ev
	}
	ev.Text = fmt.Sprintf("DNS: %d check(s) done", len(found))
	for _, f := range found {
		if f.Severity.rank() < ev.Severity.rank() {
			ev.Severity = f.Severity
		}
	}
	return ev
}

func sendDone(out SendOutcome) DoctorEvent {
	if out.Accepted {
		return DoctorEvent{Phase: PhaseSend, Kind: PhaseDone, Severity: SevOK, Text: "the smart host accepted the test message"}
	}
	return DoctorEvent{Phase: PhaseSend, Kind: PhaseDone, Severity: SevFail, Text: "the test send failed at " + orDefault(out.Step, "start")}
}

func worstReason(rs []Reason) Severity {
	worst := SevOK
	for _, r := range rs {
		if r.Severity != SevInfo && r.Severity.rank() < worst.rank() {
			worst = r.Severity
		}
	}
	return worst
}
