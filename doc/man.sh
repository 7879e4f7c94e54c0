#!/bin/sh
# doc/man.sh MANUAL.md OUT.8 [PROGRAM]: a manual page from a program's
# Markdown manual (go-md2man, Debian's package). The manual's first line,
# "# mxhold-NAME", becomes the page's title and its NAME section; the
# summary there is the second line of `PROGRAM --help` (the one summary the
# program itself prints), else the first sentence of the Description.
# Tables are made to fit a terminal: the last column wraps (tbl's x) and
# every long cell is a text block; the page is set ragged-right, as narrow
# table cells cannot be justified.
set -eu
md=$1 out=$2 prog=${3:-}
name=$(sed -n '1s/^# *//p' "$md")
[ -n "$name" ] || { echo "man.sh: $md: no '# name' first line" >&2; exit 100; }
summary=""
[ -z "$prog" ] || summary=$("$prog" --help | sed -n 2p)
[ -n "$summary" ] || summary=$(awk '/^## Description/ { d = 1; next }
  d && !NF && s != "" { exit }
  d && NF { s = s (s == "" ? "" : " ") $0 }
  END { sub(/\. .*/, "", s); sub(/\.$/, "", s); print s }' "$md")
upper=$(printf '%s' "$name" | tr 'a-z' 'A-Z')
{
  printf '%% %s 8 "" "mxhold" "mxhold manual"\n\n# NAME\n\n%s - %s\n\n' "$upper" "$name" "${summary:-mxhold program}"
  sed '1d' "$md"
} | go-md2man | awk '
function cells(s,   n, a, i, out, vis) {
  n = split(s, a, "\t")
  out = ""
  for (i = 1; i <= n; i++) {
    if (i > 1) out = out "\t"
    vis = a[i]
    gsub(/\\f[A-Z]/, "", vis)
    if (a[i] == "T{") { out = out a[i]; inblock = 1 }
    else if (length(vis) > 20) out = out "T{\n" a[i] "\nT}"
    else out = out a[i]
  }
  return out
}
/^\.TH/ { print; print ".ad l"; next }
/^\.TS/ { intbl = 1; fmt = 0; print; next }
/^\.TE/ { intbl = 0; print; next }
intbl && /^allbox;$/ { fmt = 1; print; next }
intbl && fmt {
  n = split($0, f, " ")
  f[f[n] == "." ? n - 1 : n] = "lx"
  line = f[1]
  for (i = 2; i <= n; i++) line = line " " f[i]
  print line
  if ($0 ~ /\.[ ]*$/) fmt = 0
  next
}
intbl && inblock { if ($0 ~ /^T}/) { inblock = 0; print "T}" cells(substr($0, 3)) } else print; next }
intbl { print cells($0); next }
{ print }' >"$out.tmp"
mv "$out.tmp" "$out"
