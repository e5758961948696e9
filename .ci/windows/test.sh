#!/usr/bin/env bash
# make test-windows (part of make test): the Windows build, run under Wine.
#
#  1. installs wine64 and gcc-mingw-w64-x86-64 when missing (root, apt-get)
#  2. builds the ProcessPrng shim and a throwaway Wine prefix under a temp dir
#     (never the user's ~/.wine; WINEDEBUG=-all; wineboot -i once)
#  3. starts a private Postfix smart host (.ci/peers.sh) for the integration tests
#  4. runs every package's Go tests built for windows/amd64 under wine64 (go-tests.sh)
#  5. runs relaywiz.exe black-box (testpeers/wine, build tag winebox)
#
# Each part's duration is printed; a failure anywhere fails the run. Under
# CI=true a missing piece (peer, tool, environment) fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
export GOCACHE=${GOCACHE:-$($GO env GOCACHE)}
export GOMODCACHE=${GOMODCACHE:-$($GO env GOMODCACHE)}
export GOPATH=${GOPATH:-$($GO env GOPATH)}
# shellcheck source=wine-env.sh
. .ci/windows/wine-env.sh

t0=$(date +%s)
lap() { echo "windows: $1 took $(($(date +%s) - $2))s" >&2; }

wine_deps
bash .ci/install-deps.sh

work=$(mktemp -d /tmp/relaywiz-windows.XXXXXX)
# Its own directory directly under /tmp: Postfix (another user) must reach it.
peers=$(mktemp -d /tmp/relaywiz-windows-peers.XXXXXX)
cleanup() {
	wine_down
	bash .ci/peers.sh down "$peers" >/dev/null 2>&1 </dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

t=$(date +%s)
wine_up "$work/wine"
lap "Wine prefix + shim" "$t"

# The peers' daemons must not hold our stdout open.
bash .ci/peers.sh up "$peers" </dev/null >"$work/peers.log" 2>&1 || { cat "$work/peers.log" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$peers/peers.env"
set +a

t=$(date +%s)
RELAYWIZ_WINE_OUT=$work/gotests bash .ci/windows/go-tests.sh
lap "Go tests under Wine" "$t"

t=$(date +%s)
mkdir -p "$work/bin"
GOOS=windows GOARCH=amd64 $GO build -o "$work/bin/relaywiz.exe" ./cmd/relaywiz
$GO build -o "$work/bin/relaywiz" ./cmd/relaywiz
RELAYWIZ_WINE_EXE=$work/bin/relaywiz.exe RELAYWIZ_LINUX_EXE=$work/bin/relaywiz \
	$GO test -tags winebox -count=1 -v ./testpeers/wine/ 2>&1 | tee "$work/blackbox.log" |
	grep -E '^(=== RUN|--- |    blackbox|ok|FAIL|PASS)' >&2
status=${PIPESTATUS[0]}
lap "relaywiz.exe black-box" "$t"
[ "$status" -eq 0 ] || { echo "windows: black-box run failed; log:" >&2; cat "$work/blackbox.log" >&2; exit 1; }
echo "windows: all Windows checks passed in $(($(date +%s) - t0))s" >&2
