package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"relaywiz/creds"
)

func newCredsDeleteCmd(a *app) *cobra.Command {
	var key credsKey
	cmd := &cobra.Command{
		Use:   "delete --smart-host HOST --user USER",
		Short: "Remove a stored password from the OS keyring",
		Long: `Remove the password for USER at HOST from the OS keyring. Deleting an entry
that is not there is not an error: the message says so and the exit status is 0,
so scripts can delete unconditionally.

The same entry can be removed with the OS's own tools:
  Linux    secret-tool clear service relaywiz/HOST username USER
  macOS    security delete-generic-password -s relaywiz/HOST -a USER
  Windows  Credential Manager > Windows Credentials > Generic Credentials >
           "relaywiz/HOST:USER" > Remove (or find its target with 'cmdkey /list'
           and remove it with 'cmdkey /delete:TARGET')

Exit status: 0 deleted or not there; 64 bad input; 69 the keyring is unavailable.`,
		Example: `  relaywiz creds delete --smart-host smtp.zivver.com --user relay@example.com`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := key.fromProfile(a, cmd.Flags()); err != nil {
				return err
			}
			if err := key.validate(); err != nil {
				return err
			}
			err := a.store().Delete(cmd.Context(), key.host, key.user)
			switch {
			case err == nil:
				fmt.Fprintf(a.stdout, "Deleted the password for %s on %s from %s.\n", key.user, key.host, creds.Location(key.host, key.user))
				return nil
			case errors.Is(err, creds.ErrNotFound):
				fmt.Fprintf(a.stdout, "Nothing to delete: no password for %s on %s is stored.\n", key.user, key.host)
				return nil
			default:
				return keyringFailure(a, err)
			}
		},
	}
	key.addFlags(cmd)
	return cmd
}
