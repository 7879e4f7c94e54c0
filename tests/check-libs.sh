#!/bin/sh
# tests/check-libs.sh BINDIR: no binary may hold code of both skalibs and
# libowfat (they define ~64 functions of the same names; see doc/design.md, "Libraries").
# A symbol private to a library is one it defines and the other does not;
# a binary "holds" a library if it defines or imports any such symbol.
dir=${1:-build/bin}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sk=$(ls /usr/lib/*/libskarnet.a 2>/dev/null | head -1)
ow=/usr/lib/libowfat.a
nm -g --defined-only "$sk" 2>/dev/null | awk 'NF==3{print $3}' | sort -u >"$tmp/sk"
nm -g --defined-only "$ow" 2>/dev/null | awk 'NF==3{print $3}' | sort -u >"$tmp/ow"
comm -23 "$tmp/sk" "$tmp/ow" >"$tmp/sk.only"
comm -13 "$tmp/sk" "$tmp/ow" >"$tmp/ow.only"
[ -s "$tmp/sk.only" ] && [ -s "$tmp/ow.only" ] || { echo "not ok - cannot read library symbols"; exit 1; }
# The check must be able to fail: a program that links both libraries (the
# build doc/design.md "Libraries" warns of, which crashed at its first buffer_putsflush)
# has to be flagged.
cat >"$tmp/both.c" <<'EOC'
#include <skalibs/buffer.h>
extern int dns_ip4 (void *, void *) ;
int main (int argc, char **argv) { (void)argv ; if (argc > 99) dns_ip4(0, 0) ; return buffer_putsflush(buffer_1, "") < 0 ; }
EOC
mkdir "$tmp/neg"
if cc -o "$tmp/neg/mxhold-both" "$tmp/both.c" /usr/lib/libowfat.a -lskarnet 2>/dev/null; then
  { nm -g "$tmp/neg/mxhold-both"; nm -D "$tmp/neg/mxhold-both"; } 2>/dev/null | awk '{print $NF}' | sort -u >"$tmp/b"
  if [ "$(comm -12 "$tmp/b" "$tmp/sk.only" | wc -l)" -gt 0 ] && [ "$(comm -12 "$tmp/b" "$tmp/ow.only" | wc -l)" -gt 0 ]; then
    echo "ok - a program linking both libraries is flagged (negative control)"
  else
    echo "not ok - the negative control linking both libraries was not flagged"
  fi
fi
n=0
for b in "$dir"/mxhold-*; do
  [ -x "$b" ] || continue
  { nm -g "$b" 2>/dev/null; nm -D "$b" 2>/dev/null; } | awk '{print $NF}' | sort -u >"$tmp/b"
  s=$(comm -12 "$tmp/b" "$tmp/sk.only" | wc -l)
  o=$(comm -12 "$tmp/b" "$tmp/ow.only" | wc -l)
  n=$((n + 1))
  if [ "$s" -gt 0 ] && [ "$o" -gt 0 ]; then
    echo "not ok - $(basename "$b") links both skalibs ($s symbols) and libowfat ($o symbols)"
  else
    echo "ok - $(basename "$b") links one base library (skalibs $s, libowfat $o)"
  fi
done
[ "$n" -gt 0 ] || echo "not ok - no binaries in $dir"
