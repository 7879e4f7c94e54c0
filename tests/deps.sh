#!/bin/sh
# tests/deps.sh: installs the Debian packages that building, testing and
# `make run` need, if any is missing. As root it runs apt-get; otherwise it
# prints the command to run and fails. As root it also adds deb-src lines
# to apt's Debian sources if there are none: the build fetches skalibs and
# libowfat with `apt-get source` to build them for musl (tests/musl-libs.sh).
pkgs="build-essential clang libclang-rt-dev skalibs-dev libs6-dev libowfat-dev libssl-dev
ucspi-tcp s6 execline swaks postfix python3 python3-aiosmtpd python3-yaml
python3-dnslib spfquery python3-spf tinydns openssl iproute2 procps time strace
go-md2man man-db liblmdb-dev musl-tools dpkg-dev haproxy redis-server redis-tools libhiredis-dev"
# debsrc_missing: true if no apt source list has a deb-src line
debsrc_missing () {
  ! grep -Eqs '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}
add_debsrc () {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
  done
  [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list \
    && sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/mxhold-deb-src.list
  echo "deps: deb-src lines added to apt's sources (for tests/musl-libs.sh)" >&2
}
if [ "$(id -u)" = 0 ] && debsrc_missing; then
  add_debsrc
  apt-get update -qq >/dev/null || echo "deps: apt-get update failed (musl builds fall back to glibc)" >&2
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing Debian packages:$missing" >&2
  echo "deps: run as root: apt-get update && apt-get install -y$missing" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix is only a client (smtp-source, smtp-sink) and a benchmark peer
# here; keep its package from configuring a system mailer.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# An update that fails for one index only (a mirror without the deb-src
# lines added above) still refreshes the others: the install decides.
apt-get update -qq >/dev/null || echo "deps: apt-get update reported errors; installing anyway" >&2
apt-get install -y -qq $missing >/dev/null || {
  echo "deps: apt-get install$missing failed" >&2; exit 1; }
