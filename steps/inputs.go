package steps

import (
	"fmt"
	"strings"
)

// TriggerKind is what makes a message take the secure route in the
// Custom Relay and Cryptshare OWA scenarios.
type TriggerKind string

// Trigger kinds, as written on the command line (subject=WORD ...).
const (
	TriggerSubject TriggerKind = "subject" // a word or phrase in the subject
	TriggerLabel   TriggerKind = "label"   // a Microsoft Purview sensitivity label GUID (Exchange Online only)
	TriggerSender  TriggerKind = "sender"  // a fixed sender address
)

// Trigger is one --trigger KIND=VALUE.
type Trigger struct {
	Kind  TriggerKind `json:"kind"`
	Value string      `json:"value"`
}

func (t Trigger) String() string { return string(t.Kind) + "=" + t.Value }

// ParseTrigger reads "subject=Secure", "label=<GUID>" or "sender=<address>".
// It checks only the shape; Validate checks the value against the scenario.
func ParseTrigger(s string) (Trigger, error) {
	kind, value, ok := strings.Cut(s, "=")
	if !ok {
		return Trigger{}, &FieldError{Field: FieldTrigger, Value: s,
			Msg: "expected KIND=VALUE, e.g. subject=Secure, label=<GUID> or sender=app@example.com"}
	}
	k := TriggerKind(strings.ToLower(strings.TrimSpace(kind)))
	switch k {
	case TriggerSubject, TriggerLabel, TriggerSender:
	default:
		return Trigger{}, &FieldError{Field: FieldTrigger, Value: s,
			Msg: fmt.Sprintf("unknown kind %q: use subject=, label= or sender=", kind)}
	}
	return Trigger{Kind: k, Value: value}, nil
}

// PriorityAuto leaves the rule priority to the generated script: new rules
// go to the end of the list (after the rules that must see the message
// first), and the CodeTwo scenario places its rules right below the
// add-on's rule.
const PriorityAuto = -1

// Inputs are the answers a scenario needs. Build them with Defaults and
// change what the admin chose; the zero value of a field means "not used"
// (Priority uses PriorityAuto for that, because 0 is the top priority).
// None of these is secret: they are saved in the wizard profile as-is.
type Inputs struct {
	Scenario ScenarioID `json:"scenario"`
	// SmartHost is the host Exchange hands the mail to: smtp.zivver.com, or
	// the Cryptshare gateway (defaults to GatewayIP).
	SmartHost string `json:"smartHost,omitempty"`
	// Port of the smart host for on-premises send connectors: 25 or 587.
	// Exchange Online connectors always deliver on port 25.
	Port int `json:"port,omitempty"`
	// PlaceholderDomain is the made-up accepted domain the on-premises rule
	// redirects to (through the contact); it must not be a real domain.
	PlaceholderDomain string `json:"placeholderDomain,omitempty"`
	// ContactAlias is the mail contact's alias and the local part of its
	// address at PlaceholderDomain.
	ContactAlias string `json:"contactAlias,omitempty"`
	// Name is the prefix of every object relaywiz creates.
	Name string `json:"name,omitempty"`
	// MaxSizeMB is the send connector's message size limit (on-premises).
	MaxSizeMB int `json:"maxSizeMB,omitempty"`
	// SourceServers are the Exchange servers that may use the send connector;
	// empty means the server the script runs on.
	SourceServers []string `json:"sourceServers,omitempty"`
	// GatewayIP is the Cryptshare Mail Gateway's IPv4 address (public for
	// Microsoft 365, reachable from Exchange on-premises).
	GatewayIP string `json:"gatewayIP,omitempty"`
	// Connectors are existing connectors: for codetwo-online the third-party
	// smart-host outbound connectors to put behind rules; for
	// cryptshare-onprem the send connectors to disable once the gateway
	// connector exists.
	Connectors []string `json:"connectors,omitempty"`
	// AddonRule is the exact name of the add-on service's transport rule
	// (codetwo-online).
	AddonRule string `json:"addonRule,omitempty"`
	// Priority of the (first) rule: 0 is the top. PriorityAuto lets the
	// script decide (see PriorityAuto).
	Priority int `json:"priority"`
	// Triggers select the messages (relay and Cryptshare OWA scenarios).
	Triggers []Trigger `json:"triggers,omitempty"`
	// TestRecipient is an outside address the admin can read, for the final
	// test and the connector validation. Optional.
	TestRecipient string `json:"testRecipient,omitempty"`
}

// Defaults returns the manuals' values for a scenario. For an unknown ID it
// returns Inputs with only Scenario set; Validate reports it.
func Defaults(id ScenarioID) Inputs {
	in := Inputs{Scenario: id, Priority: PriorityAuto}
	s, ok := Lookup(string(id))
	if !ok {
		return in
	}
	in.SmartHost = s.DefaultSmartHost
	in.Port = s.DefaultPort
	switch id {
	case PAMSOnPrem, RelayOnPrem:
		// The manuals' example placeholder domain and contact alias.
		in.PlaceholderDomain = "zivver.org"
		in.ContactAlias = "relay"
		// Zivver accepts up to 50 MB per message (PAMS manual).
		in.MaxSizeMB = 50
	}
	switch id {
	case PAMSOnPrem, PAMSOnline:
		in.Name = "Zivver PAMS"
	case RelayOnline, RelayOnPrem:
		in.Name = "Zivver Custom Relay"
		// The manual's example word.
		in.Triggers = []Trigger{{Kind: TriggerSubject, Value: "Secure"}}
	case CryptshareOnPrem, CryptshareOnline:
		in.Name = "Cryptshare CMG"
	case CodeTwoOnline:
		in.Name = "Smart host via rule"
	}
	if id == CryptshareOnline {
		// The Cryptshare manual's example subject word for OWA users.
		in.Triggers = []Trigger{{Kind: TriggerSubject, Value: "[confidential]"}}
	}
	return in
}

// effectiveSmartHost is the host the connector points at: the explicit
// smart host, or for Cryptshare the gateway's IP.
func (in Inputs) effectiveSmartHost() string {
	if in.SmartHost != "" {
		return in.SmartHost
	}
	switch in.Scenario {
	case CryptshareOnPrem, CryptshareOnline:
		return in.GatewayIP
	}
	return ""
}

// triggerValues returns the values of one trigger kind, in input order.
func (in Inputs) triggerValues(k TriggerKind) []string {
	var out []string
	for _, t := range in.Triggers {
		if t.Kind == k {
			out = append(out, t.Value)
		}
	}
	return out
}

// Clone returns a deep copy, so callers can change slices without
// touching a shared profile.
func (in Inputs) Clone() Inputs {
	out := in
	out.SourceServers = append([]string(nil), in.SourceServers...)
	out.Connectors = append([]string(nil), in.Connectors...)
	out.Triggers = append([]Trigger(nil), in.Triggers...)
	return out
}
