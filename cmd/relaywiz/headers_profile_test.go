package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/files"
	"relaywiz/steps"
)

// headers reads the profile's triggers like doctor: a message carrying the
// saved label that went out directly is "not secure" (3) with the profile,
// "cannot tell" (4) without one, and a flag wins over the profile.
func TestHeadersUsesProfileTriggers(t *testing.T) {
	isolateProfile(t)
	in := steps.Defaults(steps.RelayOnPrem)
	in.Triggers = []steps.Trigger{{Kind: steps.TriggerLabel, Value: "3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e"}}
	path, err := files.DefaultProfilePath()
	if err != nil {
		t.Fatal(err)
	}
	eml := filepath.Join(t.TempDir(), "direct-label.eml")
	msg := "Received: from EX01.corp.example.org (EX01.corp.example.org [203.0.113.10]) by mx1.recipient.example with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\n" +
		"msip_labels: MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Enabled=true; MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Name=Vertrouwelijk\n\n"
	if err := os.WriteFile(eml, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	runH := func(args ...string) (int, string) {
		a, _, errb := troubleTestApp(nil, nil)
		a.defaultProfile = files.DefaultProfilePath
		return run(context.Background(), a, append([]string{"headers"}, append(args, eml)...)), errb.String()
	}
	if code, errs := runH(); code != exitHeadersUnknown || strings.Contains(errs, "using profile") {
		t.Fatalf("no profile yet: exit %d, stderr %q", code, errs)
	}
	if err := files.SaveProfile(path, files.Profile{Steps: in}); err != nil {
		t.Fatal(err)
	}
	code, errs := runH()
	if code != exitHeadersNotSecure || !strings.Contains(errs, "relaywiz: using profile "+path) {
		t.Errorf("saved profile: exit %d, stderr %q", code, errs)
	}
	if code, _ := runH("--profile", path); code != exitHeadersNotSecure {
		t.Errorf("--profile: exit %d", code)
	}
	// --trigger-label given on the command line replaces the profile's.
	if code, _ := runH("--trigger-label", "0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10"); code != exitHeadersUnknown {
		t.Errorf("--trigger-label over the profile's label: exit %d", code)
	}
	if code, errs := runH("--profile", filepath.Join(t.TempDir(), "none.json")); code != exitUsage || !strings.HasPrefix(errs, "relaywiz: --profile") {
		t.Errorf("missing --profile: exit %d, stderr %q", code, errs)
	}
}
