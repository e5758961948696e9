package main

import (
	"io"
	"net"
	"os"

	"github.com/mattn/go-isatty"

	"relaywiz/creds"
	"relaywiz/files"
)

// app holds everything a command needs from the outside world, so tests can
// run any command in-process with their own streams and environment
// (the Options/Factory idea of cli/cli, kept small).
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// stdinTTY/stdoutTTY decide between interactive prompts, colour and
	// progress on one side and plain, scriptable output on the other.
	// stderrTTY: a person is watching stderr (not a service log), so a
	// generated secret may be shown there once.
	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	// getenv is os.Getenv in production; tests pass a map lookup.
	getenv func(string) string

	// store opens the credential store: the OS keyring in production, an
	// in-memory creds.NewMemory() (or a fake) in tests. See password.go.
	store func() creds.Store

	// resolver answers the DNS look-ups commands make on their own (the
	// placeholder-domain check): net.DefaultResolver in production, nil in
	// tests, which then inject a fake where they test it.
	resolver stepsResolver

	// defaultProfile is where the wizard saves its answers
	// (files.DefaultProfilePath); nil in tests, so no test ever reads the
	// real user's profile. Commands start from it when it exists.
	defaultProfile func() (string, error)
}

func newProcessApp() *app {
	return &app{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stdinTTY:  isatty.IsTerminal(os.Stdin.Fd()) || isatty.IsCygwinTerminal(os.Stdin.Fd()),
		stdoutTTY: isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd()),
		stderrTTY: isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd()),
		getenv:    os.Getenv,
		store:     func() creds.Store { return creds.NewKeyring(creds.DefaultTimeout) },
		resolver:  net.DefaultResolver,

		defaultProfile: files.DefaultProfilePath,
	}
}

// colour reports whether human output may use ANSI colour: only on a
// terminal, and never when NO_COLOR is set (https://no-color.org).
func (a *app) colour() bool {
	return a.stdoutTTY && a.getenv("NO_COLOR") == ""
}
