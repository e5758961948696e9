package main

// One vocabulary for every command that talks to or configures a smart
// host: --smart-host HOST, --ports LIST (what to probe), --port N (the
// connector's port), --profile FILE. The names earlier versions used keep
// working for scripts: pflag's name normalisation reads them as the new
// ones, so there is exactly one flag (Changed, defaults and help agree) and
// the old name appears nowhere in the help.

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Old flag names and what they are now.
const (
	flagSmartHost = "smart-host"
	flagPorts     = "ports"
	flagPort      = "port"
	flagProfile   = "profile"
)

// useVocabulary makes cmd accept the old names in aliases (old → new).
func useVocabulary(cmd *cobra.Command, aliases map[string]string) {
	cmd.Flags().SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if to, ok := aliases[name]; ok {
			return pflag.NormalizedName(to)
		}
		return pflag.NormalizedName(name)
	})
}

// hostAlias is the alias every smart-host command shares.
var hostAlias = map[string]string{"host": flagSmartHost}
