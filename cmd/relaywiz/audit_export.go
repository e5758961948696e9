package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaywiz/audit"
	"relaywiz/exchange"
	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

const auditExportHelp = `

With --export FILE, audit judges a live organisation instead of the plan:
FILE is the JSON that export.ps1 wrote (relaywiz export-script prints the
script; run it in the Exchange Management Shell or in Exchange Online
PowerShell). Without --scenario, audit finds which relaywiz set-up the org
implements from its objects and says so; with --scenario (and its answers,
e.g. --trigger subject=Secure), it checks that set-up. The findings name the
object at fault: a rule that is disabled, in Audit mode, below a rule that
stops processing, or whose condition cannot match; a route to a connector
that is missing or disabled; the provider connector disabled, not scoped,
without TLS or certificate validation, or by IP with BasicAuthRequireTLS; a
cheaper or more specific connector; a contact outside the connector's
address space; the placeholder domain not authoritative; the gateway missing
from the connection-filter allow list. Same output, JSON and exit codes;
a missing, too large, truncated or foreign FILE is exit 64.`

// addAuditExportFlags registers --export on the audit command.
func addAuditExportFlags(cmd *cobra.Command, f *auditFlags) {
	cmd.Flags().StringVar(&f.export, "export", "", "audit the live organisation in this export.ps1 JSON file instead of the plan (--scenario optional)")
	cmd.Use = "audit [--scenario ID | --profile FILE] [the steps flags] [--export FILE] [--message SPEC]... [--with-neighbours] [--json]"
	cmd.Long += auditExportHelp
	cmd.Example += "\n  relaywiz audit --export relaywiz-export.json\n  relaywiz audit --export relaywiz-export.json --scenario relay-online --trigger subject=Secure --json"
}

func runAuditExport(a *app, cmd *cobra.Command, f *auditFlags) error {
	if f.withNeighbours {
		return usageErrorf("--with-neighbours: an export has its real neighbours already; leave --with-neighbours out with --export")
	}
	ex, err := readExportFlag(f.export)
	if err != nil {
		return err
	}
	opt := audit.ExportOptions{}
	if !cmd.Flags().Changed("scenario") && f.profile == "" {
		// An answer without its scenario would be silently ignored.
		var stray []string
		cmd.Flags().Visit(func(fl *pflag.Flag) {
			switch fl.Name {
			case "export", "message", "json", "with-neighbours", "profile":
			default:
				stray = append(stray, "--"+fl.Name)
			}
		})
		if len(stray) > 0 {
			return usageErrorf("--scenario: %s only count with --scenario ID (without it, audit detects the scenario and reads the answers from the export)", strings.Join(stray, ", "))
		}
	}
	if cmd.Flags().Changed("scenario") || f.profile != "" {
		in, err := stepsInputs(a, cmd, &f.stepsFlags)
		if err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return usageErrorf("%s", stepsFieldErrors(err))
		}
		if !cmd.Flags().Changed("trigger") && f.profile == "" {
			in.Triggers = nil // read them from the org's rules
		}
		opt.Inputs = &in
	} else if saved := a.savedProfile(); saved != "" {
		// Said, like the profile a command does use: the export is the
		// truth here, and the saved answers could describe another org.
		fmt.Fprintf(a.stderr, "relaywiz: not using the saved profile %s: --export alone detects the set-up from the export (pass --profile FILE or --scenario ID to check the saved one)\n", saved)
	}
	for _, spec := range f.messages {
		m, err := audit.ParseMessage(spec)
		if err != nil {
			return usageErrorf("--message: %v", err)
		}
		opt.Messages = append(opt.Messages, m)
	}
	rep, _, err := audit.FromExport(ex, opt)
	var mismatch *audit.ScenarioMismatchError
	switch {
	case errors.As(err, &mismatch):
		return usageErrorf("%v", err)
	case err != nil:
		// No set-up relaywiz knows: the user has to say which one.
		return usageErrorf("--export %s: %v", f.export, err)
	}
	if f.json {
		if err := writeAudit(a.stdout, rep, true); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "Export: %s (organisation %q, %s, exported %s)\n", f.export, ex.Organization, platformLabel(ex.Platform), exportedAtText(ex))
		audit.WriteText(&b, rep)
		// Every name in the report comes from the file.
		if _, err := fmt.Fprint(a.stdout, termtext.EscapeLines(b.String())); err != nil {
			return err
		}
	}
	if code := rep.Exit(); code != 0 {
		return withExit(code, nil)
	}
	return nil
}

// readExportFlag reads --export FILE; every problem with the file is bad
// input (exit 64).
func readExportFlag(path string) (*exchange.Export, error) {
	ex, err := troubleshoot.ReadExport(path)
	var fe *troubleshoot.ExportFileError
	switch {
	case errors.As(err, &fe):
		return nil, usageErrorf("--export %s: %v", fe.Path, fe.Err) // the flag, as every error names it
	case err != nil:
		return nil, usageErrorf("%v", err)
	}
	return ex, nil
}

func platformLabel(p exchange.Platform) string {
	if p == exchange.Online {
		return "Exchange Online"
	}
	return "Exchange Server"
}

func exportedAtText(ex *exchange.Export) string {
	if ex.ExportedAt.IsZero() {
		return "at an unknown time"
	}
	return ex.ExportedAt.UTC().Format("2006-01-02 15:04 UTC")
}
