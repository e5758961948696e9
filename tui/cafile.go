package tui

import (
	"errors"
	"fmt"
	"io/fs"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
)

// The extra CA file is checked when the smart-host form is submitted, not
// in the field's validator: validators stay pure syntax checks, and a file
// is I/O, so it is read in a Cmd and the answer comes back as a message.
// Without it a missing file was accepted and both ports failed later
// without naming the path.

type caFileCheckedMsg struct {
	path string
	err  error
}

func (caFileCheckedMsg) owner() StepID { return StepSmartHost }

// checkCAFileCmd reads path (bounded) and makes sure it holds at least one
// PEM certificate that parses.
func checkCAFileCmd(path string) tea.Cmd {
	return func() tea.Msg { return caFileCheckedMsg{path: path, err: checkCAFile(path)} }
}

func checkCAFile(path string) error {
	_, err := checks.ReadCAFile(path)
	var bad *checks.CAFileError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist: give the path of the PEM file (the .crt/.pem the provider sent)", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s cannot be read (permission denied)", path)
	case errors.As(err, &bad) && bad.Err != nil:
		return fmt.Errorf("%s: a certificate in it does not parse: %v", path, bad.Err)
	case errors.As(err, &bad):
		return fmt.Errorf("%s holds no PEM certificate (want -----BEGIN CERTIFICATE----- blocks)", path)
	}
	return fmt.Errorf("%s cannot be read: %v", path, err)
}
