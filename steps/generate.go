package steps

import (
	"fmt"
	"strings"
)

// Artifact formats, as `relaywiz steps --format` names them.
const (
	FormatChecklist = "checklist"
	FormatApply     = "apply"
	FormatUndo      = "undo"
	FormatVerify    = "verify"
	FormatExport    = "export"
	FormatReg       = "reg"
)

// Formats lists the artifact formats in the order Generate returns them.
func Formats() []string {
	return []string{FormatChecklist, FormatApply, FormatUndo, FormatVerify, FormatExport, FormatReg}
}

// StateFileName is the file apply.ps1 writes next to itself to record
// what it created; undo.ps1 reads it.
const StateFileName = "relaywiz-state.json"

// Artifact is one generated file.
type Artifact struct {
	Name     string // file name: checklist.md, apply.ps1, undo.ps1, verify.ps1, export.ps1, pams.reg
	Format   string // checklist, apply, undo, verify, export or reg
	Content  []byte // the bytes for disk, in the encoding Windows expects (see encode.go)
	Text     string // the same content for display: UTF-8, LF line ends
	Encoding string // how Content is encoded, for people
}

type artifactSpec struct {
	format, file, template string
	encode                 func(string) []byte
	encoding               string
}

var artifactSpecs = []artifactSpec{
	{FormatChecklist, "checklist.md", "checklist.md.tmpl", func(s string) []byte { return []byte(s) }, EncodingMarkdown},
	{FormatApply, "apply.ps1", "apply.ps1.tmpl", encodePS1, EncodingPS1},
	{FormatUndo, "undo.ps1", "undo.ps1.tmpl", encodePS1, EncodingPS1},
	{FormatVerify, "verify.ps1", "verify.ps1.tmpl", encodePS1, EncodingPS1},
	{FormatExport, ExportScriptName, "export.ps1.tmpl", encodePS1, EncodingPS1},
	{FormatReg, "pams.reg", "pams.reg.tmpl", encodeReg, EncodingReg},
}

// Generate validates the inputs and renders every artifact of the
// scenario: checklist, apply, undo, verify and export always, the .reg file
// for the PAMS scenarios. The result depends on the inputs only, never on the
// clock or the machine, so it can be compared with golden files.
func Generate(in Inputs) ([]Artifact, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	p, err := newPlan(in)
	if err != nil {
		return nil, err
	}
	var out []Artifact
	for _, spec := range artifactSpecs {
		if spec.format == FormatReg && !p.S.EmitsReg {
			continue
		}
		if spec.format == FormatExport {
			a, err := ExportScript()
			if err != nil {
				return nil, err
			}
			out = append(out, a)
			continue
		}
		view := *p
		view.File = spec.file
		text, err := render(spec.template, &view)
		if err != nil {
			return nil, err
		}
		out = append(out, Artifact{
			Name: spec.file, Format: spec.format, Text: text,
			Content: spec.encode(text), Encoding: spec.encoding,
		})
	}
	return out, nil
}

// Find returns the artifact of one format from Generate's result.
func Find(arts []Artifact, format string) (Artifact, error) {
	for _, a := range arts {
		if a.Format == format {
			return a, nil
		}
	}
	for _, f := range Formats() {
		if f == format {
			return Artifact{}, fmt.Errorf("this scenario has no %s artifact (the .reg file exists for the PAMS scenarios only)", format)
		}
	}
	return Artifact{}, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats(), ", "))
}
