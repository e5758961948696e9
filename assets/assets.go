// Package assets embeds the text templates relaywiz renders, so a single
// binary carries everything and the generated files never depend on what
// is installed next to it.
//
// templates/steps/ holds the Exchange artifacts of package steps: one file
// per artifact (apply.ps1.tmpl, ...) and one per Exchange object kind
// (kind-*.tmpl) with the blocks each artifact needs for that kind.
package assets

import "embed"

// Templates is the embedded templates/ tree.
//
//go:embed templates
var Templates embed.FS
