#!/usr/bin/env bash
# Builds the release archives into DIR (default dist/):
#   relaywiz_<version>_windows_amd64.zip, relaywiz_<version>_darwin_arm64.tar.gz,
#   relaywiz_<version>_linux_amd64.tar.gz and SHA256SUMS.
# Reproducible: -trimpath, no build ID, no VCS stamp, CGO off, and archives
# packed by .ci/dist (fixed times = the commit time, owner 0, fixed modes
# and order), so two builds of one commit give the same bytes.
#
# VERSION, COMMIT and SOURCE_DATE_EPOCH default to what git says about HEAD
# (a v* tag, else 0.0.0-<commit>; "-dirty" for uncommitted changes).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=${1:-dist}

if [ -z "${COMMIT:-}" ]; then
	COMMIT=$(git rev-parse --short=12 HEAD)
fi
dirty=
if [ -z "${VERSION:-}" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	dirty=-dirty
fi
if [ -z "${VERSION:-}" ]; then
	if tag=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
		VERSION=${tag#v}$dirty
	else
		VERSION=0.0.0-$COMMIT$dirty
	fi
fi
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export VERSION COMMIT SOURCE_DATE_EPOCH

rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d /tmp/relaywiz-dist.XXXXXX)
trap 'rm -rf "$work"' EXIT

ldflags="-s -w -buildid= -X main.version=$VERSION -X main.commit=$COMMIT"
for target in windows/amd64 darwin/arm64 linux/amd64; do
	os=${target%/*} arch=${target#*/}
	name=relaywiz_${VERSION}_${os}_${arch}
	exe=relaywiz
	[ "$os" = windows ] && exe=relaywiz.exe
	mkdir -p "$work/$name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOFLAGS=-buildvcs=false \
		$GO build -trimpath -ldflags "$ldflags" -o "$work/$name/$exe" ./cmd/relaywiz
	format=tar.gz
	[ "$os" = windows ] && format=zip
	$GO run ./.ci/dist -out "$out" -name "$name" -format "$format" -mtime "$SOURCE_DATE_EPOCH" \
		"$work/$name/$exe" README.md
done
$GO run ./.ci/dist -out "$out" -sums
echo "dist: $(cd "$out" && ls | tr '\n' ' ')(version $VERSION, commit $COMMIT)" >&2
