package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"relaywiz/audit"
	"relaywiz/exchange"
	"relaywiz/steps"
)

type auditFlags struct {
	stepsFlags
	messages       []string
	withNeighbours bool
	json           bool
	export         string // --export FILE: audit a live org (audit_export.go)
}

func newAuditCmd(a *app) *cobra.Command {
	f := &auditFlags{}
	cmd := &cobra.Command{
		Use:   "audit --scenario ID [the steps flags] [--message SPEC]... [--with-neighbours] [--json]",
		Short: "Prove offline where the mail goes with the Exchange changes steps emits",
		Long: `audit applies the plan that "relaywiz steps" emits to a model of an Exchange
organisation and follows each message through the transport rules (priority,
State, Mode, StopRuleProcessing, conditions and exceptions, actions), the
connector selection (address space and cost, scope; Online: rule routing,
RecipientDomains, MX) and the next hop. It reports per message the rules, the
connector, the next hop and the verdict (provider, direct, internal, loop,
undeliverable, unknown), draws the route, and lists the findings, most likely
cause first. Nothing is sent and nothing connects: the model follows
Microsoft's documented behaviour and says "unknown" where it does not know.

Default messages: the scenario's triggered message(s), ordinary mail to the
outside, and mail to a colleague. --message adds one:
  from=ADDR to=ADDR[,ADDR] subject='...' body='...' header='Name: value'
  label=GUID via=outlook|owa|smtp-client|anonymous|inbound inbound=CONNECTOR
  ip=SENDER-IP size=10MB

--with-neighbours adds what real organisations often have already: the
default SMTP:* Internet send connector (on-premises), another smart-host
connector, an organisation-wide disclaimer rule at priority 0 with and
without "Stop processing more rules", and (codetwo-online) another
third-party connector.

Exit status:
  0   every message does what it should and no finding fails
  1   a message goes the wrong way, or a finding fails
  64  bad input (an unknown scenario, an invalid answer or --message)`,
		Example: `  relaywiz audit --scenario pams-onprem
  relaywiz audit --scenario relay-online --trigger label=0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10 --with-neighbours
  relaywiz audit --scenario pams-onprem --message "to=b@example.net header='zivver-relay: zivver-message-info'" --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAudit(a, cmd, f) },
	}
	fl := cmd.Flags()
	addStepsAnswerFlags(fl, &f.stepsFlags)
	fl.StringArrayVar(&f.messages, "message", nil, "add a message to audit (see above); repeatable")
	fl.BoolVar(&f.withNeighbours, "with-neighbours", false, "add the common neighbours (Internet connector, disclaimer rules, other smart hosts) to the model")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	addAuditExportFlags(cmd, f)
	return cmd
}

func runAudit(a *app, cmd *cobra.Command, f *auditFlags) error {
	if f.export != "" {
		return runAuditExport(a, cmd, f)
	}
	in, err := stepsInputs(a, cmd, &f.stepsFlags)
	if err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return usageErrorf("%s", stepsFieldErrors(err))
	}
	var msgs []exchange.Message
	for _, spec := range f.messages {
		m, err := audit.ParseMessage(spec)
		if err != nil {
			return usageErrorf("--message: %v", err)
		}
		msgs = append(msgs, m)
	}
	opt := audit.Options{Inputs: in, Messages: msgs}
	if f.withNeighbours {
		opt.Neighbours = audit.Neighbours(in)
	}
	rep, err := audit.Run(opt)
	if err != nil {
		return withExit(exitFailure, err)
	}
	if err := writeAudit(a.stdout, rep, f.json); err != nil {
		return err
	}
	if code := rep.Exit(); code != 0 {
		return withExit(code, nil)
	}
	return nil
}

func writeAudit(w io.Writer, rep audit.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	var b strings.Builder
	audit.WriteText(&b, rep)
	_, err := fmt.Fprint(w, b.String())
	return err
}

// writeRouteOverview prints, under the files steps wrote, where the mail
// goes with them (the audit without neighbours); the full report is
// relaywiz audit.
func writeRouteOverview(w io.Writer, in steps.Inputs) {
	rep, err := audit.Run(audit.Options{Inputs: in})
	if err != nil {
		fmt.Fprintf(w, "\n(the routing model could not be built: %v)\n", err)
		return
	}
	fmt.Fprint(w, "\n"+audit.Overview(rep))
	fmt.Fprintf(w, "Details, and the same with common neighbours: relaywiz audit --scenario %s ... --with-neighbours\n", in.Scenario)
}
