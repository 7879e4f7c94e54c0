#!/bin/sh
# conf/install-host.sh (make install-host): turns a host where `make install`
# put the programs into a relay, as root. Each step leaves alone what is
# there already, so running it again (after an upgrade) is safe:
#
#   users     SMTPD_USER (mxsmtpd) runs ratelimit, smtpd and spfcheck, the
#             programs that parse what clients send; QUEUE_USER (mxqueue)
#             owns the queue and runs deliver and remote; LOG_USER (mxlog)
#             runs s6-log. System users, no home, no shell (useradd);
#             TLS_GROUP (mxtls), the TLS key's group (groupadd).
#   binary    PREFIX/bin/mxhold-queue owned by QUEUE_USER, mode 4711: the
#             SMTP user writes the queue only through it (qmail's split).
#   config    CONF (/etc/mxhold) from PREFIX/share/mxhold/example, its
#             `queue` set to QUEUE and `me` to ME, compiled; an existing
#             CONF is never touched (only compiled if it has no config.cdb).
#   queue     QUEUE (/var/spool/mxhold), owned by QUEUE_USER, made by
#             `mxhold-queuectl init` run as QUEUE_USER; its rate-limit state
#             file ratelimit.state and its sessions file ratelimit.slots
#             owned by SMTPD_USER, mode 0600; the metrics counters owned
#             by SMTPD_USER, group QUEUE_USER, 0660.
#   tls       PREFIX/bin/mxhold-tls setgid TLS_GROUP (mxtls, mode 2755), and
#             CONF/tls/key.pem, if there, root:TLS_GROUP 0640 (cert.pem 0644):
#             only mxhold-tls reads the key, not smtpd or the others.
#             And CONF/tls/server, the socket of the mxhold-tls server
#             (TLS_RUN/socket), written only when CONF/tls is there (the
#             operator's: a tls/ folder turns STARTTLS on, so install-host
#             never makes one) and has no tls/server yet; with no tls/ run
#             me again once cert.pem and key.pem are in it.
#   rcpt      the recipient cache directory (config's rcptcache, default
#             /var/lib/mxhold/rcpt), SMTPD_USER:QUEUE_USER 2770, its files
#             made by SMTPD_USER 0660: both users write it.
#   logs      LOGDIR/smtpd, LOGDIR/deliver and LOGDIR/tls (/var/log/mxhold),
#             LOG_USER's, mode 0750.
#   services  SERVICE/smtpd, SERVICE/deliver and SERVICE/tls (the mxhold-tls
#             server, as SMTPD_USER) in /var/lib/mxhold/service, each with
#             log/, from PREFIX/share/mxhold/service, the placeholders
#             filled in; an existing run script is kept. tls's run makes
#             the socket's folder TLS_RUN (/run/mxhold-tls, emptied at boot)
#             at each start, SMTPD_USER's, mode 0700: only smtpd's user
#             connects. SERVICE is a scan directory: `s6-svscan SERVICE`, or
#             link the three into yours.
#
# Then it runs `mxhold-conf check` (which also checks the owners and modes
# above) and says what is left to do.
#
# Settings (environment, or make variables for `make install-host`):
#   PREFIX=/usr/local  CONF=/etc/mxhold  QUEUE=/var/spool/mxhold
#   LOGDIR=/var/log/mxhold  SERVICE=/var/lib/mxhold/service
#   ADDR=0  PORT=25  DNSCACHEIP=127.0.0.1  ME=$(hostname -f)
#   SMTPD_USER=mxsmtpd  QUEUE_USER=mxqueue  LOG_USER=mxlog  TLS_GROUP=mxtls
#   TLS_RUN=/run/mxhold-tls
#   DESTDIR: everything is made under it (paths inside the files stay
#   without it), for packaging and tests; users are still made system-wide.
set -eu
PREFIX=${PREFIX:-/usr/local}
CONF=${CONF:-/etc/mxhold}
QUEUE=${QUEUE:-/var/spool/mxhold}
LOGDIR=${LOGDIR:-/var/log/mxhold}
SERVICE=${SERVICE:-/var/lib/mxhold/service}
ADDR=${ADDR:-0}
PORT=${PORT:-25}
DNSCACHEIP=${DNSCACHEIP:-127.0.0.1}
ME=${ME:-$(hostname -f 2>/dev/null || hostname)}
SMTPD_USER=${SMTPD_USER:-mxsmtpd}
QUEUE_USER=${QUEUE_USER:-mxqueue}
LOG_USER=${LOG_USER:-mxlog}
TLS_GROUP=${TLS_GROUP:-mxtls}
TLS_RUN=${TLS_RUN:-/run/mxhold-tls}
D=${DESTDIR:-}
BIN=$PREFIX/bin
SHARE=$D$PREFIX/share/mxhold

say () { echo "install-host: $*"; }
die () { echo "install-host: fatal: $*" >&2; exit 100; }

[ "$(id -u)" = 0 ] || die "run me as root (I make users and set owners)"
[ -x "$D$BIN/mxhold-queue" ] && [ -d "$SHARE/example" ] && [ -d "$SHARE/service" ] ||
  die "no installed mxhold in $D$PREFIX: run make install PREFIX=$PREFIX first"
for v in "$CONF" "$QUEUE" "$LOGDIR" "$SERVICE" "$PREFIX" "$TLS_RUN"; do
  case $v in /*) ;; *) die "$v: not an absolute path" ;; esac
done

for u in "$SMTPD_USER" "$QUEUE_USER" "$LOG_USER"; do
  if getent passwd "$u" >/dev/null; then
    say "user $u: exists"
  else
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --comment "mxhold" "$u"
    say "user $u: made"
  fi
done
[ "$SMTPD_USER" != "$QUEUE_USER" ] || die "SMTPD_USER and QUEUE_USER must differ"

chown "$QUEUE_USER:$QUEUE_USER" "$D$BIN/mxhold-queue"
chmod 4711 "$D$BIN/mxhold-queue"
say "$D$BIN/mxhold-queue: setuid $QUEUE_USER (4711)"

if [ -e "$D$CONF" ]; then
  say "$D$CONF: exists, kept as it is"
else
  mkdir -p "$D$CONF"
  chmod 0755 "$D$CONF"
  for f in "$SHARE"/example/*; do install -m 0644 "$f" "$D$CONF/"; done
  printf '# queue: the queue directory (one filesystem: every state change is a rename).\n%s\n' "$QUEUE" >"$D$CONF/queue"
  printf '# me: the relay'"'"'s own host name (SMTP greeting, Received lines, DSNs).\n%s\n' "$ME" >"$D$CONF/me"
  say "$D$CONF: made from the example (edit domains, me; then mxhold-conf compile)"
fi
[ -e "$D$CONF/config.cdb" ] || "$D$BIN/mxhold-conf" compile "$D$CONF"
# STARTTLS's key: for mxhold-tls alone. It runs as the SMTP user (smtpd's
# child) but setgid TLS_GROUP, the key's group; smtpd only stats the key.
if getent group "$TLS_GROUP" >/dev/null; then
  say "group $TLS_GROUP: exists"
else
  groupadd --system "$TLS_GROUP"
  say "group $TLS_GROUP: made"
fi
if [ -e "$D$BIN/mxhold-tls" ]; then
  chown "root:$TLS_GROUP" "$D$BIN/mxhold-tls"
  chmod 2755 "$D$BIN/mxhold-tls"
  say "$D$BIN/mxhold-tls: setgid $TLS_GROUP (2755)"
fi
if [ -d "$D$CONF/tls" ]; then
  chown root:root "$D$CONF/tls"
  chmod 0755 "$D$CONF/tls"
  [ ! -e "$D$CONF/tls/cert.pem" ] || { chown root:root "$D$CONF/tls/cert.pem"; chmod 0644 "$D$CONF/tls/cert.pem"; }
  [ ! -e "$D$CONF/tls/key.pem" ] || { chown "root:$TLS_GROUP" "$D$CONF/tls/key.pem"; chmod 0640 "$D$CONF/tls/key.pem"; }
  say "$D$CONF/tls: key.pem root:$TLS_GROUP 0640, cert.pem 0644"
  if [ -e "$D$CONF/tls/server" ]; then
    say "$D$CONF/tls/server: exists, kept"
  else
    printf '%s\n' "$TLS_RUN/socket" >"$D$CONF/tls/server.tmp"
    chmod 0644 "$D$CONF/tls/server.tmp"
    mv "$D$CONF/tls/server.tmp" "$D$CONF/tls/server"
    say "$D$CONF/tls/server: $TLS_RUN/socket (STARTTLS through the tls service)"
  fi
else
  say "$D$CONF/tls: none; STARTTLS is offered once cert.pem and key.pem are there (run me again for their modes and tls/server)"
fi

if [ ! -d "$D$QUEUE" ]; then
  mkdir -p "$D$QUEUE"
  chown "$QUEUE_USER:$QUEUE_USER" "$D$QUEUE"
  chmod 0755 "$D$QUEUE"    # the SMTP user reaches its rate-limit state through it
fi
s6-setuidgid "$QUEUE_USER" "$D$BIN/mxhold-queuectl" -q "$D$QUEUE" init >/dev/null
for f in ratelimit.state ratelimit.slots; do
  [ -e "$D$QUEUE/$f" ] ||
    install -o "$SMTPD_USER" -g "$SMTPD_USER" -m 0600 /dev/null "$D$QUEUE/$f"
done
# the metrics' event counters (lib/counter.h): written by the SMTP user's
# programs (refusals) and by deliver (outcomes), read by queuectl metrics
[ -e "$D$QUEUE/counters" ] ||
  install -o "$SMTPD_USER" -g "$QUEUE_USER" -m 0660 /dev/null "$D$QUEUE/counters"
say "$D$QUEUE: queue ready, owned by $QUEUE_USER; ratelimit.state and ratelimit.slots $SMTPD_USER's, counters shared with $QUEUE_USER"

# The recipient cache (recipients=verify|learn): an LMDB environment that
# smtpd and mxhold-rcptcheck (the SMTP user) and deliver's learning (the
# queue user) all write. tcpserver -U gives smtpd one group only, so the
# directory and its two files are the SMTP user's, group the queue user's,
# 0660 (the directory setgid 2770, so the files keep that group); made now,
# by the SMTP user, before any program creates them with its own owner.
RCPT=$("$D$BIN/mxhold-conf" -c "$D$CONF" get rcptcache 2>/dev/null || echo /var/lib/mxhold/rcpt)
mkdir -p "$D$(dirname "$RCPT")"
[ -d "$D$RCPT" ] || mkdir "$D$RCPT"
chown "$SMTPD_USER:$QUEUE_USER" "$D$RCPT"
chmod 2770 "$D$RCPT"
if [ -z "$D" ] && [ ! -e "$RCPT/data.mdb" ]; then
  ( umask 007 && s6-setuidgid "$SMTPD_USER" "$BIN/mxhold-rcptctl" -c "$CONF" forget postmaster@install-host.invalid >/dev/null ) ||
    say "$RCPT: the cache could not be made now; the first prober makes it"
fi
say "$D$RCPT: recipient cache, $SMTPD_USER:$QUEUE_USER 2770"

for s in smtpd deliver tls; do
  mkdir -p "$D$LOGDIR/$s"
  chown "$LOG_USER:$LOG_USER" "$D$LOGDIR/$s"
  chmod 0750 "$D$LOGDIR/$s"
done

fill () {
  sed -e "s|@CONF@|$CONF|g" -e "s|@BIN@|$BIN|g" -e "s|@ADDR@|$ADDR|g" \
    -e "s|@PORT@|$PORT|g" -e "s|@DNSCACHEIP@|$DNSCACHEIP|g" -e "s|@LOGDIR@|$LOGDIR|g" \
    -e "s|@SMTPD_USER@|$SMTPD_USER|g" -e "s|@QUEUE_USER@|$QUEUE_USER|g" \
    -e "s|@LOG_USER@|$LOG_USER|g" -e "s|@TLS_RUN@|$TLS_RUN|g" "$1" >"$2.tmp"
  chmod 0755 "$2.tmp"
  mv "$2.tmp" "$2"
}
for s in smtpd deliver tls; do
  for r in run log/run; do
    dst=$D$SERVICE/$s/$r
    mkdir -p "$(dirname "$dst")"
    if [ -e "$dst" ]; then say "$dst: exists, kept"; else fill "$SHARE/service/$s/$r" "$dst"; fi
  done
done
say "$D$SERVICE: smtpd, deliver and tls, each with log/ (s6-svscan $SERVICE, or link them into your scan directory)"

if [ -n "$D" ]; then
  say "DESTDIR set: run mxhold-conf check on the host itself"
elif "$D$BIN/mxhold-conf" check "$D$CONF"; then
  say "mxhold-conf check: clean"
else
  say "mxhold-conf check found errors (above): fix them before starting the services"
  exit 100
fi
