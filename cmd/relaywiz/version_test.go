package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
)

// withVersion sets the -ldflags variables and the build info for one test.
func withVersion(t *testing.T, ver, rev string, info func() (*debug.BuildInfo, bool)) {
	t.Helper()
	oldV, oldC, oldB := version, commit, buildInfo
	version, commit, buildInfo = ver, rev, info
	t.Cleanup(func() { version, commit, buildInfo = oldV, oldC, oldB })
}

func runVersion(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a, out, errb := stepsTestApp()
	code := run(context.Background(), a, args)
	return code, out.String(), errb.String()
}

func TestVersionFlagPrintsVersionCommitAndGo(t *testing.T) {
	withVersion(t, "1.2.3", "0123abc", func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v9.9.9"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "ffffffffffffffff"}}}, true
	})
	code, out, errs := runVersion(t, "--version")
	// The -ldflags values win over what the toolchain recorded.
	want := "relaywiz 1.2.3 (commit 0123abc, go1.99.1 " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if code != exitOK || out != want || errs != "" {
		t.Fatalf("--version: exit %d, stdout %q, stderr %q; want 0, %q", code, out, errs, want)
	}
}

// `go run` / `go install` set no -ldflags: the module version and the VCS
// revision the toolchain stamped are used instead.
func TestVersionFallsBackToBuildInfo(t *testing.T) {
	withVersion(t, "", "", func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v1.4.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.modified", Value: "true"},
			}}, true
	})
	_, out, _ := runVersion(t, "--version")
	want := "relaywiz v1.4.0 (commit 0123456789ab-dirty, go1.99.1 " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if out != want {
		t.Fatalf("--version = %q, want %q", out, want)
	}
}

func TestVersionWithoutBuildInfo(t *testing.T) {
	withVersion(t, "", "", func() (*debug.BuildInfo, bool) { return nil, false })
	_, out, _ := runVersion(t, "--version")
	want := "relaywiz (devel) (commit unknown, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if out != want {
		t.Fatalf("--version = %q, want %q", out, want)
	}
}

// -v stays free: it means --verbose in check, never --version.
func TestVersionHasNoShorthand(t *testing.T) {
	code, out, _ := runVersion(t, "-v")
	if code != exitUsage || out != "" {
		t.Fatalf("relaywiz -v: exit %d, stdout %q; want 64 and nothing printed", code, out)
	}
}
