# shellcheck shell=bash
# Sourced by the Windows test scripts: Wine and the mingw compiler when
# missing, the ProcessPrng shim, and a throwaway Wine prefix.
#
#   wine_deps            install wine64 and gcc-mingw-w64-x86-64 (root, apt-get) when missing
#   wine_up DIR          build the shim and create a fresh prefix in DIR/prefix;
#                        exports WINEPREFIX, WINEDEBUG, WINEDLLOVERRIDES, PATH
#   wine_down            stop this prefix's wineserver
#   winpath UNIXPATH     the path as a Windows program sees it (Z:\...)
#
# Never the user's prefix: WINEPREFIX always points under DIR, a temporary
# directory the caller removes.

# Debian's wine64 package installs its loader outside PATH.
export PATH=$PATH:/usr/lib/wine

wine_deps() {
	local need=()
	command -v wine64 >/dev/null 2>&1 || need+=(wine64)
	command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
	[ ${#need[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "windows: missing ${need[*]}; run as root or install them with apt-get" >&2
		return 1
	fi
	echo "windows: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

wine_up() {
	local dir=$1 here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	mkdir -p "$dir/shim" "$dir/prefix"
	# Wine 8.0 has no bcryptprimitives.dll; Go >= 1.24 needs its ProcessPrng.
	x86_64-w64-mingw32-gcc -O2 -shared -Wl,--kill-at -o "$dir/shim/bcryptprimitives.dll" \
		"$here/processprng.c" -ladvapi32
	export WINEPREFIX=$dir/prefix WINEDEBUG=-all WINEARCH=win64
	# No Mono/Gecko installer dialogs in the throwaway prefix.
	export WINEDLLOVERRIDES="mscoree,mshtml="
	wine64 wineboot -i >/dev/null 2>&1
	wineserver -w
	cp "$dir/shim/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
}

wine_down() {
	[ -n "${WINEPREFIX:-}" ] && wineserver -k >/dev/null 2>&1 || true
}

winpath() {
	printf 'Z:%s' "$(printf %s "$1" | tr / '\\')"
}
