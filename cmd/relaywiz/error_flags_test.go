package main

import (
	"context"
	"strings"
	"testing"
)

// Every bad-input error starts with "relaywiz: " and names the flag with
// its dashes; audit --export said "with-neighbours:", "message:",
// "export FILE:" and "scenario:" before.
func TestErrorsNameFlagsWithDashes(t *testing.T) {
	isolateProfile(t)
	export := exportFixture("onprem/pams-onprem")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--export", export, "--with-neighbours"}, "relaywiz: --with-neighbours: "},
		{[]string{"audit", "--export", export, "--message", "to="}, "relaywiz: --message: "},
		{[]string{"audit", "--export", export, "--scenario", "pams-online"}, "relaywiz: --scenario: pams-online is for"},
		{[]string{"audit", "--export", export, "--scenario", "nope"}, "relaywiz: --scenario"},
		{[]string{"audit", "--scenario", "pams-onprem", "--message", "to="}, "relaywiz: --message: "},
		{[]string{"headers", "--slow-hop", "0s", "-"}, "relaywiz: --slow-hop "},
		{[]string{"headers", "--profile", "/nonexistent/profile.json", "-"}, "relaywiz: --profile "},
		{[]string{"doctor", "--trigger", "pams"}, "relaywiz: --trigger "},
	} {
		a, _, errb := stepsTestApp()
		code := run(context.Background(), a, c.args)
		if code != exitUsage || !strings.HasPrefix(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 64 starting %q", c.args, code, errb.String(), c.want)
		}
	}
}
