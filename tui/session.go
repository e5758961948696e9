package tui

import (
	"fmt"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/relay"
	"relaywiz/steps"
)

// CredsPlace tells where the smart-host password ended up.
type CredsPlace int

const (
	CredsNone        CredsPlace = iota // no password given (no account yet)
	CredsKeyring                       // stored in the OS keyring
	CredsSessionOnly                   // the keyring failed: held in memory for this run
)

// SendOutcome records the live test.
type SendOutcome struct {
	Via    string // "smart host" or "lab smart host"
	Result SendResult
	Err    error
	// LabFile is the .eml the lab stored, when the test went to the lab.
	LabFile string
}

// Session is the wizard's answers and findings so far. Steps change it
// only in Update; Cmds get copies of what they need.
type Session struct {
	Scenario    steps.Scenario
	HasScenario bool

	// Smart host.
	UseLab        bool
	Host          string
	Ports         []int
	CAFile        string
	TLSServerName string

	// Connectivity.
	Report     *checks.Report
	Port       int    // the port the connector and the tests use
	PortReason string // why that port, in a sentence
	Forced     bool   // continued although no port passed

	// Credentials.
	User       string
	password   []byte // never saved, never shown; zeroed by Close
	Creds      CredsPlace
	CredsNote  string // where the password is, or why the keyring could not be used
	CredsFix   string // what to do so the keyring works next time
	AuthProven bool

	// Exchange details and steps.
	Inputs      steps.Inputs
	HaveInputs  bool
	Artifacts   []steps.Artifact
	OutDir      string
	Written     []string
	WrittenDir  string
	TestTo      string
	TestFrom    string
	TestSubject string
	Test        *SendOutcome

	// Lab is the stand-in smart host, when one was started.
	Lab *relay.Lab
	// Online is the Exchange Online proof of the live test, when run.
	Online *OnlineProof

	ProfilePath string

	// LastStep is the step on screen when the answers were last saved;
	// ResumeAt the one the saved profile stopped at (StepScenario: none).
	LastStep StepID
	ResumeAt StepID
	// connectorPort is the port the saved answers give the connector.
	connectorPort int
}

// SetPassword keeps a private copy of pw for this run.
func (s *Session) SetPassword(pw []byte) {
	creds.Zero(s.password)
	s.password = append([]byte(nil), pw...)
}

// Password returns a copy the caller owns (and should zero).
func (s *Session) Password() []byte {
	if len(s.password) == 0 {
		return nil
	}
	return append([]byte(nil), s.password...)
}

// onlineRoute: an Exchange Online scenario with the provider's smart host.
// Its connector cannot log in and always uses port 25, so the wizard skips
// the credentials step and proves the route as Exchange Online sees it.
// With the lab the usual flow stays available to try things out.
func (s *Session) onlineRoute() bool { return s.HasScenario && s.Scenario.Online && !s.UseLab }

// HasPassword reports whether a password is held for this run.
func (s *Session) HasPassword() bool { return len(s.password) > 0 }

// Close scrubs the secret.
func (s *Session) Close() { s.clearPassword() }

func (s *Session) clearPassword() {
	creds.Zero(s.password)
	s.password = nil
}

// ScenarioTitle is the scenario's name for the header ("" before one is
// picked).
func (s *Session) ScenarioTitle() string {
	if !s.HasScenario {
		return ""
	}
	return s.Scenario.Title
}

// preferredPort is the scenario's usual smart-host port (587 if it has
// none).
func (s *Session) preferredPort() int {
	if s.HasScenario && s.Scenario.DefaultPort != 0 {
		return s.Scenario.DefaultPort
	}
	return 587
}

// testPort is the port the login check and the live test use: the one
// connectivity chose, else the first one given.
func (s *Session) testPort() int {
	if s.Port != 0 {
		return s.Port
	}
	if len(s.Ports) > 0 {
		return s.Ports[len(s.Ports)-1]
	}
	return s.preferredPort()
}

// chooseScenario records the scenario. A different scenario than before
// starts its Exchange answers from the provider's defaults again.
func (s *Session) chooseScenario(sc steps.Scenario) {
	if s.HasScenario && s.Scenario.ID == sc.ID {
		return
	}
	prevDefault := s.Scenario.DefaultSmartHost
	s.Scenario, s.HasScenario = sc, true
	s.Inputs, s.HaveInputs = steps.Defaults(sc.ID), false
	s.Artifacts, s.Written, s.WrittenDir = nil, nil, ""
	s.Test = nil
	if !s.UseLab && (s.Host == "" || s.Host == prevDefault) {
		s.Host = sc.DefaultSmartHost
		s.forgetChecks()
	}
}

// useProvider records the provider's smart host. Changing it voids what
// was proven about the old one.
func (s *Session) useProvider(host string, ports []int, caFile, tlsName string) {
	if s.UseLab {
		// the lab's login is no use at the provider
		s.User = ""
		s.clearPassword()
		s.Creds, s.CredsNote = CredsNone, ""
	}
	changed := s.UseLab || s.Host != host || formatPorts(s.Ports) != formatPorts(ports) ||
		s.CAFile != caFile || s.TLSServerName != tlsName
	s.UseLab = false
	s.Host, s.Ports, s.CAFile, s.TLSServerName = host, ports, caFile, tlsName
	if changed {
		s.forgetChecks()
	}
}

// useLab points the wizard at the lab smart host and takes its login.
func (s *Session) useLab(lab *relay.Lab) {
	host, port := labHostPort(lab.Addr)
	changed := !s.UseLab || s.Host != host
	s.UseLab, s.Lab = true, lab
	s.Host, s.Ports, s.CAFile, s.TLSServerName = host, []int{port}, lab.CAFile, ""
	s.User = lab.User
	s.SetPassword([]byte(lab.Password))
	if changed {
		s.forgetChecks()
	}
}

// forgetChecks drops the findings about the previous smart host.
func (s *Session) forgetChecks() {
	s.Report, s.Port, s.PortReason, s.Forced = nil, 0, "", false
	s.AuthProven = false
	s.Test = nil
}

// testTrigger is what makes the provider's Exchange rule pick a test
// message, so it looks like the real thing: the PAMS header, or the
// subject word of the rule. note says so in a sentence.
func (s *Session) testTrigger() (trigger, word, note string) {
	if s.Scenario.EmitsReg { // the PAMS scenarios
		return "pams", "", fmt.Sprintf("Adds the header %s: %s, as the Zivver Outlook plug-in does.", relay.PAMSHeaderName, relay.PAMSHeaderValue)
	}
	for _, t := range s.Inputs.Triggers {
		if t.Kind == steps.TriggerSubject {
			return "subject=" + t.Value, t.Value, fmt.Sprintf("The subject carries %q, the word your rule looks for.", t.Value)
		}
	}
	return "", "", ""
}

// testRecipient is the address a test message goes to by default: the
// last one used, else the Exchange answers' test recipient.
func (s *Session) testRecipient() string {
	if s.TestTo != "" {
		return s.TestTo
	}
	return s.Inputs.TestRecipient
}

// testSender is the sender a test message starts from: the last one used,
// else the sender the rule triggers on, else the SMTP user when it is an
// address ("" when none fits).
func (s *Session) testSender() string {
	if s.TestFrom != "" {
		return s.TestFrom
	}
	for _, t := range s.Inputs.Triggers {
		if t.Kind == steps.TriggerSender {
			return t.Value
		}
	}
	if validateAddress(s.User) == nil {
		return s.User
	}
	return ""
}
