package main

import "github.com/spf13/cobra"

// addSubcommands registers every subcommand. One line per command, each
// defined in its own file (check.go, creds.go, steps.go, ...).
func addSubcommands(root *cobra.Command, a *app) {
	root.AddCommand(
		newCheckCmd(a),
		newCredsCmd(a),
		newRelayCmd(a), newSendCmd(a), newLabCmd(a),
		newHeadersCmd(a),
		newExplainCmd(a),
		newDoctorCmd(a),
		newStepsCmd(a),
		newExportScriptCmd(a),
		newAuditCmd(a),
	)
}
