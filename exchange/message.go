package exchange

import "strings"

// Submission says how a message entered Exchange; it decides FromScope and
// the sender IP that SenderIpRanges sees.
type Submission string

const (
	ViaOutlook    Submission = "outlook"     // an authenticated Outlook client (MAPI/EWS)
	ViaOWA        Submission = "owa"         // Outlook on the web
	ViaSMTPClient Submission = "smtp-client" // an application over SMTP (authenticated submission)
	ViaAnonymous  Submission = "anonymous"   // an application relaying without authentication
	ViaInbound    Submission = "inbound"     // from the internet or a partner, through an inbound connector
)

// Header is one message header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Message is what the model routes.
type Message struct {
	From       string   // the sender's address (header and envelope alike)
	To         []string // recipients
	Subject    string
	Body       string
	Headers    []Header
	Labels     []string // sensitivity label GUIDs; rendered as the msip_labels header
	Via        Submission
	Inbound    string // with ViaInbound: the inbound connector's name ("" = the internet)
	SenderIP   string // the last hop's IP (what SenderIpRanges sees)
	Server     string // on-premises: the transport server that handles it (for scoped connectors)
	SizeBytes  int64
	Attachment int64 // size of the largest attachment, bytes (AttachmentSizeOver)
}

// HeaderValues returns the values of a header, matched without case. The
// msip_labels header is synthesised from Labels when the message does not
// carry one itself.
func (m *Message) HeaderValues(name string) []string {
	var out []string
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	if len(out) == 0 && strings.EqualFold(name, "msip_labels") && len(m.Labels) > 0 {
		out = append(out, LabelsHeader(m.Labels))
	}
	return out
}

// LabelsHeader writes msip_labels the way Office does (Microsoft
// Information Protection SDK metadata: MSIP_Label_<GUID>_Enabled=true and
// its sibling keys, separated by semicolons).
func LabelsHeader(guids []string) string {
	var parts []string
	for _, g := range guids {
		g = strings.ToLower(strings.Trim(g, "{}"))
		parts = append(parts, "MSIP_Label_"+g+"_Enabled=true", "MSIP_Label_"+g+"_Method=Standard")
	}
	return strings.Join(parts, "; ")
}

// SetHeader replaces every header of that name with one value (what the
// SetHeaderName/SetHeaderValue action does: "If the header already exists,
// the value is overwritten").
func (m *Message) SetHeader(name, value string) {
	out := m.Headers[:0:0]
	for _, h := range m.Headers {
		if !strings.EqualFold(h.Name, name) {
			out = append(out, h)
		}
	}
	m.Headers = append(out, Header{Name: name, Value: value})
}

// RemoveHeader drops every header of that name.
func (m *Message) RemoveHeader(name string) {
	out := m.Headers[:0:0]
	for _, h := range m.Headers {
		if !strings.EqualFold(h.Name, name) {
			out = append(out, h)
		}
	}
	m.Headers = out
}

// Clone copies the message so that rules can change it.
func (m Message) Clone() Message {
	m.To = append([]string(nil), m.To...)
	m.Headers = append([]Header(nil), m.Headers...)
	m.Labels = append([]string(nil), m.Labels...)
	return m
}

// Domain returns the lower-case domain of an address ("" if none).
func Domain(addr string) string {
	addr = StripProxyPrefix(addr)
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
	}
	return ""
}

// StripProxyPrefix removes "SMTP:" / "smtp:" from an address as Exchange
// prints proxy addresses.
func StripProxyPrefix(addr string) string {
	addr = strings.TrimSpace(addr)
	if len(addr) > 5 && strings.EqualFold(addr[:5], "smtp:") {
		return addr[5:]
	}
	return addr
}
