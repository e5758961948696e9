package tui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"relaywiz/steps"
	"relaywiz/troubleshoot"
)

// detailsStep is step 5: the Exchange answers, and only the ones the
// scenario reads (steps.Scenario.Fields). Defaults come from
// steps.Defaults, validation from steps.Inputs.Validate, so the wizard and
// `relaywiz steps` can never disagree about what is valid.
type detailsStep struct {
	c    *Common
	w, h int
	form *huh.Form
	// vals holds each question's text, keyed by field (triggers by
	// "trigger:<kind>"); the form binds to these strings.
	vals     map[string]*string
	order    []string
	problems []string // errors left after the form completed
	// placeholderChecked is the default domain looked up this run;
	// placeholderFinding what DNS said about it.
	placeholderChecked string
	placeholderFinding *troubleshoot.DNSFinding
}

func newDetailsStep(c *Common) *detailsStep { return &detailsStep{c: c} }

func (s *detailsStep) Title() string { return "Exchange details" }
func (s *detailsStep) Typing() bool  { return formTyping(s.form) }
func (s *detailsStep) Busy() string  { return "" }
func (s *detailsStep) Leave()        {}
func (s *detailsStep) Init() tea.Cmd { return nil }

func (s *detailsStep) SetSize(w, h int) {
	s.w, s.h = w, h
	sizeForm(s.form, w, h-s.noteHeight())
}

func (s *detailsStep) ShortHelp() []key.Binding  { return formKeys(s.form) }
func (s *detailsStep) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

func triggerKey(k steps.TriggerKind) string { return "trigger:" + string(k) }

// Enter builds the questions from the answers so far (or the defaults).
func (s *detailsStep) Enter() tea.Cmd {
	ses := s.c.Session
	in := ses.Inputs
	if !ses.HaveInputs || in.Scenario != ses.Scenario.ID {
		in = steps.Defaults(ses.Scenario.ID)
	}
	in.SmartHost, in.Port = connectorTarget(ses)
	if ses.Scenario.Uses(steps.FieldGatewayIP) && in.GatewayIP == "" && isIPv4(ses.Host) && !ses.UseLab {
		in.GatewayIP = ses.Host
	}
	if in.TestRecipient == "" {
		in.TestRecipient = ses.TestTo
	}
	ses.Inputs = in
	s.problems = nil
	s.load(in)
	s.form = s.buildForm()
	s.SetSize(s.w, s.h)
	return tea.Batch(s.form.Init(), s.placeholderCheckCmd(in))
}

// connectorTarget is the smart host and port the Exchange connector gets:
// what connectivity proved for on-premises, port 25 for Exchange Online
// (its connectors have no port setting), the provider's host when the
// tests ran against the lab.
func connectorTarget(ses *Session) (string, int) {
	sc := ses.Scenario
	var host string
	var port int
	if sc.Uses(steps.FieldSmartHost) {
		host = ses.Host
		if ses.UseLab {
			host = sc.DefaultSmartHost
		}
	}
	if sc.Uses(steps.FieldPort) {
		switch {
		case sc.Online:
			port = 25
		case !ses.UseLab && (ses.Port == 25 || ses.Port == 587):
			port = ses.Port
		default:
			port = sc.DefaultPort
		}
	}
	return host, port
}

// load turns Inputs into the questions' texts.
func (s *detailsStep) load(in steps.Inputs) {
	sc := s.c.Session.Scenario
	s.vals = map[string]*string{}
	s.order = nil
	add := func(field, v string) {
		s.vals[field] = &v
		s.order = append(s.order, field)
	}
	for _, k := range sc.TriggerKinds {
		var vs []string
		for _, t := range in.Triggers {
			if t.Kind == k {
				vs = append(vs, t.Value)
			}
		}
		add(triggerKey(k), strings.Join(vs, ", "))
	}
	for _, f := range detailFields {
		if !sc.Uses(f) {
			continue
		}
		switch f {
		case steps.FieldPlaceholderDomain:
			add(f, in.PlaceholderDomain)
		case steps.FieldContactAlias:
			add(f, in.ContactAlias)
		case steps.FieldGatewayIP:
			add(f, in.GatewayIP)
		case steps.FieldConnector:
			add(f, strings.Join(in.Connectors, ", "))
		case steps.FieldAddonRule:
			add(f, in.AddonRule)
		case steps.FieldSourceServer:
			add(f, strings.Join(in.SourceServers, ", "))
		case steps.FieldMaxSizeMB:
			v := ""
			if in.MaxSizeMB > 0 {
				v = strconv.Itoa(in.MaxSizeMB)
			}
			add(f, v)
		case steps.FieldName:
			add(f, in.Name)
		case steps.FieldPriority:
			v := ""
			if in.Priority != steps.PriorityAuto {
				v = strconv.Itoa(in.Priority)
			}
			add(f, v)
		case steps.FieldTestRecipient:
			add(f, in.TestRecipient)
		}
	}
}

// detailFields is the order of the questions after the triggers: the ones
// without a usable default first.
var detailFields = []string{
	steps.FieldGatewayIP, steps.FieldConnector, steps.FieldAddonRule,
	steps.FieldPlaceholderDomain, steps.FieldContactAlias, steps.FieldSourceServer,
	steps.FieldMaxSizeMB, steps.FieldName, steps.FieldPriority, steps.FieldTestRecipient,
}

// question is the title and the one-line explanation of a field. A few
// fields mean something else per scenario (see scenarioQuestion).
func (s *detailsStep) question(field string) (title, desc string) {
	if t, d, ok := scenarioQuestion(s.c.Session.Scenario.ID, field); ok {
		return t, d
	}
	return question(field)
}

// scenarioQuestion is the wording of a field where the scenario changes
// what relaywiz does with the answer.
func scenarioQuestion(id steps.ScenarioID, field string) (title, desc string, ok bool) {
	if id == steps.CryptshareOnPrem && field == steps.FieldConnector {
		// On-premises the gateway connector takes all mail (*), so the
		// connectors named here are switched off (kept, not deleted).
		return "Existing connectors to switch off (optional)",
			"Send connectors for all domains that the gateway connector replaces: apply.ps1 switches them off (kept, not deleted; undo.ps1 switches them on again). Exact names, comma-separated.", true
	}
	return "", "", false
}

func question(field string) (title, desc string) {
	switch field {
	case triggerKey(steps.TriggerSubject):
		return "Subject words", "Mail whose subject contains one of these goes the secure way. Comma-separated."
	case triggerKey(steps.TriggerLabel):
		return "Sensitivity label GUIDs", "From Get-Label in Security & Compliance PowerShell (optional). Comma-separated."
	case triggerKey(steps.TriggerSender):
		return "Sender addresses", "Mail from these addresses (e.g. an application) goes the secure way (optional). Comma-separated."
	case steps.FieldPlaceholderDomain:
		return "Placeholder domain", "A made-up domain the send connector catches. It must not be a real domain."
	case steps.FieldContactAlias:
		return "Contact alias", "The mail contact the rule redirects to, at the placeholder domain."
	case steps.FieldGatewayIP:
		return "Gateway IPv4 address", "The Cryptshare Mail Gateway's address (the public one for Microsoft 365)."
	case steps.FieldConnector:
		return "Existing connectors", "Exact names from Mail flow > Connectors. Comma-separated."
	case steps.FieldAddonRule:
		return "Add-on service's rule", "The exact name of its transport rule (Mail flow > Rules)."
	case steps.FieldSourceServer:
		return "Source servers (optional)", "Exchange servers that may use the connector; empty: the one running the script."
	case steps.FieldMaxSizeMB:
		return "Maximum message size (MB)", "Attachments grow by about a third when encoded: 50 MB carries ~37 MB of files. The organisation-wide limit must allow it too."
	case steps.FieldName:
		return "Name prefix", "Every connector, contact and rule relaywiz creates starts with this."
	case steps.FieldPriority:
		return "Rule priority (optional)", "0 is the top. Empty: the script places the rule after the ones that must see mail first."
	case steps.FieldTestRecipient:
		return "Test recipient (optional)", "An address outside your organisation that you can read, for the final test."
	}
	return field, ""
}

func (s *detailsStep) buildForm() *huh.Form {
	var fields []huh.Field
	for _, f := range s.order {
		title, desc := s.question(f)
		fields = append(fields, huh.NewInput().Title(title).Description(desc).
			Value(s.vals[f]).Validate(s.validator(f)))
	}
	if len(fields) == 0 {
		fields = append(fields, huh.NewNote().Title("Nothing to ask").
			Description("This scenario needs no further answers. Press enter to see the Exchange steps."))
	}
	return newForm(s.c.Styles, huh.NewGroup(fields...))
}

// inputs builds Inputs from the answers, with override for one field
// (the value a validator is checking). A value that does not parse is
// reported as a FieldError for its field.
func (s *detailsStep) inputs(overField, overValue string) (steps.Inputs, error) {
	ses := s.c.Session
	in := ses.Inputs.Clone()
	in.Scenario = ses.Scenario.ID
	get := func(f string) string {
		if f == overField {
			return strings.TrimSpace(overValue)
		}
		if p := s.vals[f]; p != nil {
			return strings.TrimSpace(*p)
		}
		return ""
	}
	var errs []error
	var triggers []steps.Trigger
	for _, k := range ses.Scenario.TriggerKinds {
		for _, v := range splitList(get(triggerKey(k))) {
			triggers = append(triggers, steps.Trigger{Kind: k, Value: v})
		}
	}
	if len(ses.Scenario.TriggerKinds) > 0 {
		in.Triggers = triggers
	}
	for f := range s.vals {
		v := get(f)
		switch f {
		case steps.FieldPlaceholderDomain:
			in.PlaceholderDomain = v
		case steps.FieldContactAlias:
			in.ContactAlias = v
		case steps.FieldGatewayIP:
			in.GatewayIP = v
		case steps.FieldConnector:
			in.Connectors = splitList(v)
		case steps.FieldAddonRule:
			in.AddonRule = v
		case steps.FieldSourceServer:
			in.SourceServers = splitList(v)
		case steps.FieldName:
			in.Name = v
		case steps.FieldTestRecipient:
			in.TestRecipient = v
		case steps.FieldMaxSizeMB:
			in.MaxSizeMB = 0
			if v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					errs = append(errs, &steps.FieldError{Field: f, Value: v, Msg: "is not a whole number of MB"})
				}
				in.MaxSizeMB = n
			}
		case steps.FieldPriority:
			in.Priority = steps.PriorityAuto
			if v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					errs = append(errs, &steps.FieldError{Field: f, Value: v, Msg: "is not a number (0 is the top)"})
				} else {
					in.Priority = n
				}
			}
		}
	}
	return in, errors.Join(errs...)
}

// validator checks one question with the steps package's rules: it
// validates all answers and keeps the errors that belong to this field.
func (s *detailsStep) validator(field string) func(string) error {
	return func(v string) error {
		in, perr := s.inputs(field, v)
		all := append(steps.FieldErrors(perr), steps.FieldErrors(in.Validate())...)
		for _, fe := range all {
			if belongsTo(fe, field, s.c.Session.Scenario) {
				return errors.New(fe.Error())
			}
		}
		return nil
	}
}

// belongsTo maps a FieldError onto the question that can fix it. Trigger
// errors carry "kind=value"; "at least one trigger" goes to the first
// trigger question.
func belongsTo(fe *steps.FieldError, question string, sc steps.Scenario) bool {
	if fe.Field != steps.FieldTrigger {
		return fe.Field == question
	}
	if fe.Value == "" {
		return len(sc.TriggerKinds) > 0 && question == triggerKey(sc.TriggerKinds[0])
	}
	kind, _, _ := strings.Cut(fe.Value, "=")
	return question == triggerKey(steps.TriggerKind(kind))
}

func (s *detailsStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m, ok := msg.(placeholderCheckedMsg); ok {
		f := m.f
		s.placeholderFinding = &f
		s.SetSize(s.w, s.h)
		return s, nil
	}
	cmd, done := updateForm(s.form, msg)
	if !done {
		return s, cmd
	}
	in, perr := s.inputs("", "")
	err := errors.Join(perr, in.Validate())
	if err != nil {
		// What the per-question checks could not catch (e.g. the smart
		// host from step 2 for this scenario): list it, ask again.
		s.problems = nil
		for _, fe := range steps.FieldErrors(err) {
			s.problems = append(s.problems, fe.Error())
		}
		if len(s.problems) == 0 {
			s.problems = []string{err.Error()}
		}
		s.form = s.buildForm()
		s.SetSize(s.w, s.h)
		return s, s.form.Init()
	}
	ses := s.c.Session
	ses.Inputs, ses.HaveInputs = in, true
	ses.Artifacts, ses.Written, ses.WrittenDir = nil, nil, ""
	if in.TestRecipient != "" {
		ses.TestTo = in.TestRecipient
	}
	return s, nextStep
}

// note is the line above the questions: where the connector will point
// and why.
func (s *detailsStep) note() string {
	ses := s.c.Session
	in := ses.Inputs
	sc := ses.Scenario
	var parts []string
	switch {
	case !sc.Uses(steps.FieldSmartHost) && !sc.Uses(steps.FieldPort):
		parts = append(parts, "The existing connectors keep their smart hosts; relaywiz adds the rules around them.")
	case sc.Online:
		host := in.SmartHost
		if host == "" {
			host = "the gateway"
		}
		parts = append(parts, fmt.Sprintf("The connector sends to %s; Exchange Online always delivers on port 25 from Microsoft's network.", host))
	default:
		host := in.SmartHost
		if host == "" {
			host = "the gateway"
		}
		parts = append(parts, fmt.Sprintf("The connector sends to %s on port %d.", host, in.Port))
		if !ses.UseLab && ses.PortReason != "" && in.Port == ses.Port {
			parts = append(parts, ses.PortReason)
		}
	}
	if ses.UseLab {
		parts = append(parts, "(You tested against the lab; the scripts use the provider's values.)")
	}
	if w := s.placeholderNote(); w != "" {
		return strings.Join(parts, " ") + "\n" + w
	}
	return strings.Join(parts, " ")
}

func (s *detailsStep) noteHeight() int {
	if !s.c.Session.HasScenario {
		return 2
	}
	n := len(strings.Split(wrap(s.note(), max(s.w-2, 20)), "\n")) + 1
	if len(s.problems) > 0 {
		n += len(s.problems) + 1
	}
	return n
}

func (s *detailsStep) View() string {
	st := s.c.Styles
	w := max(s.w-2, 20)
	var b strings.Builder
	b.WriteString(st.Subtle.Render(wrap(s.note(), w)) + "\n")
	for _, p := range s.problems {
		b.WriteString(st.Fail.Render(wrap(markFail+" "+p, w)) + "\n")
	}
	if s.form != nil {
		b.WriteString("\n" + s.form.View())
	}
	return b.String()
}

// splitList reads "a, b; c" into its non-empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 {
			return false
		}
	}
	return true
}

// shownForm is the form on screen, for the footer's error line.
func (s *detailsStep) shownForm() *huh.Form {
	return s.form
}
