#!/usr/bin/env bash
# Runs the Go tests of every package, built for windows/amd64, under Wine:
#   GOOS=windows go test -c -o X.exe ./pkg   then   wine64 X.exe -test.v
# Expects wine-env.sh's prefix (WINEPREFIX) and, for the integration tests,
# the Postfix peer's RELAYWIZ_MTA_* variables (paths are handed to the
# Windows side as Z:\ paths).
#
# Packages come from `go list ./...`, so a new package is tested here the day
# it lands; the few left out are listed in $skip with the reason.
#
# Wine gaps are worked around narrowly, each documented in README's
# "Development → Windows under Wine": wine_workaround_test.go.in is added to
# every test binary through -overlay (and -checklinkname=0, which its
# go:linkname needs). Nothing else is filtered: any FAIL fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=.ci/windows
GO=${GO:-go}
# shellcheck source=wine-env.sh
. "$here/wine-env.sh"

declare -A skip=(
	# Both were tried under Wine (2026-12): their failures are Unix
	# assumptions of the tests, not Windows defects — XDG_CONFIG_HOME for the
	# profile path (TestDoctorUsesProfile), goldens with /tmp paths
	# (TestWizardEndToEndLab), "no such file" vs Windows' "File not found"
	# (TestTroubleshootReadsHeaders), a long C:\ path wrapped on screen
	# (TestExchangeWritesAllAndAsksBeforeReplacing), `go build` and tmux from
	# inside the test (TestBinaryWithoutTerminal). Until those tests are made
	# OS-neutral, the Windows binary is run black-box instead (testpeers/wine:
	# every command and the wizard's first screen in a Wine console).
	[relaywiz/cmd/relaywiz]="tests assume Unix paths and messages; relaywiz.exe is tested black-box (testpeers/wine)"
	[relaywiz/tui]="tests assume Unix paths, messages and a Unix tmux; first screen tested black-box in a Wine console"
	# Checks the Linux peers themselves.
	[relaywiz/testpeers]="checks the Linux peers, not relaywiz code"
	# The black-box tests drive relaywiz.exe from Linux (build tag winebox).
	[relaywiz/testpeers/wine]="the black-box driver itself runs on Linux"
)

out=${RELAYWIZ_WINE_OUT:?set RELAYWIZ_WINE_OUT to a scratch directory}
mkdir -p "$out/bin" "$out/overlay"

# Peer paths as the Windows process sees them.
for v in RELAYWIZ_MTA_CA RELAYWIZ_MTA_MAILDIR; do
	if [ -n "${!v:-}" ]; then
		export "$v=$(winpath "${!v}")"
	fi
done

pkgs=()
overlay='{"Replace":{'
sep=
while read -r path name dir; do
	[ -n "${skip[$path]:-}" ] && { echo "windows: not run under Wine: $path (${skip[$path]})" >&2; continue; }
	# Only packages with tests.
	ls "$dir"/*_test.go >/dev/null 2>&1 || continue
	pkgs+=("$path")
	sed "s/@PACKAGE@/$name/" "$here/wine_workaround_test.go.in" >"$out/overlay/${path//\//_}.go"
	overlay+="$sep\"$dir/zz_wine_workaround_test.go\":\"$out/overlay/${path//\//_}.go\""
	sep=,
done < <($GO list -f '{{.ImportPath}} {{.Name}} {{.Dir}}' ./...)
overlay+='}}'
printf '%s' "$overlay" >"$out/overlay.json"

start=$(date +%s)
echo "windows: building ${#pkgs[@]} test binaries for windows/amd64" >&2
for p in "${pkgs[@]}"; do
	GOOS=windows GOARCH=amd64 $GO test -c -overlay "$out/overlay.json" -ldflags=-checklinkname=0 \
		-o "$out/bin/${p//\//_}.test.exe" "$p"
done
echo "windows: built in $(($(date +%s) - start))s" >&2

failed=()
for p in "${pkgs[@]}"; do
	exe=$out/bin/${p//\//_}.test.exe
	dir=$($GO list -f '{{.Dir}}' "$p")
	log=$out/${p//\//_}.log
	t0=$(date +%s)
	# Wine gap: a Windows process cannot start a Unix program (CreateProcess
	# of swaks returns no process handle: "WaitForSingleObject: Invalid
	# handle"), and swaks has no Windows build here. Exactly the tests that
	# call RequireTool(t, "swaks") are left out, by name, and listed; they
	# run on Linux in .ci/test.sh, and the relay's server side runs under
	# Wine through the Go-client tests and blackbox.sh's `send`.
	unix_only=$(awk '/^func / { name = "" } /^func Test/ { name = $2; sub(/\(.*/, "", name) }
		/RequireTool\(t, "swaks"\)/ && name != "" { print name }' "$dir"/*_test.go | sort -u | paste -sd'|' -)
	args=(-test.v -test.count=1 -test.timeout=10m)
	if [ -n "$unix_only" ]; then
		args+=("-test.skip=^($unix_only)\$")
		echo "windows:   not under Wine (need swaks, a Unix program): ${unix_only//|/ }" >&2
	fi
	# The test binary runs in the package directory, as go test does (testdata).
	if (cd "$dir" && wine64 "$exe" "${args[@]}") >"$log" 2>&1; then
		echo "windows: ok   $p ($(($(date +%s) - t0))s, $(grep -c '^--- PASS' "$log") passed, $(grep -c '^--- SKIP' "$log") skipped)" >&2
	else
		echo "windows: FAIL $p ($(($(date +%s) - t0))s); log $log:" >&2
		grep -E -B1 -A8 '^\s*--- FAIL|^panic|^FAIL' "$log" | head -80 >&2 || tail -40 "$log" >&2
		failed+=("$p")
	fi
	# Skips are listed so nothing is silently not run on Windows.
	grep -E -B1 '^\s*--- SKIP' "$log" | grep -v -e '^--$' -e '^=== ' | sed 's/^/windows:   /' >&2 || true
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "windows: failing under Wine: ${failed[*]}" >&2
	exit 1
fi
