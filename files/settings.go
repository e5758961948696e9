package files

import "relaywiz/steps"

// Settings is a profile read the way every command that starts from one
// reads it (the wizard on its second run, doctor): one mapping from the
// saved fields to "which smart host, which ports, which login, which test",
// so the two can never disagree about what the same profile means.
type Settings struct {
	// Scenario is the profile's scenario; HasScenario is false when the
	// profile names none, or one this relaywiz does not know (a newer
	// profile): then nothing is guessed.
	Scenario    steps.Scenario
	HasScenario bool
	// Inputs are the Exchange answers with the test recipient filled in.
	Inputs steps.Inputs

	// Host is the smart host the checks connect to: the one proven before
	// (smartHost.host), else the connector's smart host, else the
	// scenario's default ("" when none of them is known).
	Host string
	// Ports are the ports checked before (may be empty: the caller's
	// defaults apply); ConnectorPort is the port the Exchange connector
	// was given (0: none).
	Ports         []int
	ConnectorPort int

	CAFile        string
	TLSServerName string
	User          string // SMTP user; the password is in the keyring

	PlaceholderDomain string
	TestRecipient     string
	TestFrom          string // the last test message's sender
	OutDir            string // where the Exchange files were last written
	// TriggerSubjects and TriggerLabels are the rule's trigger values,
	// for checking that a received message was routed as it should be.
	TriggerSubjects []string
	TriggerLabels   []string
}

// Settings flattens the profile; see the type for the rules.
func (p Profile) Settings() Settings {
	in := p.StepsInputs()
	sh := p.SmartHost
	s := Settings{
		Inputs:            in,
		Host:              sh.Host,
		Ports:             append([]int(nil), sh.Ports...),
		ConnectorPort:     in.Port,
		CAFile:            sh.CAFile,
		TLSServerName:     sh.TLSServerName,
		User:              sh.User,
		PlaceholderDomain: in.PlaceholderDomain,
		TestRecipient:     in.TestRecipient,
		TestFrom:          p.TestFrom,
		OutDir:            p.OutDir,
	}
	s.Scenario, s.HasScenario = steps.Lookup(string(in.Scenario))
	if s.Host == "" {
		s.Host = in.SmartHost
	}
	if s.Host == "" && s.HasScenario {
		s.Host = s.Scenario.DefaultSmartHost
	}
	s.TriggerSubjects, s.TriggerLabels = RouteTriggers(in.Triggers)
	return s
}

// RouteTriggers picks the trigger values a received message's headers can
// be checked against: subject words and sensitivity-label GUIDs (a sender
// trigger leaves no trace in the headers to check).
func RouteTriggers(triggers []steps.Trigger) (subjects, labels []string) {
	for _, t := range triggers {
		switch t.Kind {
		case steps.TriggerSubject:
			subjects = append(subjects, t.Value)
		case steps.TriggerLabel:
			labels = append(labels, t.Value)
		}
	}
	return subjects, labels
}
