package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version and commit are set at build time by `make dist` / `make build`:
//
//	go build -ldflags "-X main.version=1.2.0 -X main.commit=0123abc" ./cmd/relaywiz
//
// Left empty (`go run`, `go build` without the flags), versionInfo falls back
// to what the Go toolchain recorded in the binary (module version, VCS
// revision), so even a hand-built binary says where it came from.
var (
	version string
	commit  string
)

// buildInfo is debug.ReadBuildInfo, replaceable in tests.
var buildInfo = debug.ReadBuildInfo

// versionInfo returns the version, the commit and the Go version that built
// this binary.
func versionInfo() (ver, rev, goVersion string) {
	ver, rev, goVersion = version, commit, runtime.Version()
	if bi, ok := buildInfo(); ok {
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		if ver == "" && bi.Main.Version != "" {
			ver = bi.Main.Version
		}
		if rev == "" {
			var modified bool
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					modified = s.Value == "true"
				}
			}
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if rev != "" && modified {
				rev += "-dirty"
			}
		}
	}
	if ver == "" {
		ver = "(devel)"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, goVersion
}

// versionLine is what `relaywiz --version` prints, one line for support tickets.
func versionLine() string {
	ver, rev, goVersion := versionInfo()
	return fmt.Sprintf("relaywiz %s (commit %s, %s %s/%s)", strings.TrimSpace(ver), rev, goVersion, runtime.GOOS, runtime.GOARCH)
}
