package files

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Writing the artifacts as one set. apply/undo/verify scripts and the
// checklist are made for each other: a mix of old and new ones would undo
// something the apply never did. So the set is replaced in two phases:
//
//  1. every new file is written and synced next to its target as
//     ".NAME.new-RUN"; a failure here removes them and leaves the old set;
//  2. a journal (".relaywiz-set.journal") names the run and the files,
//     then each old file is moved aside to ".NAME.old-RUN" and the new one
//     renamed into place. A failure rolls every file back to the old
//     version; success removes the backups, then the journal.
//
// A run that was killed (kill -9, power cut) leaves the journal behind;
// the next WriteArtifacts on that directory first rolls the interrupted
// set back to the old files and removes every leftover temporary file, so
// a directory never stays mixed.

const setJournal = ".relaywiz-set.journal"

// SetError says the new set could not be put in place; Restored tells
// whether the old set is intact (it is unless even the rollback failed).
type SetError struct {
	Dir      string
	File     string // the file whose step failed
	Err      error
	Restored bool
}

func (e *SetError) Error() string {
	state := "the previous files are all unchanged"
	if !e.Restored {
		state = "restoring the previous files failed as well; run the command again to repair the directory"
	}
	return fmt.Sprintf("writing %s failed: %v; nothing of the new set was kept, %s", filepath.Join(e.Dir, e.File), e.Err, state)
}

func (e *SetError) Unwrap() error { return e.Err }

type setEntry struct {
	name    string
	data    []byte
	existed bool
}

// setOps are the file operations of a set write, replaceable in tests to
// inject failures and crashes.
type setOps struct {
	rename func(oldpath, newpath string) error
	// crash, when set, is asked before each rename; true stops the write
	// right there, as a kill would (no rollback, no cleanup).
	crash func(step int) bool
}

var errCrashed = errors.New("simulated crash")

func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newPath(dir, name, run string) string { return filepath.Join(dir, "."+name+".new-"+run) }
func oldPath(dir, name, run string) string { return filepath.Join(dir, "."+name+".old-"+run) }

// writeSet replaces the files of entries in dir as one set.
func writeSet(dir string, entries []setEntry, ops setOps) error {
	if len(entries) == 0 {
		return nil
	}
	run := runID()
	// Phase 1: all new contents on disk, none visible yet.
	for i, e := range entries {
		if err := writeAtomic(newPath(dir, e.name, run), e.data, artifactPerm, os.Rename); err != nil {
			for _, w := range entries[:i] {
				_ = os.Remove(newPath(dir, w.name, run))
			}
			return &SetError{Dir: dir, File: e.name, Err: err, Restored: true}
		}
	}
	// Phase 2: the journal first, then the renames.
	var j strings.Builder
	fmt.Fprintf(&j, "relaywiz artifact set %s\n", run)
	for _, e := range entries {
		state := "new"
		if e.existed {
			state = "existed"
		}
		fmt.Fprintf(&j, "%s %s\n", state, e.name)
	}
	journal := filepath.Join(dir, setJournal)
	if err := WriteAtomic(journal, []byte(j.String()), 0o644); err != nil {
		for _, e := range entries {
			_ = os.Remove(newPath(dir, e.name, run))
		}
		return &SetError{Dir: dir, File: setJournal, Err: err, Restored: true}
	}
	step := 0
	for i, e := range entries {
		target := filepath.Join(dir, e.name)
		var err error
		if e.existed {
			if ops.crash != nil && ops.crash(step) {
				return errCrashed
			}
			step++
			err = ops.rename(target, oldPath(dir, e.name, run))
		}
		if err == nil {
			if ops.crash != nil && ops.crash(step) {
				return errCrashed
			}
			step++
			err = ops.rename(newPath(dir, e.name, run), target)
		}
		if err != nil {
			rbErr := rollbackSet(dir, run, entries[:i+1])
			cleanTemps(dir, run, entries)
			if rbErr == nil {
				_ = os.Remove(journal)
			}
			return &SetError{Dir: dir, File: e.name, Err: err, Restored: rbErr == nil}
		}
	}
	for _, e := range entries {
		_ = os.Remove(oldPath(dir, e.name, run))
	}
	syncDir(dir)
	_ = os.Remove(journal)
	return nil
}

// rollbackSet puts the old version of each entry back: the backup if it
// was moved aside, no file if there was none before.
func rollbackSet(dir, run string, entries []setEntry) error {
	var first error
	for _, e := range entries {
		target := filepath.Join(dir, e.name)
		if e.existed {
			if _, err := os.Lstat(oldPath(dir, e.name, run)); err == nil {
				if err := os.Rename(oldPath(dir, e.name, run), target); err != nil && first == nil {
					first = err
				}
			}
			continue
		}
		// A file that did not exist before: it is new if its temporary
		// copy is gone (renamed into place).
		if _, err := os.Lstat(newPath(dir, e.name, run)); errors.Is(err, fs.ErrNotExist) {
			if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
				first = err
			}
		}
	}
	syncDir(dir)
	return first
}

// cleanTemps removes the run's temporary files.
func cleanTemps(dir, run string, entries []setEntry) {
	for _, e := range entries {
		_ = os.Remove(newPath(dir, e.name, run))
		_ = os.Remove(oldPath(dir, e.name, run))
	}
}

// recoverSet finishes what a killed run left: it rolls an interrupted set
// back to the old files (named by the journal) and removes leftover
// temporary files of the given artifact names (also WriteAtomic's).
func recoverSet(dir string, names []string) error {
	journal := filepath.Join(dir, setJournal)
	data, err := ReadLimited(journal, 1<<20)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read the journal of an interrupted run, %s: %w", journal, err)
	default:
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		run, ok := strings.CutPrefix(lines[0], "relaywiz artifact set ")
		if !ok || strings.ContainsAny(run, `/\`) {
			return fmt.Errorf("%s is not a relaywiz journal; remove it if you know what it is", journal)
		}
		var entries []setEntry
		for _, l := range lines[1:] {
			state, name, ok := strings.Cut(l, " ")
			if !ok || name != filepath.Base(name) || name == "." || name == ".." {
				return fmt.Errorf("%s is damaged (line %q); remove it and check the files in %s", journal, l, dir)
			}
			entries = append(entries, setEntry{name: name, existed: state == "existed"})
		}
		if err := rollbackSet(dir, run, entries); err != nil {
			return fmt.Errorf("an earlier run was interrupted and its files could not be put back: %w", err)
		}
		cleanTemps(dir, run, entries)
		_ = os.Remove(journal)
	}
	for _, n := range names {
		for _, pattern := range []string{"." + n + ".new-*", "." + n + ".old-*", "." + n + ".tmp-*"} {
			matches, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, m := range matches {
				_ = os.Remove(m)
			}
		}
	}
	return nil
}
