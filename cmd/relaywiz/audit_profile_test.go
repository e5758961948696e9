package main

import (
	"context"
	"strings"
	"testing"

	"relaywiz/files"
	"relaywiz/steps"
)

// audit reads the saved profile like steps and says so on stderr; with
// --export alone it does not, and says that too, so the admin knows which
// answers were judged.
func TestAuditSaysWhichProfile(t *testing.T) {
	isolateProfile(t)
	path, err := files.DefaultProfilePath()
	if err != nil {
		t.Fatal(err)
	}
	if err := files.SaveProfile(path, files.Profile{Steps: steps.Defaults(steps.PAMSOnPrem)}); err != nil {
		t.Fatal(err)
	}
	runA := func(args ...string) (int, string, string) {
		a, out, errb := stepsTestApp()
		a.defaultProfile = files.DefaultProfilePath
		code := run(context.Background(), a, append([]string{"audit"}, args...))
		return code, out.String(), errb.String()
	}
	code, out, errs := runA("--json")
	if code != exitOK || !strings.Contains(errs, "relaywiz: using profile "+path) || !strings.Contains(out, "pams-onprem") {
		t.Errorf("plan audit from the saved profile: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runA("--export", exportFixture("onprem/pams-onprem"), "--json")
	if code != exitOK || !strings.Contains(errs, "relaywiz: not using the saved profile "+path) || strings.Contains(errs, "using profile") {
		t.Errorf("--export alone: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runA("--export", exportFixture("onprem/pams-onprem"), "--profile", path, "--json")
	if code != exitOK || !strings.Contains(errs, "relaywiz: using profile "+path) {
		t.Errorf("--export --profile: exit %d, stderr %q", code, errs)
	}
}
