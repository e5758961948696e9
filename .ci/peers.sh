#!/usr/bin/env bash
# Starts and stops the real smart host the integration tests talk to:
# Postfix on a free loopback address (127.0.0.2 unless taken; port 25: STARTTLS
# offered, AUTH only after TLS;
# port 587: TLS required) with Dovecot as the SASL server, a certificate from
# a throwaway test CA, and local Maildir delivery for *@sink.relaywiz.test.
#
#   .ci/peers.sh up   [DIR]   start (idempotent) and write DIR/peers.env
#   .ci/peers.sh down [DIR]   stop and remove DIR
#
# Everything lives under DIR (default /tmp/relaywiz-peers): a private Postfix
# instance (postfix -c), its queue, Dovecot's sockets, logs and mail. It never
# touches /etc/postfix or a system Postfix. Needs root (Postfix's queue
# ownership) and the packages from .ci/install-deps.sh.
set -euo pipefail

cmd=${1:-up}
DIR=${2:-${RELAYWIZ_PEERS_DIR:-/tmp/relaywiz-peers}}
HOST=${RELAYWIZ_PEERS_HOST:-}
NAME=smtp.relaywiz.test
SINK=sink.relaywiz.test
USER_NAME=relaytest@relaywiz.test

conf=$DIR/postfix-conf

down() {
	if [ -f "$conf/main.cf" ]; then
		postfix -c "$conf" stop >/dev/null 2>&1 || true
	fi
	if [ -f "$DIR/dovecot/dovecot.conf" ]; then
		doveadm -c "$DIR/dovecot/dovecot.conf" stop >/dev/null 2>&1 ||
			pkill -f "dovecot -c $DIR/dovecot/dovecot.conf" >/dev/null 2>&1 || true
	fi
}

if [ "$cmd" = down ]; then
	down
	rm -rf "$DIR"
	exit 0
fi
[ "$cmd" = up ] || { echo "usage: $0 up|down [DIR]" >&2; exit 64; }
[ "$(id -u)" -eq 0 ] || { echo "peers: must run as root (Postfix needs to own its queue)" >&2; exit 1; }

# A clean start every time: stale state from an earlier run must not leak in.
down

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# Pick a loopback address whose 25 and 587 are free, so a second instance
# (a developer's long-running one, a parallel run) never answers in our place.
if [ -z "$HOST" ]; then
	for n in $(seq 2 40); do
		if ! listening "127.0.0.$n" 25 && ! listening "127.0.0.$n" 587; then
			HOST=127.0.0.$n
			break
		fi
	done
	[ -n "$HOST" ] || { echo "peers: no free 127.0.0.x address for ports 25/587" >&2; exit 1; }
elif listening "$HOST" 25 || listening "$HOST" 587; then
	echo "peers: $HOST:25 or :587 is already in use (another instance? '.ci/peers.sh down DIR')" >&2
	exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR"/{tls,postfix-conf,queue,data,maildir,dovecot/run,dovecot/state}
chmod 755 "$DIR"

# --- Test CA and a certificate for the smart host name and its IP ---------
(
	cd "$DIR/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=relaywiz test CA" \
		-keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$NAME" -keyout server.key -out server.csr 2>/dev/null
	printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\n' "$NAME" "$HOST" >ext.cnf
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
		-extfile ext.cnf -out server.pem 2>/dev/null
	chmod 644 ca.pem server.pem
	chmod 600 server.key ca.key
)

# --- Dovecot: SASL only --------------------------------------------------
PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
printf '%s:{PLAIN}%s\n' "$USER_NAME" "$PASSWORD" >"$DIR/dovecot/users"
chmod 640 "$DIR/dovecot/users"
chgrp dovecot "$DIR/dovecot/users" 2>/dev/null || true
cat >"$DIR/dovecot/dovecot.conf" <<CONF
protocols =
base_dir = $DIR/dovecot/run
state_dir = $DIR/dovecot/state
log_path = $DIR/dovecot.log
ssl = no
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/dovecot/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup
}
service auth {
  unix_listener $DIR/auth {
    mode = 0666
  }
}
CONF
dovecot -c "$DIR/dovecot/dovecot.conf"

# --- Postfix: a private instance ----------------------------------------
# master.cf of its own, never a copy of the system's /etc/postfix/master.cf:
# a copy carries the machine's own address-bound services (127.0.0.2:smtp,
# a submissions port, content filters), which this instance would then bind a
# second time and answer live connections on. Only the daemons Postfix needs
# internally, unchrooted (no copies of /etc files needed), plus the two
# listeners on $HOST and the sink delivery below.
cat >"$conf/master.cf" <<MASTER
# service type  private unpriv  chroot  wakeup  maxproc command + args
$HOST:smtp inet n - n - - smtpd
$HOST:submission inet n - n - - smtpd -o smtpd_tls_security_level=encrypt
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
sink       unix  -       n       n       -       -       pipe flags=q user=nobody argv=$DIR/deliver.sh $DIR/maildir \${user}
MASTER
cat >"$conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $DIR/queue
data_directory = $DIR/data
myhostname = $NAME
mydomain = relaywiz.test
myorigin = relaywiz.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
maillog_file_prefixes = /var, /tmp, /dev/stdout
maillog_file = $DIR/postfix.log
message_size_limit = 52428800
mailbox_size_limit = 0
virtual_mailbox_limit = 0
smtpd_banner = \$myhostname ESMTP relaywiz test smart host
# Only the sink domain is delivered (one Maildir per local part, through a
# pipe: virtual(8) refuses $1 substitution); nothing ever leaves the machine.
relay_domains = $SINK
transport_maps = texthash:$conf/transport
default_transport = error:relaywiz test MTA delivers only to $SINK
relay_transport = error:relaywiz test MTA delivers only to $SINK
# Like a provider's smart host: authenticated senders only, AUTH only after TLS.
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DIR/auth
smtpd_sasl_auth_enable = yes
smtpd_tls_auth_only = yes
smtpd_tls_security_level = may
smtpd_tls_cert_file = $DIR/tls/server.pem
smtpd_tls_key_file = $DIR/tls/server.key
smtpd_tls_received_header = yes
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
CONF
printf '%s sink:\n' "$SINK" >"$conf/transport"
cat >"$DIR/deliver.sh" <<'SH'
#!/bin/sh
# Postfix pipe(8) delivery: stdin is the message, $1 the base dir, $2 the local part.
set -e
umask 022
d="$1/$2/new"
mkdir -p "$1/$2/tmp" "$d"
f="$(date +%s.%N).$$.eml"
cat >"$1/$2/tmp/$f"
mv "$1/$2/tmp/$f" "$d/$f"
SH
chmod 755 "$DIR/deliver.sh"
chown 65534:65534 "$DIR/maildir"
chmod 755 "$DIR/maildir"

# The listeners in master.cf name $HOST (inet_interfaces cannot: only
# 127.0.0.1 is configured on lo); chroot is off so smtpd reaches Dovecot's socket.

postfix -c "$conf" set-permissions >/dev/null 2>&1 || true
postfix -c "$conf" check
postfix -c "$conf" start >/dev/null 2>&1 || { cat "$DIR/postfix.log" >&2 || true; exit 1; }

# Wait (bounded) until both ports greet.
for _ in $(seq 1 50); do
	if listening "$HOST" 25 && listening "$HOST" 587; then
		ready=1; break
	fi
	sleep 0.1
done
if [ -z "${ready:-}" ]; then
	echo "peers: Postfix did not start listening on $HOST:25/587; log:" >&2
	cat "$DIR/postfix.log" >&2 || true
	exit 1
fi

cat >"$DIR/peers.env" <<ENV
RELAYWIZ_MTA_HOST=$HOST
RELAYWIZ_MTA_PORT25=25
RELAYWIZ_MTA_PORT587=587
RELAYWIZ_MTA_SERVERNAME=$NAME
RELAYWIZ_MTA_CA=$DIR/tls/ca.pem
RELAYWIZ_MTA_USER=$USER_NAME
RELAYWIZ_MTA_PASSWORD=$PASSWORD
RELAYWIZ_MTA_SINKDOMAIN=$SINK
RELAYWIZ_MTA_MAILDIR=$DIR/maildir
ENV
echo "peers: Postfix smart host on $HOST:25 and $HOST:587 (env in $DIR/peers.env)" >&2
