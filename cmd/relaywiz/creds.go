package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaywiz/creds"
	"relaywiz/files"
)

const credsLong = `Keep the smart host's SMTP password in the operating system's keyring, and
nowhere else: the Secret Service (GNOME Keyring, KeePassXC) on Linux, the login
Keychain on macOS, Credential Manager on Windows. relaywiz never writes it to a
file, a log, a transcript or a generated script, and never takes it on the
command line.

Each password is filed under service "relaywiz/<host>" and user "<user>".
check, creds test, relay, send and doctor look it up whenever --user is given
without --password-stdin.

If the keyring cannot be used (no session bus on a headless Linux server, a
locked collection, a prompt nobody can answer) relaywiz says why and how to fix
it; every keyring call gives up after a few seconds. For a one-off run, pass the
password with --password-stdin instead.

Exit status (each subcommand's --help has the details):
  0   done: stored, deleted, status "stored", the smart host accepted the login
  1   status and test: no password stored
  3   status: keyring unavailable
  28  test: the login failed (other stage codes as in 'relaywiz check')
  64  bad input (missing --smart-host/--user, empty password, no terminal without
      --password-stdin)
  69  set, delete and test: the keyring is unavailable`

const credsExample = `  # store it (you are asked twice, nothing is echoed)
  relaywiz creds set --smart-host smtp.zivver.com --user relay@example.com

  # store it from a password manager, no terminal needed
  pass show zivver/smtp | relaywiz creds set --smart-host smtp.zivver.com --user relay@example.com --password-stdin

  # is it there? (exit 0 stored, 1 not stored, 3 keyring unavailable)
  relaywiz creds status --smart-host smtp.zivver.com --user relay@example.com

  # does the smart host accept it?
  relaywiz creds test --smart-host smtp.zivver.com --user relay@example.com

  # remove it
  relaywiz creds delete --smart-host smtp.zivver.com --user relay@example.com`

func newCredsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "creds",
		Short:   "Keep the smart-host credentials in the OS keyring (never in a file)",
		Long:    credsLong,
		Example: credsExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCredsSetCmd(a), newCredsStatusCmd(a), newCredsDeleteCmd(a), newCredsTestCmd(a))
	return cmd
}

// credsKey holds the --smart-host/--user pair every creds subcommand
// takes, and the profile they may come from.
type credsKey struct{ host, user, profile string }

func (k *credsKey) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.host, flagSmartHost, "", "smart host name the password belongs to, e.g. smtp.zivver.com (required unless the profile has it)")
	cmd.Flags().StringVar(&k.user, "user", "", "SMTP user name at that smart host (required unless the profile has it)")
	addProfileFlag(cmd.Flags(), &k.profile)
	useVocabulary(cmd, hostAlias)
}

// fromProfile fills the smart host and user the command line left open
// from the wizard's profile.
func (k *credsKey) fromProfile(a *app, f *pflag.FlagSet) (files.Settings, error) {
	ps, _, path, err := a.commandProfile(k.profile)
	if err != nil || path == "" {
		return files.Settings{}, err
	}
	fromProfile(f, flagSmartHost, &k.host, ps.Host)
	fromProfile(f, "user", &k.user, ps.User)
	return ps, nil
}

func (k *credsKey) validate() error { return credsKeyError(k.host, k.user) }

// keyringFailure prints the keyring's explanation and returns the exit
// status for it: 69 (unavailable), or 64 when the password itself is too
// large for the platform.
func keyringFailure(a *app, err error) error {
	var ue *creds.UnavailableError
	if !errors.As(err, &ue) {
		return err
	}
	fmt.Fprintf(a.stderr, "relaywiz: %s\n%s\nNothing was written to disk.\n", ue.Error(), ue.Hint)
	if ue.Reason == creds.ReasonTooLarge {
		return withExit(exitUsage, nil)
	}
	return withExit(exitUnavailable, nil)
}
