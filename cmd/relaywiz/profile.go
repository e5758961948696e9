package main

// Every command starts from the wizard's saved answers: --profile FILE, or
// the saved profile when one exists. Flags given on the command line win.
// Which profile was used is said on stderr (stdout stays the command's own
// output, JSON included).

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"relaywiz/files"
)

func addProfileFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, flagProfile, "", "the wizard's saved answers to start from (default: the saved profile, when there is one); flags win")
}

// commandProfile loads the profile a command starts from. path is "" when
// there is none (no --profile and nothing saved yet, or no configuration
// directory). A --profile that cannot be read is bad input (exit 64), and
// so is a saved profile that cannot be read: silently ignoring it would
// run against other values than the admin saved.
func (a *app) commandProfile(explicit string) (files.Settings, files.Profile, string, error) {
	ps, prof, path, err := a.loadCommandProfile(explicit)
	if path != "" {
		a.announceProfile(path)
	}
	return ps, prof, path, err
}

// announceProfile says on stderr which profile the command starts from.
func (a *app) announceProfile(path string) {
	fmt.Fprintf(a.stderr, "relaywiz: using profile %s\n", path)
}

// loadCommandProfile is commandProfile without the announcement, for a
// command that may still decide not to use the profile (steps and audit
// with another --scenario than the saved one).
func (a *app) loadCommandProfile(explicit string) (files.Settings, files.Profile, string, error) {
	path := explicit
	if path == "" {
		if a.defaultProfile == nil {
			return files.Settings{}, files.Profile{}, "", nil
		}
		def, err := a.defaultProfile()
		if err != nil || def == "" {
			return files.Settings{}, files.Profile{}, "", nil
		}
		path = def
	}
	prof, err := files.LoadProfile(path)
	switch {
	case err == nil:
	case explicit == "" && errors.Is(err, fs.ErrNotExist):
		return files.Settings{}, files.Profile{}, "", nil
	case explicit != "":
		return files.Settings{}, files.Profile{}, "", usageErrorf("--profile %s: %v", path, err)
	default:
		return files.Settings{}, files.Profile{}, "", usageErrorf("the saved profile %s cannot be read: %v; fix or delete it, or pass --profile FILE", path, err)
	}
	return prof.Settings(), prof, path, nil
}

// savedProfile is the saved profile's path when one exists ("" when not):
// for a command that deliberately does not read it and says so.
func (a *app) savedProfile() string {
	if a.defaultProfile == nil {
		return ""
	}
	def, err := a.defaultProfile()
	if err != nil || def == "" {
		return ""
	}
	if _, err := os.Stat(def); err != nil {
		return ""
	}
	return def
}

// fromProfile sets *dst to v unless the flag was given or v is empty.
func fromProfile(f *pflag.FlagSet, flag string, dst *string, v string) {
	if !f.Changed(flag) && v != "" {
		*dst = v
	}
}
