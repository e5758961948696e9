#!/usr/bin/env bash
# Installs the real peers the integration tests talk to, when missing:
# Postfix (smart host), Dovecot (SASL for Postfix), swaks (a real SMTP client),
# gnome-keyring + dbus + libsecret-tools (a real Secret Service), tmux (drives
# the wizard as a person would), openssl (test CA). Debian/Ubuntu only.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have postfix               || need+=(postfix)
have doveadm               || need+=(dovecot-core)
have swaks                 || need+=(swaks)
# swaks needs these for STARTTLS; --no-install-recommends would skip them.
perl -MNet::SSLeay -e1 2>/dev/null || need+=(libnet-ssleay-perl)
perl -MIO::Socket::SSL -e1 2>/dev/null || need+=(libio-socket-ssl-perl)
have gnome-keyring-daemon  || need+=(gnome-keyring)
have dbus-run-session      || need+=(dbus)
have secret-tool           || need+=(libsecret-tools)
have tmux                  || need+=(tmux)
have openssl               || need+=(openssl)
have pgrep                 || need+=(procps)

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing ${need[*]}; run 'make test' as root or install them with apt-get" >&2
	exit 1
fi
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# "No configuration": we write our own main.cf; nothing listens until .ci/peers.sh starts it.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
