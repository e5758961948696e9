package steps

// ExportScriptName is the file name of the read-only export script.
const ExportScriptName = "export.ps1"

// ExportVersion is the version of the JSON contract export.ps1 writes
// ("relaywizExport": 1). A reader refuses versions it does not know, so a
// change to the meaning of a field must raise it.
const ExportVersion = 1

// exportData is all export.ps1 needs: it reads the whole organisation,
// whatever the scenario, so no answer of the admin reaches it.
type exportData struct {
	Version int
}

// ExportScript renders export.ps1, the read-only script that writes the
// organisation's mail-routing objects to JSON for `relaywiz audit
// --export`. It is the same for every scenario, so support can ask for it
// before anyone knows which set-up the org has.
func ExportScript() (Artifact, error) {
	text, err := render("export.ps1.tmpl", exportData{Version: ExportVersion})
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{
		Name: ExportScriptName, Format: FormatExport, Text: text,
		Content: encodePS1(text), Encoding: EncodingPS1,
	}, nil
}
