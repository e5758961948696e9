package tui

import "relaywiz/files"

// profile collects the answers worth keeping between runs, in the files
// package's format that `relaywiz steps --profile` reads too: never a
// password, never a finding. A lab run keeps the lab's address out: it is
// gone next time.
func (s *Session) profile() files.Profile {
	p := files.Profile{TestRecipient: s.TestTo, TestFrom: s.TestFrom, OutDir: s.OutDir, LastStep: stepNames[s.LastStep]}
	if s.HasScenario {
		p.Steps = s.Inputs.Clone()
		p.Steps.Scenario = s.Scenario.ID
		if p.TestRecipient == "" {
			p.TestRecipient = p.Steps.TestRecipient
		}
	}
	if !s.UseLab {
		p.SmartHost = files.SmartHostProfile{
			Host: s.Host, Ports: append([]int(nil), s.Ports...),
			CAFile: s.CAFile, TLSServerName: s.TLSServerName, User: s.User,
		}
	}
	return p
}

// applyProfile starts the session from saved answers, read as doctor
// reads them (files.Profile.Settings). An unknown scenario (a profile from
// a newer relaywiz) is ignored rather than guessed.
func (s *Session) applyProfile(p files.Profile) {
	set := p.Settings()
	if set.HasScenario {
		s.Scenario, s.HasScenario = set.Scenario, true
		s.Inputs, s.HaveInputs = set.Inputs, true
	}
	s.Host, s.Ports = set.Host, set.Ports
	s.CAFile, s.TLSServerName = set.CAFile, set.TLSServerName
	s.User = set.User
	s.TestTo = set.TestRecipient
	s.TestFrom, s.OutDir = p.TestFrom, p.OutDir
	s.connectorPort = set.ConnectorPort
	if set.HasScenario {
		for id, name := range stepNames {
			if name == p.LastStep && name != "" {
				s.ResumeAt = id
			}
		}
	}
}

// stepNames are the steps' names in the profile (stable, unlike numbers).
var stepNames = map[StepID]string{
	StepScenario: "scenario", StepSmartHost: "smart-host", StepConnectivity: "connectivity",
	StepCredentials: "credentials", StepDetails: "details", StepExchange: "exchange-steps",
	StepLiveTest: "live-test", StepSummary: "summary",
}
