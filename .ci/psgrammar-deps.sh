#!/usr/bin/env bash
# Installs the independent PowerShell grammar the steps tests parse every
# emitted script with (tree-sitter + tree-sitter-powershell, pinned in
# .ci/psgrammar/package-lock.json) when it is missing. Test tooling only:
# nothing here ships. Needs node and npm (installed with apt-get as root when
# missing) and a C++ compiler for tree-sitter's node binding.
set -euo pipefail
cd "$(dirname "$0")/psgrammar"

have() { command -v "$1" >/dev/null 2>&1; }
if ! have node || ! have npm; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "psgrammar-deps: node/npm missing; install them (apt-get install nodejs npm) or run as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nodejs npm g++ make python3 >/dev/null
fi

# Installed and loadable: nothing to do.
if node -e 'import("tree-sitter").then(()=>import("tree-sitter-powershell/bindings/node/index.js")).catch(()=>process.exit(1))' 2>/dev/null; then
	exit 0
fi
echo "psgrammar-deps: installing tree-sitter and tree-sitter-powershell (npm ci)" >&2
npm ci --no-audit --no-fund --loglevel=error
