#!/usr/bin/env bash
# Proves `make dist` is reproducible: builds the release twice, the second
# time from a copy of the sources at another path, under another umask and
# time zone, and compares every archive and SHA256SUMS byte for byte. Then
# checks the checksums with sha256sum -c, unpacks the Linux archive and runs
# `relaywiz --version`, which must name the version and commit.
#
# The second build shares the Go build cache (a cold cache costs minutes per
# platform on the CI machine); DIST_CHECK_FRESH_CACHE=1 gives it an empty one.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

work=$(mktemp -d /tmp/relaywiz-dist-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

COMMIT=$(git rev-parse --short=12 HEAD)
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
VERSION=${VERSION:-0.0.0-$COMMIT-check}
export COMMIT SOURCE_DATE_EPOCH VERSION

bash .ci/dist.sh "$work/a"

# The same sources (tracked and new files, as they are now) somewhere else.
mkdir -p "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - | tar -xf - -C "$work/src"
(
	cd "$work/src"
	umask 077
	export TZ=Pacific/Kiritimati
	if [ "${DIST_CHECK_FRESH_CACHE:-}" = 1 ]; then
		export GOCACHE=$work/gocache
	fi
	bash .ci/dist.sh "$work/b"
)

fail=0
for f in "$work"/a/*; do
	n=$(basename "$f")
	if ! cmp -s "$f" "$work/b/$n"; then
		echo "dist-check: $n differs between two builds of the same sources" >&2
		fail=1
	fi
done
[ "$(ls "$work/a")" = "$(ls "$work/b")" ] || { echo "dist-check: the two builds made different files" >&2; fail=1; }
for want in "relaywiz_${VERSION}_windows_amd64.zip" "relaywiz_${VERSION}_darwin_arm64.tar.gz" "relaywiz_${VERSION}_linux_amd64.tar.gz" SHA256SUMS; do
	[ -f "$work/a/$want" ] || { echo "dist-check: $want missing" >&2; fail=1; }
done
(cd "$work/a" && sha256sum -c --quiet SHA256SUMS) || fail=1

mkdir "$work/unpack"
tar -xzf "$work/a/relaywiz_${VERSION}_linux_amd64.tar.gz" -C "$work/unpack"
got=$("$work/unpack/relaywiz_${VERSION}_linux_amd64/relaywiz" --version)
case $got in
"relaywiz $VERSION (commit $COMMIT, go"*" linux/amd64)") ;;
*) echo "dist-check: --version of the packed binary says: $got" >&2; fail=1 ;;
esac
[ $fail -eq 0 ] || exit 1
echo "dist-check: two builds, same bytes; checksums verify; $got" >&2
