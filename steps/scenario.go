package steps

// ScenarioID names one of the supported routing set-ups. The IDs are the
// values of `relaywiz steps --scenario` and of the wizard profile, so they
// never change once released.
type ScenarioID string

// The scenarios, one per set-up described in the vendor manuals.
const (
	PAMSOnPrem       ScenarioID = "pams-onprem"
	PAMSOnline       ScenarioID = "pams-online"
	RelayOnline      ScenarioID = "relay-online"
	RelayOnPrem      ScenarioID = "relay-onprem"
	CryptshareOnPrem ScenarioID = "cryptshare-onprem"
	CryptshareOnline ScenarioID = "cryptshare-online"
	CodeTwoOnline    ScenarioID = "codetwo-online"
)

// Field names as the CLI flags spell them. FieldError.Field uses them, and
// Scenario.Fields lists which of them a scenario reads.
const (
	FieldScenario          = "scenario"
	FieldTrigger           = "trigger"
	FieldSmartHost         = "smart-host"
	FieldPort              = "port"
	FieldPlaceholderDomain = "placeholder-domain"
	FieldContactAlias      = "contact-alias"
	FieldName              = "name"
	FieldMaxSizeMB         = "max-size-mb"
	FieldSourceServer      = "source-server"
	FieldGatewayIP         = "gateway-ip"
	FieldConnector         = "connector"
	FieldPriority          = "priority"
	FieldAddonRule         = "addon-rule"
	FieldTestRecipient     = "test-recipient"
)

// Scenario describes one set-up: what it is for, where it runs and which
// inputs it takes. The catalogue is data so that the CLI help, the wizard's
// first screen and the validation all read the same facts.
type Scenario struct {
	ID         ScenarioID
	Title      string // short name for menus
	Summary    string // one line: what relaywiz emits
	WhenToPick string // one or two sentences for the wizard
	Online     bool   // Exchange Online (true) or Exchange Server on-premises
	Provider   string // "Zivver", "Cryptshare", "CodeTwo"
	Seeds      []string

	DefaultSmartHost string // "" when the smart host comes from another input (gateway IP) or is not used
	DefaultPort      int    // 0 when the port is not an input

	// TriggerKinds are the --trigger kinds this scenario accepts; nil means
	// the scenario has a fixed trigger (e.g. the PAMS header).
	TriggerKinds []TriggerKind
	// Fields are the inputs this scenario reads. Validate rejects a value
	// for any other field, because a value that is silently ignored is
	// worse than an error.
	Fields []string
	// Required are the inputs that have no sensible default.
	Required []string
	// PAMS scenarios also emit the Outlook plug-in registry key.
	EmitsReg bool
	// Example is a complete command line for --help.
	Example string
}

// Scenarios returns the catalogue in the order the help and the wizard show it.
func Scenarios() []Scenario {
	out := make([]Scenario, len(catalogue))
	copy(out, catalogue)
	return out
}

// Lookup finds a scenario by its ID.
func Lookup(id string) (Scenario, bool) {
	for _, s := range catalogue {
		if string(s.ID) == id {
			return s, true
		}
	}
	return Scenario{}, false
}

// IDs returns the scenario IDs in catalogue order (for messages and completion).
func IDs() []string {
	ids := make([]string, len(catalogue))
	for i, s := range catalogue {
		ids[i] = string(s.ID)
	}
	return ids
}

// Uses reports whether the scenario reads the named input field.
func (s Scenario) Uses(field string) bool {
	for _, f := range s.Fields {
		if f == field {
			return true
		}
	}
	return false
}

func (s Scenario) requires(field string) bool {
	for _, f := range s.Required {
		if f == field {
			return true
		}
	}
	return false
}

// AcceptsTrigger reports whether --trigger KIND=... is valid for the scenario.
func (s Scenario) AcceptsTrigger(k TriggerKind) bool {
	for _, t := range s.TriggerKinds {
		if t == k {
			return true
		}
	}
	return false
}

// Zivver's smart host and the ports its manuals name.
const (
	ZivverSmartHost = "smtp.zivver.com"
	// ZivverSubmissionPort is the port Zivver's Mail Submission page lists
	// (587, STARTTLS); the Custom Relay manual allows 25 or 587. 587 is also
	// the port least often blocked outbound.
	ZivverSubmissionPort = 587
)

var onPremZivverFields = []string{
	FieldScenario, FieldSmartHost, FieldPort, FieldPlaceholderDomain, FieldContactAlias,
	FieldName, FieldMaxSizeMB, FieldSourceServer, FieldPriority, FieldTestRecipient,
}

var catalogue = []Scenario{
	{
		ID:         PAMSOnPrem,
		Title:      "Zivver PAMS, Exchange on-premises",
		Summary:    "accepted domain, mail contact, scoped send connector to Zivver, zivver-relay header rule, Outlook plug-in .reg",
		WhenToPick: "Outlook users send secure mail with the Zivver Office plug-in and your own Exchange Server must process it first (signatures, archiving, DMS or other plug-ins).",
		Provider:   "Zivver",
		Seeds:      []string{"000", "002"},
		// The PAMS header is fixed: the plug-in sets zivver-relay.
		DefaultSmartHost: ZivverSmartHost,
		DefaultPort:      ZivverSubmissionPort,
		Fields:           onPremZivverFields,
		EmitsReg:         true,
		Example:          "relaywiz steps --scenario pams-onprem --out ./pams",
	},
	{
		ID:               PAMSOnline,
		Title:            "Zivver PAMS, Exchange Online",
		Summary:          "rule-scoped outbound connector to Zivver (TLS, trusted CA), zivver-relay header rule routing to it, Outlook plug-in .reg",
		WhenToPick:       "The same as PAMS on-premises, but your mailboxes are in Exchange Online (Microsoft 365).",
		Online:           true,
		Provider:         "Zivver",
		Seeds:            []string{"000", "001"},
		DefaultSmartHost: ZivverSmartHost,
		DefaultPort:      25,
		Fields:           []string{FieldScenario, FieldSmartHost, FieldPort, FieldName, FieldPriority, FieldTestRecipient},
		EmitsReg:         true,
		Example:          "relaywiz steps --scenario pams-online --out ./pams-online",
	},
	{
		ID:               RelayOnline,
		Title:            "Zivver Custom Relay, Exchange Online",
		Summary:          "rule-scoped outbound connector to Zivver, one rule per trigger (subject words, sensitivity label, sender) routing to it",
		WhenToPick:       "Mail must go out securely when its subject has a word, it carries a sensitivity label, or an application sends it from a fixed address, from any device, and your mailboxes are in Exchange Online.",
		Online:           true,
		Provider:         "Zivver",
		Seeds:            []string{"001"},
		DefaultSmartHost: ZivverSmartHost,
		DefaultPort:      25,
		TriggerKinds:     []TriggerKind{TriggerSubject, TriggerLabel, TriggerSender},
		Fields:           []string{FieldScenario, FieldTrigger, FieldSmartHost, FieldPort, FieldName, FieldPriority, FieldTestRecipient},
		Example:          "relaywiz steps --scenario relay-online --trigger subject=Secure --trigger label=0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10 --out ./relay",
	},
	{
		ID:               RelayOnPrem,
		Title:            "Zivver Custom Relay, Exchange on-premises",
		Summary:          "accepted domain, mail contact, send connector to Zivver, one rule per trigger (subject words or sender) redirecting to the contact",
		WhenToPick:       "Mail must go out securely when its subject has a word or it comes from a fixed sender address, and your mailboxes are on Exchange Server (sensitivity labels need Exchange Online).",
		Provider:         "Zivver",
		Seeds:            []string{"001"},
		DefaultSmartHost: ZivverSmartHost,
		DefaultPort:      ZivverSubmissionPort,
		TriggerKinds:     []TriggerKind{TriggerSubject, TriggerSender},
		Fields:           append([]string{FieldTrigger}, onPremZivverFields...),
		Example:          "relaywiz steps --scenario relay-onprem --trigger subject=Secure --trigger sender=invoices@example.com --out ./relay",
	},
	{
		ID:          CryptshareOnPrem,
		Title:       "Cryptshare Mail Gateway, Exchange on-premises",
		Summary:     "send connector for all domains (*) through the Cryptshare Mail Gateway; the old Internet connector is disabled, not deleted",
		WhenToPick:  "All outgoing mail of your Exchange Server must pass a Cryptshare Mail Gateway (CMG) that you run.",
		Provider:    "Cryptshare",
		Seeds:       []string{"003"},
		DefaultPort: 25,
		Fields: []string{FieldScenario, FieldSmartHost, FieldPort, FieldName, FieldMaxSizeMB, FieldSourceServer,
			FieldGatewayIP, FieldConnector, FieldTestRecipient},
		Required: []string{FieldGatewayIP},
		Example:  "relaywiz steps --scenario cryptshare-onprem --gateway-ip 192.0.2.25 --connector 'Internet' --out ./cmg",
	},
	{
		ID:           CryptshareOnline,
		Title:        "Cryptshare Mail Gateway, Microsoft 365",
		Summary:      "connectors both ways, X-CS-Sensitivity header rule, OWA subject-word rule with the loop-preventing IP exception, connection-filter allow list",
		WhenToPick:   "Your mailboxes are in Exchange Online and Cryptshare for Outlook (or a subject word in OWA) marks the mail that must pass your Cryptshare Mail Gateway.",
		Online:       true,
		Provider:     "Cryptshare",
		Seeds:        []string{"003"},
		DefaultPort:  25,
		TriggerKinds: []TriggerKind{TriggerSubject},
		Fields: []string{FieldScenario, FieldTrigger, FieldSmartHost, FieldPort, FieldName, FieldGatewayIP,
			FieldPriority, FieldTestRecipient},
		Required: []string{FieldGatewayIP},
		Example:  "relaywiz steps --scenario cryptshare-online --gateway-ip 203.0.113.25 --trigger 'subject=[confidential]' --out ./cmg",
	},
	{
		ID:         CodeTwoOnline,
		Title:      "Add-on service next to other smart hosts (CodeTwo-style), Exchange Online",
		Summary:    "existing smart-host connectors made rule-scoped, one anti-loop routing rule each right below the add-on's rule, the add-on rule set to stop processing",
		WhenToPick: "A cloud add-on (e.g. CodeTwo Email Signatures 365) must see outgoing mail before the other smart hosts (Mimecast, Proofpoint, ...) your tenant already routes to.",
		Online:     true,
		Provider:   "CodeTwo",
		Seeds:      []string{"004"},
		Fields:     []string{FieldScenario, FieldName, FieldConnector, FieldPriority, FieldAddonRule, FieldTestRecipient},
		Required:   []string{FieldConnector, FieldAddonRule},
		Example:    "relaywiz steps --scenario codetwo-online --connector 'Mimecast Outbound' --addon-rule 'CodeTwo Exchange Rule' --out ./codetwo",
	},
}
