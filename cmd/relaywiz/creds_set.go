package main

import (
	"bufio"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"relaywiz/checks"
	"relaywiz/creds"
)

func newCredsSetCmd(a *app) *cobra.Command {
	var key credsKey
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "set --smart-host HOST --user USER [--password-stdin]",
		Short: "Store the SMTP password for a smart host in the OS keyring",
		Long: `Store the SMTP password for USER at HOST in the OS keyring, replacing any
password stored there before.

On a terminal relaywiz first makes sure the keyring can be used, then asks
for the password twice (nothing is echoed), stores it, and offers to test the
login right away (as 'relaywiz creds test' does, on port 587).
Without a terminal, pass --password-stdin and pipe the password in: the first
line of stdin is used, without its line ending. An empty password is refused.
The password is never accepted as an argument: arguments are visible to every
user of the machine and land in shell history.

relaywiz confirms where it stored the password but never prints it.

Exit status: 0 stored; 64 bad input (a missing flag, an empty password, two
entries that differ); 69 the keyring is unavailable (the message says why and
what to do; nothing is written anywhere else).`,
		Example: `  relaywiz creds set --smart-host smtp.zivver.com --user relay@example.com
  pass show zivver/smtp | relaywiz creds set --smart-host smtp.zivver.com --user relay@example.com --password-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := key.fromProfile(a, cmd.Flags()); err != nil {
				return err
			}
			if err := key.validate(); err != nil {
				return err
			}
			prompting := !fromStdin && a.stdinTTY
			if prompting {
				// Ask the keyring first: typing a password twice only to
				// hear that it cannot be stored wastes the admin's time.
				if st := a.store().Status(cmd.Context(), key.host, key.user); st.State == creds.Unavailable {
					return keyringFailure(a, st.Err)
				}
			}
			secret, err := a.newPassword(key, fromStdin)
			if err != nil {
				return err
			}
			defer creds.Zero(secret)
			if err := a.store().Set(cmd.Context(), key.host, key.user, secret); err != nil {
				return keyringFailure(a, err)
			}
			fmt.Fprintf(a.stdout, "Stored the password for %s on %s in %s.\n", key.user, key.host, creds.Location(key.host, key.user))
			fmt.Fprintf(a.stdout, "check, creds test, relay and send will use it. Remove it with: relaywiz creds delete --smart-host %s --user %s\n", key.host, key.user)
			if prompting && a.askYes(fmt.Sprintf("Test the login on %s port 587 now? [Y/n] ", key.host)) {
				return runCredsTest(cmd.Context(), a, credsTestOptions{key: key, port: 587, timeout: checks.DefaultDialTimeout})
			}
			return nil
		},
	}
	key.addFlags(cmd)
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of prompting")
	return cmd
}

// readHidden reads a line from a terminal without echo. A variable so that
// nothing but the terminal path itself needs a real TTY.
var readHidden = func(f *os.File) ([]byte, error) { return term.ReadPassword(int(f.Fd())) }

// newPassword gets the password to store: from stdin with --password-stdin,
// else by prompting twice without echo on a terminal.
func (a *app) newPassword(key credsKey, fromStdin bool) ([]byte, error) {
	if fromStdin {
		return readPasswordLine(a.stdin)
	}
	f, ok := a.stdin.(*os.File)
	if !a.stdinTTY || !ok {
		return nil, usageErrorf("password: no terminal to ask for the password (stdin is not a terminal); pass it with --password-stdin, e.g. pass show smtp | relaywiz creds set --smart-host %s --user %s --password-stdin", key.host, key.user)
	}
	fmt.Fprintf(a.stderr, "Password for %s on %s (not echoed): ", key.user, key.host)
	first, err := readHidden(f)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return nil, fmt.Errorf("reading the password from the terminal: %w", err)
	}
	if len(first) == 0 {
		return nil, usageErrorf("password: empty; nothing was stored")
	}
	fmt.Fprint(a.stderr, "Again, to confirm: ")
	second, err := readHidden(f)
	fmt.Fprintln(a.stderr)
	defer creds.Zero(second)
	if err != nil {
		creds.Zero(first)
		return nil, fmt.Errorf("reading the password from the terminal: %w", err)
	}
	if subtle.ConstantTimeCompare(first, second) != 1 {
		creds.Zero(first)
		return nil, usageErrorf("password: the two entries differ; nothing was stored")
	}
	return first, nil
}

// askYes asks a yes/no question on stderr and reads the answer from stdin;
// enter alone means yes, anything unreadable means no.
func (a *app) askYes(question string) bool {
	fmt.Fprint(a.stderr, question)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.stderr)
		return false
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "" || ans == "y" || ans == "yes"
}
