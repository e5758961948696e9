package troubleshoot

import (
	"errors"
	"fmt"
	"io/fs"

	"relaywiz/exchange"
	"relaywiz/files"
)

// ExportFileError is an export file that cannot be used: missing,
// unreadable, too large, cut off, or not export.ps1's JSON. The front ends
// map it to exit 64 (bad input) and show it as it is.
type ExportFileError struct {
	Path string
	Err  error
}

func (e *ExportFileError) Error() string { return fmt.Sprintf("export %s: %v", e.Path, e.Err) }
func (e *ExportFileError) Unwrap() error { return e.Err }

// ReadExport reads and parses the JSON file export.ps1 wrote, bounded by
// files.MaxExportBytes. `relaywiz audit --export`, `relaywiz doctor
// --export` and the wizard's Troubleshoot screen all read it here.
func ReadExport(path string) (*exchange.Export, error) {
	data, err := files.ReadLimited(path, files.MaxExportBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &ExportFileError{Path: path, Err: errors.New("no such file: give the path of the JSON file export.ps1 wrote (it prints it at the end)")}
	case err != nil:
		return nil, &ExportFileError{Path: path, Err: err}
	}
	ex, err := exchange.ParseExport(data)
	if err != nil {
		return nil, &ExportFileError{Path: path, Err: err}
	}
	return ex, nil
}
