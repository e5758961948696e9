package main

import (
	"context"

	"github.com/spf13/cobra"
)

// runWizard starts the interactive wizard. Until the TUI lands it shows the
// command list, so `go run ./cmd/relaywiz` always tells a newcomer what to do.
func runWizard(_ context.Context, _ *app, cmd *cobra.Command) error {
	return cmd.Help()
}
