// Package files is the one place relaywiz writes the artifacts of package
// steps and the wizard profile to disk.
//
// Every write is atomic: the bytes go to a temporary file in the target
// directory, which is synced and then renamed over the target, so a reader
// (or a crash) sees the old file or the new one, never half of either. An
// artifact that already exists with different content is replaced only
// when the caller says so (--force); otherwise WriteArtifacts writes
// nothing and returns a *ConflictError with a diff of every change.
package files
