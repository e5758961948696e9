package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"

	"github.com/spf13/cobra"

	"relaywiz/relay"
)

const labLong = `Run a stand-in smart host on this computer, to try relaywiz with no provider
account and no internet connection. It behaves like a provider's submission
port:

  - STARTTLS with a certificate from a CA generated at start; the CA file is
    written to --dir and its path printed, for --ca-file
  - AUTH LOGIN and PLAIN, only after TLS, as --user with a password generated
    at start and shown once
  - SIZE 50 MB, like the providers
  - every accepted message is written to --dir as an .eml file (with its
    Return-Path and Received lines), atomically

Point 'relaywiz send', 'relaywiz relay', 'relaywiz check' or the wizard at the
address it prints. Stop it with Ctrl+C. The private keys exist only in memory,
so the CA file is useless once the lab has stopped.

lab reads no profile (and takes no --profile): it is the stand-in for the
smart host a profile names, not a client of one.`

// labExitStatus ends 'lab --help' (see setExitStatusHelp).
const labExitStatus = `  0   stopped with Ctrl+C (or SIGTERM), the normal way to stop the lab
  1   the lab could not start (the port is in use, --dir cannot be written)
      or stopped unexpectedly
  64  bad input (--listen not a loopback HOST:PORT, an empty --user or --dir)`

const labExample = `  # terminal 1
  relaywiz lab

  # terminal 2 (you are asked for the password the lab printed)
  relaywiz send --smart-host 127.0.0.1 --port 2587 --ca-file relaywiz-lab/relaywiz-lab-ca.pem \
    --user relaywiz --to you@example.com
  ls relaywiz-lab/*.eml

  # another port, user and directory
  relaywiz lab --listen 127.0.0.1:3587 --user tester --dir /tmp/lab`

type labCmdOptions struct {
	listen, user, dir string
}

func newLabCmd(a *app) *cobra.Command {
	var o labCmdOptions
	cmd := &cobra.Command{
		Use:     "lab [--listen 127.0.0.1:2587] [--user relaywiz] [--dir relaywiz-lab]",
		Short:   "Run a local stand-in smart host to try everything without an account",
		Long:    labLong,
		Example: labExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLab(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", relay.DefaultLabListen, "loopback address to listen on")
	f.StringVar(&o.user, "user", relay.DefaultLabUser, "the user name clients must AUTH with")
	f.StringVar(&o.dir, "dir", "relaywiz-lab", "directory for the CA file and the received .eml files (created if missing)")
	setExitStatusHelp(cmd, labExitStatus)
	return cmd
}

func runLab(ctx context.Context, a *app, o labCmdOptions) error {
	if err := relay.CheckListenAddr(o.listen, false); err != nil {
		if errors.Is(err, relay.ErrNotLoopback) {
			return usageErrorf("--listen: %v; %s", err, relay.LabListenHint)
		}
		return usageErrorf("--listen: %v", err)
	}
	if o.user == "" {
		return usageErrorf("--user: must not be empty")
	}
	if o.dir == "" {
		return usageErrorf("--dir: must not be empty")
	}
	lab, err := relay.StartLab(ctx, relay.LabOptions{Listen: o.listen, User: o.user, Dir: o.dir, Log: a.stdout})
	if err != nil {
		return withExit(exitFailure, err)
	}
	defer lab.Close()

	w := a.stdout
	fmt.Fprintf(w, "relaywiz lab: a stand-in smart host (no account or network needed)\n")
	fmt.Fprintf(w, "  listening  %s  (STARTTLS, then AUTH LOGIN/PLAIN; SIZE %d MB)\n", lab.Addr, relay.DefaultMaxMessageBytes>>20)
	fmt.Fprintf(w, "  CA file    %s\n", lab.CAFile)
	fmt.Fprintf(w, "  user       %s\n", lab.User)
	fmt.Fprintf(w, "  password   %s   (shown once; a new one at every start)\n", lab.Password)
	fmt.Fprintf(w, "  messages   %s\n", filepath.Join(lab.Dir, "*.eml"))
	fmt.Fprintf(w, "\nTry it from another terminal:\n")
	labHost, labPort, _ := net.SplitHostPort(lab.Addr)
	fmt.Fprintf(w, "  relaywiz send --smart-host %s --port %s --ca-file %s \\\n      --user %s --to you@example.com\n", labHost, labPort, quoteArg(lab.CAFile), lab.User)
	fmt.Fprintf(w, "Press Ctrl+C to stop.\n\n")

	select {
	case <-ctx.Done():
		return nil // Ctrl+C is how the lab is meant to stop
	case <-labDone(lab):
		if err := lab.Wait(); err != nil {
			return withExit(exitFailure, fmt.Errorf("the lab stopped: %w", err))
		}
		return nil
	}
}

func labDone(l *relay.Lab) <-chan struct{} {
	ch := make(chan struct{})
	go func() { _ = l.Wait(); close(ch) }()
	return ch
}

// quoteArg quotes a path for copy and paste when it holds spaces.
func quoteArg(s string) string {
	for _, r := range s {
		if r == ' ' || r == '\t' {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
