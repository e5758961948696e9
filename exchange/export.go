package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// ExportVersion is the version of export.ps1's JSON contract this reader
// understands ("relaywizExport": 1). steps.ExportVersion is the one the
// script writes; a test keeps the two equal.
const ExportVersion = 1

// Export is a parsed export.ps1 file: when and where it was taken, and the
// organisation it describes.
type Export struct {
	Version      int
	Platform     Platform
	Organization string
	ExportedAt   time.Time // zero when the file does not say, or not in ISO 8601
	Org          *Org
}

// ExportError says why a file is not a usable export. It is always the
// user's input that is wrong (a truncated copy, another program's JSON, a
// newer format), so commands map it to exit 64.
type ExportError struct {
	Msg string
}

func (e *ExportError) Error() string { return e.Msg }

func exportErrorf(format string, args ...any) error {
	return &ExportError{Msg: fmt.Sprintf(format, args...)}
}

// ParseExport reads export.ps1's JSON into an Org. It accepts every form
// Exchange prints values in (see the README's "Export contract"): booleans
// as JSON booleans or "True"/"False", numbers as numbers or strings, a
// one-element list unrolled to a plain string (what PowerShell does when a
// list has one entry), nulls for missing values, and the file as UTF-8
// with or without a byte order mark, or UTF-16LE with one (what Windows
// PowerShell 5.1's Out-File writes when someone re-saves it).
func ParseExport(data []byte) (*Export, error) {
	text, err := exportText(data)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, exportErrorf("the file is empty: run export.ps1 again and use the file it names at the end")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(text, &top); err != nil {
		return nil, jsonError(text, err)
	}
	rawVersion, ok := top["relaywizExport"]
	if !ok {
		return nil, exportErrorf("this is JSON, but not a relaywiz export (it has no \"relaywizExport\" field): run export.ps1 (relaywiz export-script prints it) and use the file it writes")
	}
	var version flexInt
	if err := json.Unmarshal(rawVersion, &version); err != nil || version < 1 {
		return nil, exportErrorf("\"relaywizExport\" is %s, not a version number: the file was changed or is not from export.ps1", abbreviate(string(rawVersion)))
	}
	if version > ExportVersion {
		return nil, exportErrorf("the export has version %d; this relaywiz reads version %d. Use the relaywiz that printed export.ps1, or a newer one", version, ExportVersion)
	}

	var doc struct {
		Platform           flexString         `json:"platform"`
		Organization       flexString         `json:"organization"`
		ExportedAt         flexString         `json:"exportedAt"`
		AcceptedDomains    []exportDomain     `json:"acceptedDomains"`
		MailContacts       []exportContact    `json:"mailContacts"`
		SendConnectors     []exportSend       `json:"sendConnectors"`
		OutboundConnectors []exportOutbound   `json:"outboundConnectors"`
		InboundConnectors  []exportInbound    `json:"inboundConnectors"`
		TransportRules     []exportRule       `json:"transportRules"`
		ConnectionFilter   []exportConnFilter `json:"connectionFilter"`
	}
	if err := json.Unmarshal(text, &doc); err != nil {
		return nil, exportErrorf("the export does not have the documented shape: %v", fieldError(err))
	}
	ex := &Export{Version: int(version), Organization: string(doc.Organization)}
	switch p := Platform(strings.ToLower(strings.TrimSpace(string(doc.Platform)))); p {
	case OnPremises, Online:
		ex.Platform = p
	default:
		return nil, exportErrorf("\"platform\" is %q; an export says \"onprem\" or \"online\"", string(doc.Platform))
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(doc.ExportedAt))); err == nil {
		ex.ExportedAt = t
	}

	org := &Org{Platform: ex.Platform, Organization: ex.Organization}
	for i, d := range doc.AcceptedDomains {
		if d.DomainName == "" {
			return nil, exportErrorf("acceptedDomains[%d] (%s) has no DomainName", i, string(d.Name))
		}
		org.AcceptedDomains = append(org.AcceptedDomains, AcceptedDomain{
			Name: string(d.Name), DomainName: string(d.DomainName), DomainType: string(d.DomainType), Default: d.Default.or(false),
		})
	}
	for _, c := range doc.MailContacts {
		org.MailContacts = append(org.MailContacts, MailContact{
			Name: string(c.Name), Alias: string(c.Alias),
			ExternalEmailAddress: string(c.ExternalEmailAddress), PrimarySmtpAddress: string(c.PrimarySmtpAddress),
		})
	}
	// Defaults for nulls are New-*Connector's documented defaults, so a
	// value the export left out reads as Exchange would have it.
	for i, c := range doc.SendConnectors {
		if c.Name == "" {
			return nil, exportErrorf("sendConnectors[%d] has no Name", i)
		}
		org.SendConnectors = append(org.SendConnectors, SendConnector{
			Name: string(c.Name), Enabled: c.Enabled.or(true), AddressSpaces: c.AddressSpaces, SmartHosts: c.SmartHosts,
			Port: int(c.Port), DNSRoutingEnabled: c.DNSRoutingEnabled.or(true), SmartHostAuthMechanism: string(c.SmartHostAuthMechanism),
			RequireTLS: c.RequireTLS.or(false), TlsAuthLevel: string(c.TlsAuthLevel), TlsDomain: string(c.TlsDomain),
			IsScopedConnector: c.IsScopedConnector.or(false), SourceTransportServers: c.SourceTransportServers,
			MaxMessageSize: string(c.MaxMessageSize), Fqdn: string(c.Fqdn),
		})
	}
	for i, c := range doc.OutboundConnectors {
		if c.Name == "" {
			return nil, exportErrorf("outboundConnectors[%d] has no Name", i)
		}
		org.OutboundConnectors = append(org.OutboundConnectors, OutboundConnector{
			Name: string(c.Name), Enabled: c.Enabled.or(true), ConnectorType: string(c.ConnectorType),
			IsTransportRuleScoped: c.IsTransportRuleScoped.or(false), RecipientDomains: c.RecipientDomains,
			SmartHosts: c.SmartHosts, UseMXRecord: c.UseMXRecord.or(true), TlsSettings: string(c.TlsSettings), TlsDomain: string(c.TlsDomain),
		})
	}
	for i, c := range doc.InboundConnectors {
		if c.Name == "" {
			return nil, exportErrorf("inboundConnectors[%d] has no Name", i)
		}
		org.InboundConnectors = append(org.InboundConnectors, InboundConnector{
			Name: string(c.Name), Enabled: c.Enabled.or(true), ConnectorType: string(c.ConnectorType),
			SenderDomains: c.SenderDomains, SenderIPAddresses: c.SenderIPAddresses, RequireTls: c.RequireTls.or(true),
		})
	}
	for _, f := range doc.ConnectionFilter {
		org.ConnectionFilter = append(org.ConnectionFilter, ConnectionFilterPolicy{Name: string(f.Name), IPAllowList: f.IPAllowList})
	}
	for i, r := range doc.TransportRules {
		rule, err := r.rule()
		if err != nil {
			return nil, exportErrorf("transportRules[%d] (%s): %v", i, r.name, err)
		}
		org.TransportRules = append(org.TransportRules, rule)
	}
	ex.Org = org
	return ex, nil
}

// exportText strips a byte order mark and decodes UTF-16LE.
func exportText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		b := data[2:]
		if len(b)%2 != 0 {
			return nil, exportErrorf("the file is cut off in the middle of a character (UTF-16, odd length): copy the whole file again")
		}
		units := make([]uint16, len(b)/2)
		for i := range units {
			units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return []byte(string(utf16.Decode(units))), nil
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return nil, exportErrorf("the file is UTF-16 big-endian; export.ps1 writes UTF-8: run it again, or save the file as UTF-8")
	}
	return data, nil
}

// jsonError tells a truncated file (the usual accident: a copy that
// stopped early, a mail client that cut an attachment) from one that was
// never JSON.
func jsonError(text []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Error() == "unexpected end of JSON input":
		return exportErrorf("the file ends after %d bytes in the middle of the JSON: it is incomplete. Copy the whole file again (it ends with a closing brace)", len(text))
	case errors.As(err, &syn):
		return exportErrorf("this is not a relaywiz export: not JSON at byte %d (%s)", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		return exportErrorf("this is JSON, but not a relaywiz export: it is %s, not an object with a \"relaywizExport\" field", typ.Value)
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		return exportErrorf("the file ends after %d bytes in the middle of the JSON: it is incomplete. Copy the whole file again", len(text))
	}
	return exportErrorf("this is not a relaywiz export: %v", err)
}

func fieldError(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		return fmt.Sprintf("%s is %s, where the contract has %s", typ.Field, typ.Value, typ.Type)
	}
	return err.Error()
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

type exportDomain struct {
	Name       flexString `json:"Name"`
	DomainName flexString `json:"DomainName"`
	DomainType flexString `json:"DomainType"`
	Default    flexBool   `json:"Default"`
}

type exportContact struct {
	Name                 flexString `json:"Name"`
	Alias                flexString `json:"Alias"`
	ExternalEmailAddress flexString `json:"ExternalEmailAddress"`
	PrimarySmtpAddress   flexString `json:"PrimarySmtpAddress"`
}

type exportSend struct {
	Name                   flexString `json:"Name"`
	Enabled                flexBool   `json:"Enabled"`
	AddressSpaces          flexList   `json:"AddressSpaces"`
	SmartHosts             flexList   `json:"SmartHosts"`
	Port                   flexInt    `json:"Port"`
	DNSRoutingEnabled      flexBool   `json:"DNSRoutingEnabled"`
	SmartHostAuthMechanism flexString `json:"SmartHostAuthMechanism"`
	RequireTLS             flexBool   `json:"RequireTLS"`
	TlsAuthLevel           flexString `json:"TlsAuthLevel"`
	TlsDomain              flexString `json:"TlsDomain"`
	IsScopedConnector      flexBool   `json:"IsScopedConnector"`
	SourceTransportServers flexList   `json:"SourceTransportServers"`
	MaxMessageSize         flexString `json:"MaxMessageSize"`
	Fqdn                   flexString `json:"Fqdn"`
}

type exportOutbound struct {
	Name                  flexString `json:"Name"`
	Enabled               flexBool   `json:"Enabled"`
	ConnectorType         flexString `json:"ConnectorType"`
	IsTransportRuleScoped flexBool   `json:"IsTransportRuleScoped"`
	RecipientDomains      flexList   `json:"RecipientDomains"`
	SmartHosts            flexList   `json:"SmartHosts"`
	UseMXRecord           flexBool   `json:"UseMXRecord"`
	TlsSettings           flexString `json:"TlsSettings"`
	TlsDomain             flexString `json:"TlsDomain"`
}

type exportInbound struct {
	Name              flexString `json:"Name"`
	Enabled           flexBool   `json:"Enabled"`
	ConnectorType     flexString `json:"ConnectorType"`
	SenderDomains     flexList   `json:"SenderDomains"`
	SenderIPAddresses flexList   `json:"SenderIPAddresses"`
	RequireTls        flexBool   `json:"RequireTls"`
}

type exportConnFilter struct {
	Name        flexString `json:"Name"`
	IPAllowList flexList   `json:"IPAllowList"`
}

// exportRule keeps a rule's properties by name: its conditions, exceptions
// and actions are whatever Get-TransportRule printed, under Exchange's
// own names.
type exportRule struct {
	name  string
	props map[string]json.RawMessage
}

func (r *exportRule) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &r.props); err != nil {
		return err
	}
	var n flexString
	if raw, ok := r.prop("Name"); ok {
		_ = json.Unmarshal(raw, &n)
	}
	r.name = string(n)
	return nil
}

// prop finds a property without case (PowerShell's names are not case
// sensitive, and a hand-edited file may differ).
func (r *exportRule) prop(name string) (json.RawMessage, bool) {
	if v, ok := r.props[name]; ok {
		return v, true
	}
	for k, v := range r.props {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// The values a rule's own properties may take, as Exchange prints them.
var (
	ruleStates       = []string{"Enabled", "Disabled"}
	ruleModes        = []string{"Enforce", "Audit", "AuditAndNotify"}
	ruleErrorActions = []string{"Ignore", "Defer"}
)

func (r *exportRule) rule() (TransportRule, error) {
	if r.name == "" {
		return TransportRule{}, errors.New("the rule has no Name")
	}
	t := TransportRule{Name: r.name, Conditions: Params{}, Exceptions: Params{}, Actions: Params{}}
	str := func(name string, allowed []string) (string, error) {
		raw, ok := r.prop(name)
		if !ok {
			return "", nil
		}
		var s flexString
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%s: %v", name, err)
		}
		v := strings.TrimSpace(string(s))
		if v == "" || allowed == nil {
			return v, nil
		}
		for _, a := range allowed {
			if strings.EqualFold(a, v) {
				return a, nil
			}
		}
		return "", fmt.Errorf("%s is %q; Exchange prints one of %s", name, v, strings.Join(allowed, ", "))
	}
	var err error
	if t.State, err = str("State", ruleStates); err != nil {
		return t, err
	}
	if t.Mode, err = str("Mode", ruleModes); err != nil {
		return t, err
	}
	if t.RuleErrorAction, err = str("RuleErrorAction", ruleErrorActions); err != nil {
		return t, err
	}
	if t.SenderAddressLocation, err = str("SenderAddressLocation", nil); err != nil {
		return t, err
	}
	if t.Comments, err = str("Comments", nil); err != nil {
		return t, err
	}
	if raw, ok := r.prop("Priority"); ok {
		var p flexInt
		if err := json.Unmarshal(raw, &p); err != nil {
			return t, fmt.Errorf("Priority: %v", err)
		}
		t.Priority = int(p)
	}
	if raw, ok := r.prop("StopRuleProcessing"); ok {
		var b flexBool
		if err := json.Unmarshal(raw, &b); err != nil {
			return t, fmt.Errorf("StopRuleProcessing: %v", err)
		}
		t.StopRuleProcessing = b.or(false)
	}
	// Everything else is a condition, an exception or an action. Sorted,
	// so that errors and traces do not depend on map order.
	names := make([]string, 0, len(r.props))
	for k := range r.props {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		role := RuleParamRole(k)
		if role == "property" {
			continue
		}
		values, set, err := ruleValues(r.props[k])
		if err != nil {
			return t, fmt.Errorf("%s: %v", k, err)
		}
		if !set {
			continue
		}
		switch role {
		case "exception":
			t.Exceptions[k] = values
		case "action":
			t.Actions[k] = values
		default:
			t.Conditions[k] = values
		}
	}
	return t, nil
}

// ruleValues reads one condition, exception or action. null, false, "" and
// [] mean "not set" (export.ps1 leaves those out; a hand-made file may
// not); true is a switch that is on.
func ruleValues(raw json.RawMessage) ([]string, bool, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false, err
	}
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case bool:
		if !x {
			return nil, false, nil
		}
		return []string{"True"}, true, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, false, nil
		}
		return []string{x}, true, nil
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}, true, nil
	case []any:
		var out []string
		for _, e := range x {
			switch y := e.(type) {
			case nil:
			case string:
				if strings.TrimSpace(y) != "" {
					out = append(out, y)
				}
			case bool:
				out = append(out, strconv.FormatBool(y))
			case float64:
				out = append(out, strconv.FormatFloat(y, 'f', -1, 64))
			default:
				return nil, false, errors.New("a list entry is an object; the contract has strings")
			}
		}
		return out, len(out) > 0, nil
	}
	return nil, false, errors.New("is an object; the contract has a string, a list of strings or a boolean")
}

// flexString is a string as PowerShell's ConvertTo-Json may write it: a
// string, a number or a boolean (printed as Exchange does), or null ("").
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*s = ""
	case string:
		*s = flexString(strings.TrimSpace(x))
	case float64:
		*s = flexString(strconv.FormatFloat(x, 'f', -1, 64))
	case bool:
		if x {
			*s = "True"
		} else {
			*s = "False"
		}
	case []any:
		// PowerShell writes a one-entry collection as a list too.
		if len(x) == 1 {
			return s.UnmarshalJSON(mustJSON(x[0]))
		}
		if len(x) == 0 {
			*s = ""
			return nil
		}
		return fmt.Errorf("a list of %d values where one value belongs", len(x))
	default:
		return errors.New("an object where a value belongs")
	}
	return nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// flexBool is a boolean as JSON true/false or PowerShell's "True"/"False"
// ("$true", "1" and "0" too); null is "not given", so the caller picks the
// documented default.
type flexBool struct {
	set, v bool
}

func (f flexBool) or(def bool) bool {
	if !f.set {
		return def
	}
	return f.v
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*f = flexBool{}
	case bool:
		*f = flexBool{true, x}
	case float64:
		*f = flexBool{true, x != 0}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "$true", "1", "yes":
			*f = flexBool{true, true}
		case "false", "$false", "0", "no":
			*f = flexBool{true, false}
		case "":
			*f = flexBool{}
		default:
			return fmt.Errorf("%q is not True or False", x)
		}
	default:
		return errors.New("not True or False")
	}
	return nil
}

// flexInt is a number as a JSON number or a string ("587"); null is 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*n = 0
	case float64:
		if x != float64(int(x)) {
			return fmt.Errorf("%v is not a whole number", x)
		}
		*n = flexInt(x)
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return fmt.Errorf("%q is not a number", x)
		}
		*n = flexInt(i)
	default:
		return errors.New("not a number")
	}
	return nil
}

// flexList is a list of strings as ConvertTo-Json writes one: an array, a
// single string (a list of one that PowerShell unrolled), or null (empty).
type flexList []string

func (l *flexList) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*l = nil
	case string:
		if strings.TrimSpace(x) == "" {
			*l = nil
		} else {
			*l = flexList{strings.TrimSpace(x)}
		}
	case []any:
		var out flexList
		for _, e := range x {
			switch y := e.(type) {
			case nil:
			case string:
				if s := strings.TrimSpace(y); s != "" {
					out = append(out, s)
				}
			case float64:
				out = append(out, strconv.FormatFloat(y, 'f', -1, 64))
			default:
				return errors.New("a list entry is not a string")
			}
		}
		*l = out
	default:
		return errors.New("not a list of strings")
	}
	return nil
}
