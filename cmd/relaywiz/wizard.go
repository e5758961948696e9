package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/atotto/clipboard"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"relaywiz/checks"
	"relaywiz/files"
	"relaywiz/tui"
)

// notTTYMessage is what a script, a pipe or a CI job gets instead of a
// wizard that would wait forever for keys nobody types.
const notTTYMessage = `the wizard needs an interactive terminal (stdin and stdout must both be a terminal).
For scripts and pipes use the subcommands, e.g.:
  relaywiz check --smart-host smtp.zivver.com --ports 25,587
  relaywiz creds set --smart-host smtp.zivver.com --user USER --password-stdin
  relaywiz steps --scenario pams-onprem --out ./pams
  relaywiz send --smart-host smtp.zivver.com --port 587 --user USER \
      --to someone@example.org
See 'relaywiz --help' for all of them.`

// addWizardFlags adds the flags of the bare `relaywiz` command (the
// wizard). They are local to the root, so subcommands keep their own.
func addWizardFlags(root *cobra.Command) {
	root.Flags().String("profile", "", "wizard answers to start from and save to (default: relaywiz/profile.json in the user config directory)")
}

// runWizard starts the interactive wizard on a terminal.
func runWizard(ctx context.Context, a *app, cmd *cobra.Command) error {
	if !a.stdinTTY || !a.stdoutTTY {
		return withExit(exitUsage, errors.New(notTTYMessage))
	}
	profilePath, _ := cmd.Flags().GetString("profile")
	opts, err := wizardOptions(a, profilePath, cmd.Flags().Changed("profile"))
	if err != nil {
		return err
	}
	m, err := tui.New(ctx, opts)
	if err != nil {
		return err
	}
	defer m.Close()
	p := tea.NewProgram(m,
		tea.WithAltScreen(),
		tea.WithContext(ctx),
		tea.WithInput(a.stdin),
		tea.WithOutput(a.stdout),
	)
	if _, err := p.Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err() // interrupted by a signal: exit 130
		}
		return fmt.Errorf("wizard: %w", err)
	}
	// The alternate screen is gone: leave the admin the summary (or where
	// to pick up again) in the scrollback.
	fmt.Fprintln(a.stdout, m.Recap(m.Width()))
	if m.Interrupted() {
		return withExit(exitInterrupted, nil) // ctrl+c: 130, as every command
	}
	return nil
}

// wizardOptions wires the real dependencies: checks.Run, the OS keyring,
// the relay's send and lab, the clipboard, the files package.
func wizardOptions(a *app, profilePath string, explicit bool) (tui.Options, error) {
	o := tui.Options{
		Check:     checks.Run,
		Creds:     a.store(),
		Send:      tui.RelaySender(),
		StartLab:  tui.RelayLab(),
		LabDir:    labDir(),
		Clipboard: copyToClipboard,
		Resolver:  net.DefaultResolver, // Troubleshoot's DNS checks, step 5's placeholder check
	}
	if err := wireFiles(&o, profilePath, explicit); err != nil {
		return o, err
	}
	return o, nil
}

// labDir is where a lab started from the wizard keeps its CA and the
// messages it received, so they can be opened after the wizard ends.
func labDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "relaywiz", "lab")
}

// copyToClipboard uses the system clipboard; on a Linux server without a
// desktop there is none, and the error says what would provide one.
func copyToClipboard(text string) error {
	if clipboard.Unsupported {
		return errors.New("no clipboard tool found: install xclip, xsel or wl-clipboard, or use a desktop session")
	}
	if err := clipboard.WriteAll(text); err != nil {
		return fmt.Errorf("clipboard: %w", err)
	}
	return nil
}

// wireFiles connects the artifact writer and the profile (package files).
// A missing profile is a first run; an unreadable one is reported, since
// silently starting from scratch would overwrite the admin's answers.
func wireFiles(o *tui.Options, profilePath string, explicit bool) error {
	o.Write = files.WriteArtifacts
	if profilePath == "" {
		p, err := files.DefaultProfilePath()
		if err != nil {
			// No config directory (unusual): run without saving answers.
			return nil
		}
		profilePath = p
	}
	prof, err := files.LoadProfile(profilePath)
	switch {
	case err == nil:
		o.Profile = prof
	case errors.Is(err, fs.ErrNotExist):
		// first run (or a new --profile file): created on the first step
	case explicit:
		return usageErrorf("--profile %s: %v", profilePath, err)
	default:
		return usageErrorf("the saved wizard answers cannot be read: %v\nFix or delete that file, or start from another with --profile FILE", err)
	}
	o.ProfilePath = profilePath
	o.SaveProfile = func(p files.Profile) error { return files.SaveProfile(profilePath, p) }
	return nil
}
