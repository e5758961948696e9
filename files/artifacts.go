package files

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"relaywiz/steps"
)

// FileState says what WriteArtifacts did (or would do) with one file.
type FileState string

const (
	StateCreated   FileState = "created"   // did not exist
	StateReplaced  FileState = "replaced"  // existed with other content, replaced (force)
	StateUnchanged FileState = "unchanged" // existed with the same bytes, not touched
	StateConflict  FileState = "differs"   // existed with other content, left alone (no force)
)

// FileChange is the outcome for one artifact.
type FileChange struct {
	Name  string
	Path  string
	State FileState
	// Diff shows how the existing file differs from the new one (only for
	// StateReplaced and StateConflict), as "-old"/"+new" lines.
	Diff string
}

// Result lists what happened to every artifact, in the order given.
type Result struct {
	Dir   string
	Files []FileChange
}

// ConflictError is returned when existing artifacts differ and force was
// not given. Nothing was written.
type ConflictError struct {
	Dir     string
	Changed []FileChange
}

func (e *ConflictError) Error() string {
	names := make([]string, len(e.Changed))
	for i, c := range e.Changed {
		names[i] = c.Name
	}
	return fmt.Sprintf("%d existing file(s) in %s would change (%s); nothing was written. Review the differences and run again with --force to replace them, or choose another --out directory",
		len(e.Changed), e.Dir, strings.Join(names, ", "))
}

// artifactPerm: scripts and checklist are for the admin's eyes and hands;
// nothing in them is secret.
const artifactPerm fs.FileMode = 0o644

// WriteArtifacts writes every artifact into dir (created if missing).
// Files whose bytes are already identical are left untouched. If any
// existing file differs and force is false, nothing at all is written (a
// half-updated set of apply/undo/verify scripts would disagree with each
// other) and the error is a *ConflictError; the Result then describes what
// would have changed, with diffs. The files are replaced as one set (see
// artifactset.go): all new or, on failure (*SetError), all old.
func WriteArtifacts(dir string, arts []steps.Artifact, force bool) (Result, error) {
	res := Result{Dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("create output directory %s: %w", dir, err)
	}
	return writeArtifacts(dir, arts, force, setOps{rename: os.Rename})
}

func writeArtifacts(dir string, arts []steps.Artifact, force bool, ops setOps) (Result, error) {
	res := Result{Dir: dir}
	names := make([]string, len(arts))
	for i, a := range arts {
		if a.Name == "" || a.Name != filepath.Base(a.Name) || strings.HasPrefix(a.Name, ".") {
			return res, fmt.Errorf("artifact name %q is not a plain file name", a.Name)
		}
		names[i] = a.Name
	}
	// A killed earlier run: back to its old set, temporary files gone.
	if err := recoverSet(dir, names); err != nil {
		return res, err
	}
	var conflicts []FileChange
	for _, a := range arts {
		path := filepath.Join(dir, a.Name)
		fc := FileChange{Name: a.Name, Path: path, State: StateCreated}
		old, err := ReadLimited(path, MaxArtifactBytes)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return res, fmt.Errorf("read existing %s: %w", path, err)
		case bytes.Equal(old, a.Content):
			fc.State = StateUnchanged
		default:
			fc.State = StateReplaced
			fc.Diff = Diff(steps.DecodeText(old), steps.DecodeText(a.Content))
			if !force {
				fc.State = StateConflict
				conflicts = append(conflicts, fc)
			}
		}
		res.Files = append(res.Files, fc)
	}
	if len(conflicts) > 0 {
		return res, &ConflictError{Dir: dir, Changed: conflicts}
	}
	var set []setEntry
	for i, fc := range res.Files {
		if fc.State == StateUnchanged {
			continue
		}
		set = append(set, setEntry{name: fc.Name, data: arts[i].Content, existed: fc.State == StateReplaced})
	}
	if err := writeSet(dir, set, ops); err != nil {
		return res, err
	}
	return res, nil
}
