package files

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"relaywiz/steps"
)

// ProfileVersion is the profile format this relaywiz writes and reads.
const ProfileVersion = 1

// Profile holds the wizard's answers so that a second run (or `relaywiz
// steps --profile`) starts where the first ended. It never holds a secret:
// the smart-host password lives in the OS keyring (package creds), and a
// test makes sure no field here could carry one.
type Profile struct {
	Version int `json:"version"`
	// Steps are the answers for the Exchange steps (scenario, names,
	// triggers, ...). Steps.TestRecipient is not stored here but in
	// TestRecipient; use StepsInputs to get both together.
	Steps steps.Inputs `json:"steps"`
	// SmartHost is what the connectivity check and the test send connect to.
	SmartHost SmartHostProfile `json:"smartHost"`
	// TestRecipient is an outside address the admin can read, for the test
	// message and the connector validation.
	TestRecipient string `json:"testRecipient,omitempty"`
	// TestFrom is the sender of the last test message (the smart host
	// accepts only some senders, so it is worth keeping).
	TestFrom string `json:"testFrom,omitempty"`
	// OutDir is the folder the Exchange files were last written to.
	OutDir string `json:"outDir,omitempty"`
	// LastStep names the wizard step the last run stopped at ("details"),
	// so the next run can offer to continue there.
	LastStep string `json:"lastStep,omitempty"`
}

// SmartHostProfile is the non-secret part of the smart-host connection.
type SmartHostProfile struct {
	Host          string `json:"host,omitempty"`
	Ports         []int  `json:"ports,omitempty"`
	CAFile        string `json:"caFile,omitempty"`        // extra CA certificates (PEM) for the TLS check
	TLSServerName string `json:"tlsServerName,omitempty"` // name to verify the certificate against, if not Host
	User          string `json:"user,omitempty"`          // SMTP AUTH user name; the password is in the keyring
}

// StepsInputs returns the steps answers with the test recipient filled in.
func (p Profile) StepsInputs() steps.Inputs {
	in := p.Steps.Clone()
	if p.TestRecipient != "" {
		in.TestRecipient = p.TestRecipient
	}
	return in
}

// DefaultProfilePath is where the wizard keeps its profile: the user's
// configuration directory (e.g. ~/.config/relaywiz/profile.json on Linux,
// %AppData%\relaywiz\profile.json on Windows,
// ~/Library/Application Support/relaywiz/profile.json on macOS).
func DefaultProfilePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user configuration directory: %w (pass --profile FILE instead)", err)
	}
	return filepath.Join(dir, "relaywiz", "profile.json"), nil
}

// LoadProfile reads a profile. Answers missing from the file get the
// scenario's defaults (so a hand-written profile may be short); unknown
// fields are an error, because a misspelt field that is silently ignored
// would produce a different configuration than the admin meant. A missing
// file gives an error that wraps fs.ErrNotExist.
func LoadProfile(path string) (Profile, error) {
	data, err := ReadLimited(path, MaxProfileBytes)
	if err != nil {
		return Profile{}, fmt.Errorf("read profile: %w", err)
	}
	var head struct {
		Version int `json:"version"`
		Steps   struct {
			Scenario steps.ScenarioID `json:"scenario"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Profile{}, fmt.Errorf("read profile %s: not valid JSON: %w", path, err)
	}
	if head.Version > ProfileVersion {
		return Profile{}, fmt.Errorf("read profile %s: format version %d was written by a newer relaywiz (this one reads %d)", path, head.Version, ProfileVersion)
	}
	p := Profile{Steps: steps.Defaults(head.Steps.Scenario)}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("read profile %s: %w", path, err)
	}
	p.Version = ProfileVersion
	return p, nil
}

// SaveProfile writes the profile atomically, creating its directory. The
// file is readable by the user only: nothing in it is secret, but host
// names, user names and addresses are nobody else's business.
func SaveProfile(path string, p Profile) error {
	p.Version = ProfileVersion
	if p.TestRecipient == "" {
		p.TestRecipient = p.Steps.TestRecipient
	}
	p.Steps = p.Steps.Clone()
	p.Steps.TestRecipient = "" // stored once, in p.TestRecipient
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save profile: create %s: %w", filepath.Dir(path), err)
	}
	return WriteAtomic(path, append(data, '\n'), fs.FileMode(0o600))
}
