#!/bin/sh
# tests/musl-libs.sh DIR: builds, for musl (Debian's musl-tools: musl-gcc),
# the libraries the hot programs link (issue 18: a static musl program
# starts in a quarter of a static glibc one's CPU on a VM), each from
# Debian's own source package (`apt-get source`: the Debian patches applied,
# nothing vendored, nothing edited), into DIR:
#   DIR/include, DIR/lib          skalibs (libskarnet.a)
#   DIR/owfat/include, .../lib    libowfat (apart: its header names are generic)
#   DIR/include/hiredis, DIR/lib  hiredis (libhiredis.a: mxhold-ratelimit's
#                                 shared counts on Redis)
#   DIR/musl.mk                   MUSL_SKALIBS MUSL_OWFAT MUSL_HIREDIS := 1 or 0
# Not LMDB: its lock file holds process-shared pthread mutexes, laid out
# differently by musl and glibc, so every program of one cache must use the
# same libc (smtpd/build.mk). Not s6 (mxhold-queue's ftrigw): Debian's
# mirror here answered 404 for its source, so it was never tried.
# Run by the Makefile (it includes DIR/musl.mk). Never fails: a library that
# cannot be fetched or built (no musl-gcc, no deb-src line in apt's sources
# (tests/deps.sh adds them as root), no network) is set to 0 and the programs
# that need it are built with glibc as before; why is in DIR/musl.log.
dir=${1:?usage: tests/musl-libs.sh DIR}
mkdir -p "$dir" || exit 0
dir=$(cd "$dir" && pwd)
log=$dir/musl.log
: >"$log"
mk=$dir/musl.mk.tmp
say () { echo "musl-libs: $*" >>"$log"; }
result () { echo "$1 := $2" >>"$mk"; }
echo "# written by tests/musl-libs.sh; see $log" >"$mk"
jobs=${MUSL_JOBS:-2}

# fetch PKG: DIR/src/PKG-VERSION, the source as Debian ships it (patched)
fetch () {
  d=$(ls -d "$dir/src/$1"-[0-9]* 2>/dev/null | head -1)
  [ -n "$d" ] && [ -d "$d" ] && { echo "$d"; return 0; }
  mkdir -p "$dir/src"
  (cd "$dir/src" && apt-get source -q --only-source "$1") >>"$log" 2>&1 || { say "apt-get source $1 failed"; return 1; }
  d=$(ls -d "$dir/src/$1"-[0-9]* 2>/dev/null | head -1)
  [ -n "$d" ] && echo "$d"
}

build_skalibs () {
  s=$(fetch skalibs) || return 1
  [ -f "$dir/lib/libskarnet.a" ] && return 0
  (cd "$s" && ./tools/gen-deps.sh >package/deps.mak \
    && CC=musl-gcc ./configure --disable-shared --enable-static --prefix="$dir" \
         --libdir="$dir/lib" --includedir="$dir/include" --sysdepdir="$dir/lib/skalibs/sysdeps" \
    && make -j"$jobs" && make install) >>"$log" 2>&1
}
build_owfat () {
  s=$(fetch libowfat) || return 1
  [ -f "$dir/owfat/lib/libowfat.a" ] && return 0
  (cd "$s" && make -f GNUmakefile -j"$jobs" CC=musl-gcc DIET= libowfat.a \
    && mkdir -p "$dir/owfat/lib" "$dir/owfat/include" && cp libowfat.a "$dir/owfat/lib/" \
    && cp ./*.h "$dir/owfat/include/") >>"$log" 2>&1
}

build_hiredis () {
  s=$(fetch hiredis) || return 1
  [ -f "$dir/lib/libhiredis.a" ] && return 0
  (cd "$s" && make -j"$jobs" CC=musl-gcc static \
    && mkdir -p "$dir/lib" "$dir/include/hiredis" && cp libhiredis.a "$dir/lib/" \
    && cp ./*.h "$dir/include/hiredis/") >>"$log" 2>&1
}

if ! command -v musl-gcc >/dev/null 2>&1; then
  say "no musl-gcc (Debian: musl-tools): the hot programs are built with glibc"
  for v in MUSL_SKALIBS MUSL_OWFAT MUSL_HIREDIS; do result $v 0; done
else
  for l in skalibs owfat hiredis; do
    v=MUSL_$(echo "$l" | tr a-z A-Z)
    if build_$l; then result "$v" 1; say "$l: built"; else result "$v" 0; say "$l: not built (above)"; fi
  done
fi
mv "$mk" "$dir/musl.mk"
exit 0
