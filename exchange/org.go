package exchange

import "strings"

// Platform is where the organisation's mailboxes live.
type Platform string

const (
	OnPremises Platform = "onprem" // Exchange Server: send connectors, address spaces
	Online     Platform = "online" // Exchange Online: outbound connectors, RouteMessageOutboundConnector
)

// Org is an Exchange organisation as far as routing is concerned. Field
// names follow Exchange's property names so that an export of Get-* output
// maps one to one.
type Org struct {
	Platform           Platform
	Organization       string
	AcceptedDomains    []AcceptedDomain
	MailContacts       []MailContact
	SendConnectors     []SendConnector     // on-premises
	OutboundConnectors []OutboundConnector // Exchange Online
	InboundConnectors  []InboundConnector  // Exchange Online
	TransportRules     []TransportRule
	ConnectionFilter   []ConnectionFilterPolicy // Exchange Online

	// Groups are distribution groups whose members are known, by group
	// name, alias or address (lower case), for FromMemberOf/SentToMemberOf.
	// A group that is not listed is unknown, and so is any condition on it.
	Groups map[string][]string
	// ServerSites maps transport server names (short, lower case) to their
	// Active Directory site, for scoped send connectors. A server that is
	// not listed is in a site of its own.
	ServerSites map[string]string

	// Returns describe services that hand a message back to Exchange after
	// processing it (an add-on such as CodeTwo, a Cryptshare gateway in
	// front of Microsoft 365, a smart host that returns mail to EOP). This
	// is not an Exchange object: it is what the model needs to follow a
	// message around a second time and find loops.
	Returns []Return
}

// AcceptedDomain is Get-AcceptedDomain's object.
type AcceptedDomain struct {
	Name       string
	DomainName string // may be a wildcard: *.contoso.com
	DomainType string // Authoritative, InternalRelay, ExternalRelay
	Default    bool
}

// MailContact is Get-MailContact's object.
type MailContact struct {
	Name                 string
	Alias                string
	ExternalEmailAddress string // as Exchange prints it: SMTP:relay@zivver.org
	PrimarySmtpAddress   string
}

// SendConnector is Get-SendConnector's object (on-premises).
type SendConnector struct {
	Name                   string
	Enabled                bool
	AddressSpaces          []string // SMTP:zivver.org;1, Local:SMTP:zivver.org;1, *, ...
	SmartHosts             []string // smtp.zivver.com, [192.0.2.10]
	Port                   int      // 0 means the default, 25
	DNSRoutingEnabled      bool
	SmartHostAuthMechanism string // None, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative
	RequireTLS             bool
	TlsAuthLevel           string // EncryptionOnly, CertificateValidation, DomainValidation
	TlsDomain              string
	IsScopedConnector      bool
	SourceTransportServers []string
	MaxMessageSize         string // 50 MB (52,428,800 bytes), 50MB, Unlimited
	Fqdn                   string
}

// OutboundConnector is Get-OutboundConnector's object (Exchange Online).
type OutboundConnector struct {
	Name                  string
	Enabled               bool
	ConnectorType         string // Partner, OnPremises
	IsTransportRuleScoped bool
	RecipientDomains      []string
	SmartHosts            []string
	UseMXRecord           bool
	TlsSettings           string // EncryptionOnly, CertificateValidation, DomainValidation, "" ($null)
	TlsDomain             string
}

// InboundConnector is Get-InboundConnector's object (Exchange Online).
type InboundConnector struct {
	Name              string
	Enabled           bool
	ConnectorType     string
	SenderDomains     []string
	SenderIPAddresses []string
	RequireTls        bool
}

// ConnectionFilterPolicy is Get-HostedConnectionFilterPolicy's object.
type ConnectionFilterPolicy struct {
	Name        string
	IPAllowList []string
}

// TransportRule is Get-TransportRule's object. The rule's own properties
// are fields; its conditions, exceptions and actions are kept as Params,
// keyed by the Exchange parameter name (HeaderContainsMessageHeader,
// ExceptIfSenderIpRanges, RedirectMessageTo, ...), because real
// organisations use far more of them than any struct could name.
type TransportRule struct {
	Name                  string
	Priority              int
	State                 string // Enabled, Disabled ("" counts as Enabled)
	Mode                  string // Enforce, Audit, AuditAndNotify ("" counts as Enforce)
	StopRuleProcessing    bool
	RuleErrorAction       string // Ignore, Defer
	SenderAddressLocation string // Header, Envelope, HeaderOrEnvelope ("" = Header)
	Comments              string

	Conditions Params // From, SubjectContainsWords, HeaderMatchesMessageHeader, ...
	Exceptions Params // ExceptIfHeaderContainsMessageHeader, ExceptIfSenderIpRanges, ...
	Actions    Params // SetHeaderName, RedirectMessageTo, RouteMessageOutboundConnector, ...
}

// Params holds a rule's conditions, exceptions or actions: Exchange
// parameter name to its values as Exchange prints them (a single value is a
// list of one; booleans are "True"/"False").
type Params map[string][]string

// Get returns the values of a parameter, looked up without case.
func (p Params) Get(name string) []string {
	if v, ok := p[name]; ok {
		return v
	}
	for k, v := range p {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// First returns the first value of a parameter ("" when unset).
func (p Params) First(name string) string {
	if v := p.Get(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether the parameter is set.
func (p Params) Has(name string) bool { return p.Get(name) != nil }

// Enabled reports whether the rule runs at all (State Disabled skips it).
func (r TransportRule) Enabled() bool { return !strings.EqualFold(r.State, "Disabled") }

// Enforced reports whether the rule's actions happen. In Audit and
// AuditAndNotify mode the rule is evaluated and logged only.
func (r TransportRule) Enforced() bool { return r.Mode == "" || strings.EqualFold(r.Mode, "Enforce") }

// Return is a service that hands messages back to Exchange: mail that
// leaves through Connector comes back in through Inbound (Exchange Online)
// from SenderIP, carrying AddHeaders. Name is the service, for messages.
type Return struct {
	Name       string
	Connector  string   // the outbound/send connector that takes mail to the service
	Inbound    string   // the inbound connector the mail comes back through ("" on-premises)
	SenderIP   string   // the address the service connects from
	AddHeaders []Header // headers the service stamps on the way through
}
