package tui

import (
	"relaywiz/files"
	"relaywiz/steps"
)

// profile collects the answers worth keeping between runs, in the files
// package's format that `relaywiz steps --profile` reads too: never a
// password, never a finding. A lab run keeps the lab's address out: it is
// gone next time.
func (s *Session) profile() files.Profile {
	p := files.Profile{TestRecipient: s.TestTo}
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

// applyProfile starts the session from saved answers. An unknown scenario
// (a profile from a newer relaywiz) is ignored rather than guessed.
func (s *Session) applyProfile(p files.Profile) {
	if sc, ok := steps.Lookup(string(p.Steps.Scenario)); ok {
		s.Scenario, s.HasScenario = sc, true
		s.Inputs, s.HaveInputs = p.StepsInputs(), true
	}
	sh := p.SmartHost
	s.Host = sh.Host
	s.Ports = append([]int(nil), sh.Ports...)
	s.CAFile, s.TLSServerName = sh.CAFile, sh.TLSServerName
	s.User = sh.User
	s.TestTo = p.TestRecipient
	if s.Host == "" && s.HasScenario {
		s.Host = s.Scenario.DefaultSmartHost
	}
}
