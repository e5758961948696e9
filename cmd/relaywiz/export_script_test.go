package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/steps"
)

func TestStepsFormatExportNeedsNoScenario(t *testing.T) {
	art, err := steps.ExportScript()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errb := runStepsCLI(t, "--format", "export")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if out != art.Text {
		t.Error("steps --format export does not print export.ps1")
	}
	// With a scenario it is the same script.
	code, out2, errb := runStepsCLI(t, "--scenario", "pams-onprem", "--format", "export")
	if code != exitOK || out2 != out {
		t.Fatalf("exit %d, same=%v: %s", code, out2 == out, errb)
	}
}

func TestExportScriptCommandWritesWindowsFile(t *testing.T) {
	a, out, errb := stepsTestApp()
	if code := run(context.Background(), a, []string{"export-script"}); code != exitOK || !strings.HasPrefix(out.String(), "<#\n    export.ps1") {
		t.Fatalf("exit %d, stdout %.40q: %s", code, out.String(), errb)
	}
	path := filepath.Join(t.TempDir(), "export.ps1")
	a, _, errb = stepsTestApp()
	if code := run(context.Background(), a, []string{"export-script", "--out", path}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF<#\r\n")) {
		t.Errorf("export.ps1 is not UTF-8 with BOM and CRLF: %.20q", b)
	}
	if !strings.Contains(errb.String(), path) {
		t.Errorf("stderr does not say where it wrote: %s", errb)
	}
}

// A file that cannot be written: exit 1, the flag named, the path once
// (files.WriteAtomic already says "write PATH").
func TestExportScriptCommandUnwritableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "export.ps1")
	a, _, errb := stepsTestApp()
	if code := run(context.Background(), a, []string{"export-script", "--out", path}); code != exitFailure {
		t.Fatalf("exit %d, want 1: %s", code, errb)
	}
	if msg := errb.String(); !strings.HasPrefix(msg, "relaywiz: --out: ") || strings.Count(msg, path) != 1 {
		t.Errorf("stderr %q: want the flag and the path once", msg)
	}
}
