package main

import (
	"errors"
	"fmt"
	"relaywiz/files"
)

// Exit statuses. Where they overlap with swaks they mean the same thing, so
// scripts written around swaks keep working; the stage codes themselves
// come from checks.Stage.ExitCode.
const (
	exitOK          = 0
	exitFailure     = 1  // a generic failure (e.g. a file could not be written)
	exitUsage       = 64 // bad flags or arguments (EX_USAGE)
	exitUnavailable = 69 // a required service (e.g. the OS keyring) is unavailable (EX_UNAVAILABLE)
	exitInterrupted = 130
)

// exitError carries an exit status through cobra's error return. msg may be
// empty when the command already printed everything the user needs.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExit attaches an exit status to err (nil err: a silent exit).
func withExit(code int, err error) error { return &exitError{code: code, err: err} }

// usageErrorf reports bad input: exit 64 and a message naming the field.
func usageErrorf(format string, args ...any) error {
	return withExit(exitUsage, fmt.Errorf(format, args...))
}

// exitCodeOf maps an error returned by a command to the process exit status.
func exitCodeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, files.ErrTooLarge) {
		return exitUsage // the user pointed relaywiz at the wrong file
	}
	return exitFailure
}
