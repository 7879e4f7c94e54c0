#!/bin/sh
# doc/man.sh MANUAL.md OUT.8: a manual page from a program's Markdown
# manual (go-md2man, Debian's package). The manual's first line,
# "# mxhold-NAME", becomes the page's title and its NAME section, with the
# first sentence of its Description as the summary.
set -eu
md=$1 out=$2
name=$(sed -n '1s/^# *//p' "$md")
[ -n "$name" ] || { echo "man.sh: $md: no '# name' first line" >&2; exit 100; }
summary=$(awk '/^## Description/ { d = 1; next } d && NF { sub(/\. .*/, ""); sub(/\.$/, ""); print; exit }' "$md")
upper=$(printf '%s' "$name" | tr 'a-z' 'A-Z')
{
  printf '%% %s 8 "" "mxhold" "mxhold manual"\n\n# NAME\n\n%s - %s\n\n' "$upper" "$name" "${summary:-mxhold program}"
  sed '1d' "$md"
} | go-md2man >"$out.tmp"
mv "$out.tmp" "$out"
