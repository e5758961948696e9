package files

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/steps"
)

func testSet(version string) []steps.Artifact {
	return []steps.Artifact{
		{Name: "apply.ps1", Content: []byte("apply " + version + "\n")},
		{Name: "undo.ps1", Content: []byte("undo " + version + "\n")},
		{Name: "verify.ps1", Content: []byte("verify " + version + "\n")},
		{Name: "checklist.md", Content: []byte("checklist " + version + "\n")},
	}
}

// assertSet checks that dir holds exactly the files of set (nothing
// hidden left over) with its contents; skip names files that must not be
// there.
func assertSet(t *testing.T, dir string, set []steps.Artifact, skip ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := 0
	for _, a := range set {
		if contains(skip, a.Name) {
			if _, err := os.Stat(filepath.Join(dir, a.Name)); err == nil {
				t.Errorf("%s exists but must not", a.Name)
			}
			continue
		}
		want++
		got, err := os.ReadFile(filepath.Join(dir, a.Name))
		if err != nil || string(got) != string(a.Content) {
			t.Errorf("%s = %q (%v), want %q", a.Name, got, err, a.Content)
		}
	}
	if len(names) != want {
		t.Errorf("directory holds %v, want only the %d files of the set", names, want)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// One file that cannot be replaced must not leave a mix: every old file
// stays, no temporary file is left, and the error names the file.
func TestWriteArtifactsFailureKeepsTheOldSet(t *testing.T) {
	dir := t.TempDir()
	old := testSet("old")
	if _, err := WriteArtifacts(dir, old[:3], false); err != nil {
		t.Fatal(err)
	}
	renames := 0
	failing := func(from, to string) error {
		if strings.HasSuffix(to, string(filepath.Separator)+"verify.ps1") {
			return errors.New("permission denied (injected)")
		}
		renames++
		return os.Rename(from, to)
	}
	_, err := writeArtifacts(dir, testSet("new"), true, setOps{rename: failing})
	var se *SetError
	if !errors.As(err, &se) || se.File != "verify.ps1" || !se.Restored || !strings.Contains(err.Error(), "previous files are all unchanged") {
		t.Fatalf("got %v, want a SetError for verify.ps1 with the old set restored", err)
	}
	if renames < 3 {
		t.Fatalf("the failure came too early to prove anything (%d renames)", renames)
	}
	assertSet(t, dir, old, "checklist.md") // checklist.md was new: not there
}

// A run killed in the middle of the renames leaves a journal; the next run
// puts the old set back, removes the leftovers, then writes its own set.
func TestWriteArtifactsRecoversFromAKilledRun(t *testing.T) {
	for crashAt := 0; crashAt < 7; crashAt++ {
		dir := t.TempDir()
		old := testSet("old")
		if _, err := WriteArtifacts(dir, old[:3], false); err != nil {
			t.Fatal(err)
		}
		_, err := writeArtifacts(dir, testSet("new"), true, setOps{rename: os.Rename, crash: func(step int) bool { return step == crashAt }})
		if !errors.Is(err, errCrashed) {
			t.Fatalf("crash at %d: %v", crashAt, err)
		}
		// What a kill -9 leaves (also a stray WriteAtomic temp file).
		os.WriteFile(filepath.Join(dir, ".undo.ps1.tmp-123"), []byte("x"), 0o644)
		if err := recoverSet(dir, []string{"apply.ps1", "undo.ps1", "verify.ps1", "checklist.md"}); err != nil {
			t.Fatalf("crash at %d: recover: %v", crashAt, err)
		}
		assertSet(t, dir, old, "checklist.md")

		// And a real next run ends with the complete new set.
		if _, err := WriteArtifacts(dir, testSet("newer"), true); err != nil {
			t.Fatal(err)
		}
		assertSet(t, dir, testSet("newer"))
	}
}
