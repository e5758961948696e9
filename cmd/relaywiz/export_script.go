package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"relaywiz/files"
	"relaywiz/steps"
)

func newExportScriptCmd(a *app) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export-script [--out FILE]",
		Short: "Print export.ps1: the read-only script that exports the org's mail routing for audit --export",
		Long: `export-script prints export.ps1 (the same script relaywiz steps writes with
every scenario). Run it in the Exchange Management Shell (Exchange Server) or
in a PowerShell window signed in with Connect-ExchangeOnline (Exchange
Online). It calls only Get- cmdlets, reads no credentials and no message
content, and writes one JSON file (relaywiz-export.json, or -OutFile PATH)
for relaywiz audit --export.

--out FILE writes the script as a file for Windows (UTF-8 with BOM, CRLF);
without it the script is printed to stdout as UTF-8.

Exit status: 0 written or printed; 1 the file could not be written.`,
		Example: `  relaywiz export-script --out export.ps1
  # then, on the Exchange side:   .\export.ps1 -OutFile C:\temp\relaywiz-export.json
  relaywiz audit --export relaywiz-export.json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if out == "" {
				return printExportScript(a)
			}
			art, err := steps.ExportScript()
			if err != nil {
				return err
			}
			if err := files.WriteAtomic(out, art.Content, 0o644); err != nil {
				return fmt.Errorf("--out: %w", err) // WriteAtomic names the path
			}
			abs, _ := filepath.Abs(out)
			fmt.Fprintf(a.stderr, "relaywiz: wrote %s (%s)\n", abs, art.Encoding)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write export.ps1 to this file instead of printing it")
	return cmd
}

// printExportScript writes export.ps1 to stdout; `steps --format export`
// and `export-script` share it.
func printExportScript(a *app) error {
	art, err := steps.ExportScript()
	if err != nil {
		return err
	}
	_, err = io.WriteString(a.stdout, art.Text)
	return err
}
