package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

const rootLong = `relaywiz walks a mail administrator through routing sensitive outbound mail
from Microsoft Exchange (on-premises or Online) through a secure-mail
provider's authenticated smart host (Zivver PAMS or Custom Relay, a Cryptshare
Mail Gateway, a CodeTwo-style add-on service), and proves every link works.

Run it without arguments on a terminal for the step-by-step wizard. Every
step is also a subcommand for scripts and support sessions:

  check    prove the network path: DNS, TCP 25/587, banner, STARTTLS, certificate, AUTH
  creds    keep the smart-host credentials in the OS keyring (never in a file)
  steps    write the Exchange changes: checklist, apply/undo/verify scripts, .reg key
  audit    prove offline where each message goes with those changes (rules, connector, next hop)
  relay    run a local relay that forwards like Exchange's send connector will
  send     send a test message through that relay, end to end
  lab      run a local stand-in smart host to try everything without an account
  headers  read a received message's headers and tell whether it went out secured
  explain  explain an SMTP reply or NDR text: meaning, likely cause here, fix
  doctor   diagnose the whole route, most likely cause first
  export-script  print export.ps1: the read-only export of the org for 'audit --export'

Exit status: 0 success; 2 dns/connect, 21 banner, 22 ehlo, 29 starttls/tls,
28 auth (as swaks); 64 bad input; 69 keyring unavailable; 130 interrupted.
Each command's --help lists the codes it uses.`

// newRootCmd builds the command tree. Subcommands are added in
// addSubcommands so that each lives in its own file.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "relaywiz",
		Short:         "Set up and verify Exchange mail routing through a secure-mail smart host",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWizard(cmd.Context(), a, cmd)
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	// Flag errors are usage errors: exit 64 with the message, not cobra's default 1.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%v (see '%s --help')", err, cmd.CommandPath())
	})
	root.CompletionOptions.HiddenDefaultCmd = true
	addWizardFlags(root)
	addSubcommands(root, a)
	return root
}

// run executes the command line and returns the process exit status. It is
// main without os.Exit, so tests can call it.
func run(ctx context.Context, a *app, args []string) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCodeOf(err)
	if errors.Is(err, context.Canceled) {
		code = exitInterrupted
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.err != nil {
		msg := err.Error()
		// cobra's own argument errors are usage errors too.
		if !errors.As(err, &ee) && (strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") || strings.Contains(msg, "arg(s)")) {
			code = exitUsage
		}
		fmt.Fprintf(a.stderr, "relaywiz: %s\n", msg)
	}
	return code
}
