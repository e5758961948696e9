package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"relaywiz/creds"
)

// Exit statuses of `creds status`, so scripts can branch without parsing.
const (
	exitCredsStored      = 0
	exitCredsNotStored   = 1
	exitCredsUnavailable = 3
)

func newCredsStatusCmd(a *app) *cobra.Command {
	var key credsKey
	cmd := &cobra.Command{
		Use:   "status --smart-host HOST --user USER",
		Short: "Tell whether a password is stored for a smart host (never shows it)",
		Long: `Tell whether the OS keyring holds a password for USER at HOST. The password
itself is never shown.

Exit status:
  0   stored
  1   not stored (the keyring works but has no entry)
  3   keyring unavailable (the message says why and what to do)
  64  bad input (a missing or malformed --smart-host/--user)`,
		Example: `  relaywiz creds status --smart-host smtp.zivver.com --user relay@example.com
  relaywiz creds status --smart-host smtp.zivver.com --user relay@example.com || relaywiz creds set --smart-host smtp.zivver.com --user relay@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := key.fromProfile(a, cmd.Flags()); err != nil {
				return err
			}
			if err := key.validate(); err != nil {
				return err
			}
			st := a.store().Status(cmd.Context(), key.host, key.user)
			switch st.State {
			case creds.Stored:
				fmt.Fprintf(a.stdout, "stored: a password for %s on %s is in %s\n", key.user, key.host, creds.Location(key.host, key.user))
				return nil
			case creds.NotStored:
				fmt.Fprintf(a.stdout, "not stored: no password for %s on %s. Store one with: relaywiz creds set --smart-host %s --user %s\n",
					key.user, key.host, key.host, key.user)
				return withExit(exitCredsNotStored, nil)
			default:
				if err := cmd.Context().Err(); err != nil {
					return err
				}
				var ue *creds.UnavailableError
				if errors.As(st.Err, &ue) {
					fmt.Fprintf(a.stdout, "keyring unavailable: %s\n", ue.Detail)
					fmt.Fprintln(a.stderr, ue.Hint)
				} else {
					fmt.Fprintf(a.stdout, "keyring unavailable: %v\n", st.Err)
				}
				return withExit(exitCredsUnavailable, nil)
			}
		},
	}
	key.addFlags(cmd)
	return cmd
}
