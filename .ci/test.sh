#!/usr/bin/env bash
# Runs the whole Go test suite against real peers: the Postfix smart host from
# .ci/peers.sh and a real Secret Service (gnome-keyring inside a private
# D-Bus session). HOME points at a throwaway directory so the keyring and
# anything relaywiz writes never touch the real user's files; the Go caches
# keep pointing at the real ones so nothing is downloaded again.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
export GOCACHE=${GOCACHE:-$($GO env GOCACHE)}
export GOMODCACHE=${GOMODCACHE:-$($GO env GOMODCACHE)}
export GOPATH=${GOPATH:-$($GO env GOPATH)}

peers_dir=$(mktemp -d /tmp/relaywiz-peers.XXXXXX)
home=$(mktemp -d /tmp/relaywiz-home.XXXXXX)
cleanup() {
	bash .ci/peers.sh down "$peers_dir" || true
	rm -rf "$home"
}
trap cleanup EXIT

bash .ci/peers.sh up "$peers_dir"
set -a
# shellcheck disable=SC1091
. "$peers_dir/peers.env"
set +a

export HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share
export XDG_RUNTIME_DIR=$home/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# Inside the private bus: unlock a fresh login keyring (the password is read
# from stdin and only protects this throwaway keyring), then run the tests.
# Everything started here exits when dbus-run-session ends.
dbus-run-session -- bash -c '
	set -euo pipefail
	printf %s relaywiz-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	export RELAYWIZ_KEYRING=secret-service
	'"$GO"' test -race -count=1 -timeout 15m ${RELAYWIZ_TEST_PKGS:-./...} "$@"
' relaywiz-tests "$@"
