// Package steps turns a mail-routing scenario plus a few answers into the
// exact Exchange changes an administrator has to make: a checklist to click
// through, and apply, undo and verify scripts for the Exchange Management
// Shell or Exchange Online PowerShell (plus the Outlook plug-in's registry
// key for the Zivver PAMS scenarios).
//
// The package is pure: Inputs in, Artifacts out, from templates embedded in
// package assets. It does no I/O, so the wizard, the steps command and the
// tests all get the same bytes for the same answers. Writing the artifacts to
// disk is package files' job.
//
// Safety rules this package guarantees:
//   - Inputs are validated before anything is emitted; every error names
//     the field (FieldError) with the same name the CLI flag uses.
//   - Every value lands in PowerShell only as a single-quoted literal made
//     by PSQuote, never inside double quotes or as a bare word.
//   - Secrets never appear: apply.ps1 asks for them with Get-Credential.
package steps
