package steps

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// FieldError is a problem with one input. Field is the CLI flag name
// (without dashes) so the command, the wizard and the message all point at
// the same thing.
type FieldError struct {
	Field string
	Value string // the offending value, "" when the field is missing
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %q %s", e.Field, e.Value, e.Msg)
}

// FieldErrors returns every *FieldError inside err (Validate joins them).
func FieldErrors(err error) []*FieldError {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*FieldError
		for _, e := range joined.Unwrap() {
			out = append(out, FieldErrors(e)...)
		}
		return out
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []*FieldError{fe}
	}
	return nil
}

// Validate checks every input against the scenario before anything is
// emitted. It reports all problems at once (joined), each as a *FieldError,
// so an admin fixes the command line in one go.
func (in Inputs) Validate() error {
	s, ok := Lookup(string(in.Scenario))
	if !ok {
		if in.Scenario == "" {
			return &FieldError{Field: FieldScenario, Msg: "is required; one of " + strings.Join(IDs(), ", ")}
		}
		return &FieldError{Field: FieldScenario, Value: string(in.Scenario), Msg: "is not a scenario; use one of " + strings.Join(IDs(), ", ")}
	}
	v := &validator{s: s}
	v.unused(in)
	v.required(in)
	v.values(in)
	v.triggers(in)
	v.derivedNames(in)
	return errors.Join(v.errs...)
}

type validator struct {
	s    Scenario
	errs []error
}

func (v *validator) add(field, value, msg string) {
	v.errs = append(v.errs, &FieldError{Field: field, Value: value, Msg: msg})
}

// unused rejects values the scenario would silently ignore.
func (v *validator) unused(in Inputs) {
	set := map[string]bool{
		FieldSmartHost:         in.SmartHost != "",
		FieldPort:              in.Port != 0,
		FieldPlaceholderDomain: in.PlaceholderDomain != "",
		FieldContactAlias:      in.ContactAlias != "",
		FieldName:              in.Name != "",
		FieldMaxSizeMB:         in.MaxSizeMB != 0,
		FieldSourceServer:      len(in.SourceServers) > 0,
		FieldGatewayIP:         in.GatewayIP != "",
		FieldConnector:         len(in.Connectors) > 0,
		FieldAddonRule:         in.AddonRule != "",
		FieldPriority:          in.Priority != PriorityAuto,
		FieldTrigger:           len(in.Triggers) > 0,
		FieldTestRecipient:     in.TestRecipient != "",
	}
	for _, f := range []string{FieldTrigger, FieldSmartHost, FieldPort, FieldPlaceholderDomain, FieldContactAlias,
		FieldName, FieldMaxSizeMB, FieldSourceServer, FieldGatewayIP, FieldConnector, FieldPriority, FieldAddonRule,
		FieldTestRecipient} {
		if set[f] && !v.s.Uses(f) {
			msg := fmt.Sprintf("is not used by scenario %s", v.s.ID)
			switch {
			case f == FieldMaxSizeMB && v.s.Online:
				msg += ": Exchange Online connectors have no size limit of their own; the mailbox's MaxSendSize applies (Set-Mailbox -MaxSendSize)"
			case f == FieldTrigger && v.s.TriggerKinds == nil && v.s.EmitsReg:
				msg += ": PAMS always matches the zivver-relay header that the Outlook plug-in sets"
			case f == FieldSmartHost && v.s.ID == CodeTwoOnline:
				msg += ": the existing connectors (--connector) keep their smart hosts"
			}
			v.add(f, "", msg)
		}
	}
}

func (v *validator) required(in Inputs) {
	missing := func(f string, empty bool, what string) {
		if v.s.requires(f) && empty {
			v.add(f, "", fmt.Sprintf("is required for %s: %s", v.s.ID, what))
		}
	}
	missing(FieldGatewayIP, in.GatewayIP == "", "the Cryptshare Mail Gateway's IPv4 address")
	missing(FieldConnector, len(in.Connectors) == 0, "the name of each existing third-party smart-host outbound connector (Mail flow > Connectors)")
	missing(FieldAddonRule, in.AddonRule == "", "the exact name of the add-on service's transport rule (Mail flow > Rules)")
	if v.s.Uses(FieldName) && in.Name == "" {
		v.add(FieldName, "", "is required: the prefix of the objects relaywiz creates")
	}
	if v.s.Uses(FieldPlaceholderDomain) && in.PlaceholderDomain == "" {
		v.add(FieldPlaceholderDomain, "", "is required: a made-up domain that the send connector catches (e.g. zivver.org, as in the manual)")
	}
	if v.s.Uses(FieldContactAlias) && in.ContactAlias == "" {
		v.add(FieldContactAlias, "", "is required: the alias of the mail contact (e.g. relay)")
	}
	if v.s.DefaultSmartHost != "" && in.SmartHost == "" {
		v.add(FieldSmartHost, "", "is required: the smart host, e.g. "+v.s.DefaultSmartHost)
	}
	if v.s.ID == RelayOnline || v.s.ID == RelayOnPrem {
		if len(in.Triggers) == 0 {
			kinds := "subject=WORD or sender=ADDRESS"
			if v.s.Online {
				kinds = "subject=WORD, label=GUID or sender=ADDRESS"
			}
			v.add(FieldTrigger, "", "at least one is required: "+kinds)
		}
	}
	if (v.s.ID == PAMSOnPrem || v.s.ID == RelayOnPrem) && in.MaxSizeMB == 0 {
		v.add(FieldMaxSizeMB, "", "is required: the send connector's size limit in MB (Zivver accepts up to 50)")
	}
	if v.s.Uses(FieldPort) && in.Port == 0 {
		v.add(FieldPort, "", "is required")
	}
}

func (v *validator) values(in Inputs) {
	if in.SmartHost != "" && v.s.Uses(FieldSmartHost) {
		if msg := checkHost(in.SmartHost); msg != "" {
			v.add(FieldSmartHost, in.SmartHost, msg)
		}
	}
	if in.Port != 0 && v.s.Uses(FieldPort) {
		switch {
		case v.s.Online && in.Port != 25:
			v.add(FieldPort, fmt.Sprint(in.Port), "cannot be chosen for Exchange Online: outbound connectors have no port setting and always deliver on port 25")
		case in.Port != 25 && in.Port != 587:
			v.add(FieldPort, fmt.Sprint(in.Port), "must be 25 or 587")
		}
	}
	if in.PlaceholderDomain != "" && v.s.Uses(FieldPlaceholderDomain) {
		if msg := checkDomain(in.PlaceholderDomain); msg != "" {
			v.add(FieldPlaceholderDomain, in.PlaceholderDomain, msg)
		}
	}
	if in.ContactAlias != "" && v.s.Uses(FieldContactAlias) {
		if msg := checkLocalPart(in.ContactAlias); msg != "" {
			v.add(FieldContactAlias, in.ContactAlias, msg)
		}
	}
	if in.Name != "" && v.s.Uses(FieldName) {
		if msg := checkObjectName(in.Name); msg != "" {
			v.add(FieldName, in.Name, msg)
		}
	}
	if in.MaxSizeMB != 0 && v.s.Uses(FieldMaxSizeMB) && (in.MaxSizeMB < 1 || in.MaxSizeMB > 150) {
		v.add(FieldMaxSizeMB, fmt.Sprint(in.MaxSizeMB), "must be between 1 and 150 (MB)")
	}
	if v.s.Uses(FieldSourceServer) {
		seen := map[string]bool{}
		for _, srv := range in.SourceServers {
			if msg := checkServerName(srv); msg != "" {
				v.add(FieldSourceServer, srv, msg)
			} else if seen[strings.ToLower(srv)] {
				v.add(FieldSourceServer, srv, "is given twice")
			}
			seen[strings.ToLower(srv)] = true
		}
	}
	if in.GatewayIP != "" && v.s.Uses(FieldGatewayIP) {
		if msg := checkIPv4(in.GatewayIP); msg != "" {
			v.add(FieldGatewayIP, in.GatewayIP, msg)
		} else if v.s.Online && !isPublicIPv4(in.GatewayIP) {
			v.add(FieldGatewayIP, in.GatewayIP, "is not a public address; Exchange Online sees the gateway's public IP, so the connectors, the loop exception and the allow list need that one")
		}
	}
	if v.s.Uses(FieldConnector) {
		seen := map[string]bool{}
		for _, c := range in.Connectors {
			if msg := checkObjectName(c); msg != "" {
				v.add(FieldConnector, c, msg)
			} else if seen[strings.ToLower(c)] {
				v.add(FieldConnector, c, "is given twice")
			}
			seen[strings.ToLower(c)] = true
		}
	}
	if in.AddonRule != "" && v.s.Uses(FieldAddonRule) {
		if msg := checkObjectName(in.AddonRule); msg != "" {
			v.add(FieldAddonRule, in.AddonRule, msg)
		}
	}
	if in.Priority != PriorityAuto && v.s.Uses(FieldPriority) {
		switch {
		case in.Priority < 0:
			v.add(FieldPriority, fmt.Sprint(in.Priority), "must be 0 (the top) or more; leave it out to let the script place the rule")
		case in.Priority > maxPriority(v.s):
			v.add(FieldPriority, fmt.Sprint(in.Priority), fmt.Sprintf("is more than %d: %s; a new rule can take 0 up to the number of rules there are (apply.ps1 checks that), so leave --priority out to put the rule at the end", maxPriority(v.s), priorityLimitReason(v.s)))
		}
	}
	if in.TestRecipient != "" && v.s.Uses(FieldTestRecipient) {
		if msg := checkEmail(in.TestRecipient); msg != "" {
			v.add(FieldTestRecipient, in.TestRecipient, msg)
		}
	}
}

func (v *validator) triggers(in Inputs) {
	if len(in.Triggers) == 0 || !v.s.Uses(FieldTrigger) {
		return
	}
	seen := map[string]bool{}
	for _, t := range in.Triggers {
		raw := t.String()
		if !v.s.AcceptsTrigger(t.Kind) {
			switch {
			case t.Kind == TriggerLabel && !v.s.Online:
				v.add(FieldTrigger, raw, "cannot be used on-premises: sensitivity labels reach the msip_labels header only in Exchange Online; use scenario relay-online, or subject=/sender= here")
			default:
				var kinds []string
				for _, k := range v.s.TriggerKinds {
					kinds = append(kinds, string(k)+"=")
				}
				v.add(FieldTrigger, raw, fmt.Sprintf("is not valid for %s; it accepts %s", v.s.ID, strings.Join(kinds, ", ")))
			}
			continue
		}
		var msg string
		switch t.Kind {
		case TriggerSubject:
			msg = checkText(t.Value, MaxWordLen)
		case TriggerLabel:
			msg = checkGUID(t.Value)
		case TriggerSender:
			msg = checkEmail(t.Value)
		default:
			msg = "has an unknown kind"
		}
		key := string(t.Kind) + "=" + strings.ToLower(t.Value)
		if t.Kind == TriggerLabel {
			key = string(t.Kind) + "=" + NormalGUID(t.Value)
		}
		switch {
		case msg != "":
			v.add(FieldTrigger, raw, msg)
		case seen[key]:
			v.add(FieldTrigger, raw, "is given twice")
		}
		seen[key] = true
	}
}

// maxPriority is the highest priority a rule can ever have. Exchange Online
// holds at most 300 mail flow rules (Exchange Online limits, "Journal,
// Transport, and Inbox rule limits"), so priorities run 0-299; Exchange
// Server documents no maximum, and 999 rules is far beyond any real org.
func maxPriority(s Scenario) int {
	if s.Online {
		return 299
	}
	return 999
}

func priorityLimitReason(s Scenario) string {
	if s.Online {
		return "Exchange Online holds at most 300 mail flow rules"
	}
	return "no organization has that many mail flow rules"
}

// derivedNames checks the names relaywiz builds from --name (e.g.
// "<name> - subject") against Exchange's 64-character limit.
func (v *validator) derivedNames(in Inputs) {
	if in.Name == "" || checkText(in.Name, MaxNameLen) != "" {
		return
	}
	for _, n := range namesFor(in).all(v.s.ID, in) {
		if l := utf8.RuneCountInString(n); l > MaxNameLen {
			v.add(FieldName, in.Name, fmt.Sprintf("is too long: the derived object name %q has %d characters and Exchange allows %d; shorten --name by %d", n, l, MaxNameLen, l-MaxNameLen))
			return
		}
	}
}
