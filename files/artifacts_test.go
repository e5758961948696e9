package files

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/steps"
)

func sampleArtifacts(t *testing.T, size int) []steps.Artifact {
	t.Helper()
	in := steps.Defaults(steps.PAMSOnPrem)
	in.MaxSizeMB = size
	arts, err := steps.Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	return arts
}

func states(res Result) map[string]FileState {
	out := map[string]FileState{}
	for _, f := range res.Files {
		out[f.Name] = f.State
	}
	return out
}

func TestWriteArtifactsFreshDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "pams") // created on the way
	arts := sampleArtifacts(t, 50)
	res, err := WriteArtifacts(dir, arts, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		got, err := os.ReadFile(filepath.Join(dir, a.Name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(a.Content) {
			t.Errorf("%s: bytes on disk differ from the artifact (encoding lost?)", a.Name)
		}
		if states(res)[a.Name] != StateCreated {
			t.Errorf("%s: state %s", a.Name, states(res)[a.Name])
		}
	}
	if len(listDir(t, dir)) != len(arts) {
		t.Errorf("directory holds %v", listDir(t, dir))
	}
}

func TestWriteArtifactsSameContentIsNotAConflict(t *testing.T) {
	dir := t.TempDir()
	arts := sampleArtifacts(t, 50)
	if _, err := WriteArtifacts(dir, arts, false); err != nil {
		t.Fatal(err)
	}
	res, err := WriteArtifacts(dir, arts, false)
	if err != nil {
		t.Fatalf("re-running with the same answers must succeed: %v", err)
	}
	for name, st := range states(res) {
		if st != StateUnchanged {
			t.Errorf("%s: %s", name, st)
		}
	}
}

func TestWriteArtifactsRefusesChangesWithoutForce(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteArtifacts(dir, sampleArtifacts(t, 50), false); err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for _, n := range listDir(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		before[n] = string(b)
	}
	// An extra new file in the set must not be written either.
	changed := sampleArtifacts(t, 40)
	changed = append(changed, steps.Artifact{Name: "extra.md", Content: []byte("x"), Text: "x"})

	res, err := WriteArtifacts(dir, changed, false)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("want *ConflictError, got %v", err)
	}
	if !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "apply.ps1") {
		t.Errorf("message should name the files and --force: %v", err)
	}
	// The size appears in checklist, apply and verify; not in undo or reg.
	names := map[string]bool{}
	for _, c := range ce.Changed {
		names[c.Name] = true
		if !strings.Contains(c.Diff, "-") || !strings.Contains(c.Diff, "+") {
			t.Errorf("%s: diff without old and new lines: %q", c.Name, c.Diff)
		}
	}
	for _, n := range []string{"apply.ps1", "verify.ps1", "checklist.md"} {
		if !names[n] {
			t.Errorf("%s should be reported as changed: %v", n, names)
		}
	}
	if names["pams.reg"] {
		t.Error("pams.reg did not change")
	}
	if states(res)["extra.md"] != StateCreated {
		t.Errorf("extra.md state %s", states(res)["extra.md"])
	}
	// Nothing was written.
	after := listDir(t, dir)
	if len(after) != len(before) {
		t.Fatalf("files appeared: %v", after)
	}
	for n, content := range before {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		if string(b) != content {
			t.Errorf("%s was changed without --force", n)
		}
	}
	// The diff talks about the size.
	for _, c := range ce.Changed {
		if c.Name == "apply.ps1" && (!strings.Contains(c.Diff, "'50MB'") || !strings.Contains(c.Diff, "'40MB'")) {
			t.Errorf("apply.ps1 diff does not show the size change:\n%s", c.Diff)
		}
	}
}

func TestWriteArtifactsForceReplaces(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteArtifacts(dir, sampleArtifacts(t, 50), false); err != nil {
		t.Fatal(err)
	}
	arts := sampleArtifacts(t, 40)
	res, err := WriteArtifacts(dir, arts, true)
	if err != nil {
		t.Fatal(err)
	}
	st := states(res)
	if st["apply.ps1"] != StateReplaced || st["pams.reg"] != StateUnchanged {
		t.Errorf("states %v", st)
	}
	for _, a := range arts {
		b, _ := os.ReadFile(filepath.Join(dir, a.Name))
		if string(b) != string(a.Content) {
			t.Errorf("%s not replaced", a.Name)
		}
	}
	if len(listDir(t, dir)) != len(arts) {
		t.Errorf("temporary files left: %v", listDir(t, dir))
	}
}

func TestWriteArtifactsRejectsPaths(t *testing.T) {
	_, err := WriteArtifacts(t.TempDir(), []steps.Artifact{{Name: "../escape.ps1"}}, true)
	if err == nil {
		t.Fatal("an artifact name with a path must be refused")
	}
}

func TestDiff(t *testing.T) {
	if Diff("same\n", "same\n") != "" {
		t.Error("equal texts have a diff")
	}
	old := "a\nb\nc\nd\ne\nf\ng\n"
	new := "a\nb\nc\nD\ne\nf\ng\nh\n"
	got := Diff(old, new)
	for _, line := range []string{"-d", "+D", "+h", " c", " e"} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("diff lacks %q:\n%s", line, got)
		}
	}
	if strings.Contains(got, " a\n") {
		t.Errorf("diff shows lines far from any change:\n%s", got)
	}
	if !strings.HasPrefix(got, "@@ line ") {
		t.Errorf("diff has no hunk header:\n%s", got)
	}
	if d := Diff("", "x\n"); d != "@@ line 1 @@\n+x\n" {
		t.Errorf("Diff from empty = %q", d)
	}
}
