package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaywiz/files"
	"relaywiz/steps"
)

// stepsResolver is the part of *net.Resolver that --check-dns uses; tests
// pass a fake so they never query public DNS.
type stepsResolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// stepsDeps are the outside-world dependencies of the steps command.
type stepsDeps struct {
	resolver   stepsResolver
	dnsTimeout time.Duration
}

type stepsFlags struct {
	scenario      string
	triggers      []string
	smartHost     string
	port          int
	placeholder   string
	contactAlias  string
	name          string
	maxSizeMB     int
	sourceServers []string
	gatewayIP     string
	connectors    []string
	addonRule     string
	priority      int
	testRecipient string
	profile       string
	out           string
	format        string
	force         bool
	checkDNS      bool
}

func newStepsCmd(a *app) *cobra.Command {
	// a.resolver is net.DefaultResolver in the process and nil in tests, so
	// the automatic check of the default placeholder never reaches public
	// DNS from a test (tests inject a fake through newStepsCmdWith).
	return newStepsCmdWith(a, stepsDeps{resolver: a.resolver, dnsTimeout: 5 * time.Second})
}

func newStepsCmdWith(a *app, deps stepsDeps) *cobra.Command {
	f := &stepsFlags{}
	cmd := &cobra.Command{
		Use:   "steps [--scenario ID | --profile FILE] [flags] [--out DIR | --format FORMAT]",
		Short: "Write the Exchange changes: checklist, apply/undo/verify scripts, .reg key",
		Long:  stepsLong(),
		Example: `  # Zivver PAMS on Exchange Server, all defaults from the manual:
  relaywiz steps --scenario pams-onprem --out ./pams

  # Custom Relay in Exchange Online for a subject word and a sensitivity label:
  relaywiz steps --scenario relay-online --trigger subject=Secure \
      --trigger label=0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10 --out ./relay

  # Print only the verify script of the answers the wizard saved:
  relaywiz steps --profile ~/.config/relaywiz/profile.json --format verify

  # Regenerate after changing an answer (shows the differences, then replaces):
  relaywiz steps --scenario pams-onprem --max-size-mb 40 --out ./pams
  relaywiz steps --scenario pams-onprem --max-size-mb 40 --out ./pams --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSteps(cmd.Context(), a, deps, cmd, f)
		},
	}
	fl := cmd.Flags()
	addStepsAnswerFlags(fl, f)
	fl.StringVar(&f.out, "out", "", "write every artifact into this directory (created if missing)")
	fl.StringVar(&f.format, "format", "", "print one artifact to stdout: checklist, apply, undo, verify, export or reg")
	fl.BoolVar(&f.force, "force", false, "with --out: replace existing files that differ (without it, relaywiz shows the differences and writes nothing)")
	fl.BoolVar(&f.checkDNS, "check-dns", false, "look the placeholder domain up in public DNS and warn if it exists (needs network)")
	_ = cmd.RegisterFlagCompletionFunc("scenario", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return steps.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return steps.Formats(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// addStepsAnswerFlags registers the scenario answers (--scenario, --trigger,
// ..., --profile): steps and audit read the same answers the same way.
func addStepsAnswerFlags(fl *pflag.FlagSet, f *stepsFlags) {
	fl.StringVar(&f.scenario, "scenario", "", "the set-up to generate (see the list above)")
	fl.StringArrayVar(&f.triggers, "trigger", nil, "what makes mail secure: subject=WORD, label=GUID (Online only) or sender=ADDRESS; repeatable, one rule per kind\n(default for the relay scenarios: subject=Secure; cryptshare-online: subject=[confidential])")
	fl.StringVar(&f.smartHost, "smart-host", "", "smart host the connector delivers to (default: smtp.zivver.com for Zivver, the --gateway-ip for Cryptshare)")
	fl.IntVar(&f.port, "port", 0, "smart-host port for on-premises send connectors: 25 or 587 (default: 587 for Zivver, 25 for Cryptshare; Exchange Online always uses 25)")
	fl.StringVar(&f.placeholder, "placeholder-domain", "", "made-up accepted domain for the on-premises redirect; must not be a real domain (default: zivver.org, the manuals' example)")
	fl.StringVar(&f.contactAlias, "contact-alias", "", "alias of the mail contact in the placeholder domain (default: relay)")
	fl.StringVar(&f.name, "name", "", "prefix of every object relaywiz creates, at most 64 characters (default: e.g. \"Zivver PAMS\")")
	fl.IntVar(&f.maxSizeMB, "max-size-mb", 0, "send connector size limit in MB, 1-150, on-premises (default: 50 for Zivver). Base64 makes attachments ~33% larger,\nso 50 MB carries ~37 MB of attachments; the organization-wide limit (Get-TransportConfig) caps it too")
	fl.StringArrayVar(&f.sourceServers, "source-server", nil, "Exchange server allowed to use the send connector; repeatable (default: the server apply.ps1 runs on)")
	fl.StringVar(&f.gatewayIP, "gateway-ip", "", "Cryptshare Mail Gateway IPv4 address (required for the Cryptshare scenarios; its public IP for Microsoft 365)")
	fl.StringArrayVar(&f.connectors, "connector", nil, "existing connector, repeatable: codetwo-online: each third-party smart-host outbound connector;\ncryptshare-onprem: each old send connector to switch off")
	fl.StringVar(&f.addonRule, "addon-rule", "", "exact name of the add-on service's transport rule (codetwo-online, required)")
	fl.IntVar(&f.priority, "priority", 0, "priority of the (first) rule, 0 = top (default: at the end of the list; codetwo-online: right below the add-on rule)")
	fl.StringVar(&f.testRecipient, "test-recipient", "", "an outside address you can read, for the connector validation and the final test")
	addProfileFlag(fl, &f.profile)
}

// stepsLong lists the scenarios one line each, from the same catalogue the
// validation uses, so the help cannot drift from what the command accepts.
func stepsLong() string {
	var b strings.Builder
	b.WriteString(`steps turns a scenario and a few answers into the exact Exchange changes:

  checklist.md  the admin-center click path, numbered, with your values, and the final test
  apply.ps1     makes the changes; safe to re-run (skips what exists); asks for the
                smart-host password with Get-Credential, never stores it
  undo.ps1      takes back exactly what apply.ps1 recorded, rules first
  verify.ps1    reads the live configuration back: PASS/FAIL per setting (drift check)
  export.ps1    read-only: writes the org's connectors, rules, domains and contacts to
                JSON for relaywiz audit --export (the same for every scenario;
                --format export needs no --scenario)
  pams.reg      PAMS only: the Outlook plug-in switch - import it ONLY after verify passes

With --out it then draws where the mail goes with these changes (the
routing model of relaywiz audit, which also tries common neighbours).

Scenarios (--scenario):
`)
	for _, s := range steps.Scenarios() {
		fmt.Fprintf(&b, "  %-18s %s\n", s.ID, s.Title)
	}
	b.WriteString(`
Every value has the vendor manuals' default where one exists, so
"relaywiz steps --scenario pams-onprem --out DIR" works as it is. Invalid input
is refused before anything is written, with the flag named (exit 64).

Files: .ps1 are UTF-8 with BOM and CRLF (what Windows PowerShell 5.1 needs),
pams.reg is UTF-16LE with BOM and CRLF (what regedit writes and reads),
checklist.md is plain UTF-8. --format prints the same text as UTF-8 to stdout;
use --out for files to copy to Windows. Writes are atomic; files that exist
with other content are replaced only with --force.

Exit status:
  0   the artifacts were written (--out) or printed (--format, or the checklist);
      --check-dns only warns, it never changes the status
  1   existing files differ and --force was not given (the differences are
      shown, nothing is written), or a write failed
  64  bad input: an unknown scenario or format, an invalid answer, an
      unreadable --profile (the message names the flag)`)
	return b.String()
}

func runSteps(ctx context.Context, a *app, deps stepsDeps, cmd *cobra.Command, f *stepsFlags) error {
	if f.out != "" && f.format != "" {
		return usageErrorf("--format: use either --out DIR (all artifacts) or --format FORMAT (one, to stdout), not both")
	}
	if f.format != "" && !stepsHasString(steps.Formats(), f.format) {
		return usageErrorf("--format: %q is not a format; use one of %s", f.format, strings.Join(steps.Formats(), ", "))
	}
	if f.force && f.out == "" {
		return usageErrorf("--force: only applies with --out DIR")
	}
	if f.format == steps.FormatExport && f.scenario == "" && f.profile == "" {
		// export.ps1 reads the whole org, whatever the scenario.
		return printExportScript(a)
	}
	in, err := stepsInputs(a, cmd, f)
	if err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return usageErrorf("%s", stepsFieldErrors(err))
	}
	if f.checkDNS || usesDefaultPlaceholder(cmd, in) && deps.resolver != nil {
		// The manuals' example domain is a real one: using it unchanged is
		// worth a DNS look even when --check-dns was not asked for.
		checkPlaceholderDNS(ctx, a.stderr, deps, in)
	}
	arts, err := steps.Generate(in)
	if err != nil {
		return fmt.Errorf("generate the artifacts: %w", err)
	}

	switch {
	case f.format != "":
		art, err := steps.Find(arts, f.format)
		if err != nil {
			return usageErrorf("--format: %v", err)
		}
		_, err = io.WriteString(a.stdout, art.Text)
		return err
	case f.out != "":
		return writeStepsOut(a, f, in, arts)
	default:
		art, _ := steps.Find(arts, steps.FormatChecklist)
		if _, err := io.WriteString(a.stdout, art.Text); err != nil {
			return err
		}
		var others []string // every file --out writes, from the artifacts themselves
		for _, x := range arts {
			if x.Format != steps.FormatChecklist {
				others = append(others, x.Name)
			}
		}
		fmt.Fprintf(a.stderr, "relaywiz: this is checklist.md; --out DIR writes it with %s (see relaywiz steps --help)\n", joinAnd(others))
		return nil
	}
}

// stepsInputs builds the answers: the profile (if any) or the scenario's
// defaults, then every flag the user actually set on top.
func stepsInputs(a *app, cmd *cobra.Command, f *stepsFlags) (steps.Inputs, error) {
	changed := cmd.Flags().Changed
	var in steps.Inputs
	_, prof, path, err := a.loadCommandProfile(f.profile)
	if err != nil {
		return in, err
	}
	sameScenario := !changed("scenario") || steps.ScenarioID(f.scenario) == prof.Steps.Scenario
	switch {
	case path != "" && prof.Steps.Scenario != "" && sameScenario:
		a.announceProfile(path) // only when it is really used
		in = prof.StepsInputs()
	case path != "" && f.profile != "":
		// an explicit profile of another scenario is a contradiction
		return in, usageErrorf("--scenario: the profile is for %s, not %s; leave out --scenario or use a profile of that scenario", prof.Steps.Scenario, f.scenario)
	case f.scenario == "":
		return in, usageErrorf("--scenario: required (or --profile FILE, or run the wizard first: it saves one); one of %s. See relaywiz steps --help", strings.Join(steps.IDs(), ", "))
	default:
		in = steps.Defaults(steps.ScenarioID(f.scenario))
	}

	if changed("trigger") {
		in.Triggers = nil
		for _, raw := range f.triggers {
			t, err := steps.ParseTrigger(raw)
			if err != nil {
				return in, usageErrorf("%v", err)
			}
			in.Triggers = append(in.Triggers, t)
		}
	}
	if changed("max-size-mb") && (f.maxSizeMB < 1 || f.maxSizeMB > 150) {
		return in, usageErrorf("--max-size-mb: %d must be between 1 and 150 (MB)", f.maxSizeMB)
	}
	if changed("port") && f.port != 25 && f.port != 587 {
		return in, usageErrorf("--port: %d must be 25 or 587", f.port)
	}
	setString := func(flag string, dst *string, v string) {
		if changed(flag) {
			*dst = strings.TrimSpace(v)
		}
	}
	setString("smart-host", &in.SmartHost, f.smartHost)
	setString("placeholder-domain", &in.PlaceholderDomain, f.placeholder)
	setString("contact-alias", &in.ContactAlias, f.contactAlias)
	setString("name", &in.Name, f.name)
	setString("gateway-ip", &in.GatewayIP, f.gatewayIP)
	setString("addon-rule", &in.AddonRule, f.addonRule)
	setString("test-recipient", &in.TestRecipient, f.testRecipient)
	if changed("port") {
		in.Port = f.port
	}
	if changed("max-size-mb") {
		in.MaxSizeMB = f.maxSizeMB
	}
	if changed("priority") {
		in.Priority = f.priority
	}
	if changed("source-server") {
		in.SourceServers = append([]string(nil), f.sourceServers...)
	}
	if changed("connector") {
		in.Connectors = append([]string(nil), f.connectors...)
	}
	return in, nil
}

// joinFieldErrors turns Validate's joined errors into one message, one
// problem per line, each starting with the flag it is about.
func stepsFieldErrors(err error) string {
	fes := steps.FieldErrors(err)
	if len(fes) == 0 {
		return err.Error()
	}
	lines := make([]string, len(fes))
	for i, fe := range fes {
		lines[i] = "--" + fe.Error() // the field is the flag: --gateway-ip, as check names its flags
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return "the answers have " + fmt.Sprint(len(lines)) + " problems:\n  " + strings.Join(lines, "\n  ")
}

func writeStepsOut(a *app, f *stepsFlags, in steps.Inputs, arts []steps.Artifact) error {
	res, err := files.WriteArtifacts(f.out, arts, f.force)
	var conflict *files.ConflictError
	if errors.As(err, &conflict) {
		for _, c := range conflict.Changed {
			fmt.Fprintf(a.stderr, "--- %s (existing)\n+++ %s (new)\n%s\n", c.Path, c.Path, c.Diff)
		}
		return withExit(exitFailure, err)
	}
	if err != nil {
		return withExit(exitFailure, fmt.Errorf("write the artifacts: %w", err))
	}
	encodings := map[string]string{}
	for _, art := range arts {
		encodings[art.Name] = art.Encoding
	}
	replaced := false
	for _, fc := range res.Files {
		fmt.Fprintf(a.stdout, "%-9s  %s  (%s)\n", fc.State, fc.Path, encodings[fc.Name])
		replaced = replaced || fc.State == files.StateReplaced
	}
	writeRouteOverview(a.stdout, in)
	if replaced && stepsFileExists(filepath.Join(f.out, steps.StateFileName)) {
		fmt.Fprintf(a.stderr, "relaywiz: %s records what an earlier apply.ps1 created. If you changed names, run the OLD undo.ps1 before the new apply.ps1, or the old objects stay behind.\n", steps.StateFileName)
	}
	s, _ := steps.Lookup(string(in.Scenario))
	shell := "the Exchange Management Shell on an Exchange server"
	if s.Online {
		shell = "PowerShell with the ExchangeOnlineManagement module"
	}
	fmt.Fprintf(a.stdout, "\nNext: read %s, then run apply.ps1 and verify.ps1 in %s.\n",
		filepath.Join(f.out, "checklist.md"), shell)
	if s.EmitsReg {
		fmt.Fprintln(a.stdout, "Import pams.reg on an Outlook PC only after verify.ps1 passes: before that, Zivver mail would leave unsecured.")
	}
	return nil
}

// usesDefaultPlaceholder reports whether the scenario's placeholder domain is
// still the manuals' example, not one the admin chose.
func usesDefaultPlaceholder(cmd *cobra.Command, in steps.Inputs) bool {
	s, ok := steps.Lookup(string(in.Scenario))
	if !ok || !s.Uses(steps.FieldPlaceholderDomain) || cmd.Flags().Changed("placeholder-domain") {
		return false
	}
	def := steps.Defaults(in.Scenario).PlaceholderDomain
	return def != "" && strings.EqualFold(in.PlaceholderDomain, def)
}

// checkPlaceholderDNS warns when the placeholder domain exists in public
// DNS. It never fails the command: the check is advice, and the network
// may simply not be there.
func checkPlaceholderDNS(ctx context.Context, w io.Writer, deps stepsDeps, in steps.Inputs) {
	s, _ := steps.Lookup(string(in.Scenario))
	if !s.Uses(steps.FieldPlaceholderDomain) {
		fmt.Fprintf(w, "relaywiz: --check-dns: scenario %s has no placeholder domain; nothing to check\n", in.Scenario)
		return
	}
	domain := in.PlaceholderDomain
	timeout := deps.dnsTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var found []string
	var failures []string
	addrs, err := deps.resolver.LookupHost(ctx, domain)
	switch {
	case err == nil && len(addrs) > 0:
		found = append(found, "address "+strings.Join(addrs, ", "))
	case err != nil && !stepsDNSNotFound(err):
		failures = append(failures, err.Error())
	}
	mxs, err := deps.resolver.LookupMX(ctx, domain)
	switch {
	case err == nil && len(mxs) > 0:
		hosts := make([]string, len(mxs))
		for i, mx := range mxs {
			hosts[i] = strings.TrimSuffix(mx.Host, ".")
		}
		found = append(found, "mail exchanger "+strings.Join(hosts, ", "))
	case err != nil && !stepsDNSNotFound(err):
		failures = append(failures, err.Error())
	}
	switch {
	case len(found) > 0:
		fmt.Fprintf(w, "relaywiz: WARNING: --placeholder-domain %s exists in public DNS (%s).\n"+
			"  The manuals say the placeholder must not be a real domain: once it is an accepted domain,\n"+
			"  your users can no longer reach real addresses there, and mail for it stays inside Exchange.\n"+
			"  Unless that is intended (the manuals' own example zivver.org belongs to Zivver), pick a\n"+
			"  domain nobody uses, e.g. one under the reserved .invalid top-level domain, with --placeholder-domain.\n",
			domain, strings.Join(found, "; "))
	case len(failures) > 0:
		fmt.Fprintf(w, "relaywiz: --check-dns: could not check %s: %s\n", domain, strings.Join(failures, "; "))
	default:
		fmt.Fprintf(w, "relaywiz: --placeholder-domain %s does not exist in public DNS: good.\n", domain)
	}
}

func stepsDNSNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

func stepsFileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func stepsHasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// joinAnd lists names as people write them: "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
