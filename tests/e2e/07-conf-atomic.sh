#!/bin/bash
# 07-conf-atomic: while compiles replace config.cdb over and over, readers
# in other processes always see a whole config, the old or the new one.
source "$(dirname "$0")/../lib.sh"
C=$T/conf; mkdir -p "$C"
echo relay.test >"$C/me"; echo "$T/queue" >"$C/queue"
# Two versions, different sizes, so a half-written file would show.
$PY - "$C" <<'X'
import sys
d = sys.argv[1]
for v, n in (("a", 5000), ("b", 3)):
    with open(d + "/domains." + v, "w") as f:
        f.write("probe.example %s.example:25\n" % v)
        for i in range(n):
            f.write("d%d.%s.example 127.0.0.1\n" % (i, v))
X
cp "$C/domains.a" "$C/domains"; mxhold-conf compile "$C" >/dev/null || nok "first compile"
(
  for i in $(seq 1 8); do
    cp "$C/domains.b" "$C/domains.new" && mv "$C/domains.new" "$C/domains"
    mxhold-conf compile "$C" >/dev/null || echo "compile failed" >>"$T/bad"
    cp "$C/domains.a" "$C/domains.new" && mv "$C/domains.new" "$C/domains"
    mxhold-conf compile "$C" >/dev/null || echo "compile failed" >>"$T/bad"
  done
  touch "$T/writer.done"
) &
writer=$!; _pids="$_pids $writer"
n=0 seen=""
while [ ! -e "$T/writer.done" ] && [ $n -lt 2000 ]; do
  v=$(mxhold-conf -c "$C" get d:probe.example 2>&1)
  case "$v" in
    a.example:25|b.example:25) case "$seen" in *"$v"*) ;; *) seen="$seen $v" ;; esac ;;
    *) echo "reader saw: $v" >>"$T/bad" ;;
  esac
  n=$((n + 1))
done
wait_until 60 test -e "$T/writer.done" || nok "writer finished"
diag "$n reads during 16 compiles; versions seen:$seen"
is "$(cat "$T/bad" 2>/dev/null | head -3)" "" "every read saw a whole config"
like "$seen" "b.example" "reads saw the new version at least once"
[ ! -e "$C/config.cdb.tmp" ]; is "$?" 0 "no tmp file left"
# Compiles running at the same time (an operator and a script): they take
# turns, each succeeds, and no reader ever sees a half-written file.
cp "$C/domains.a" "$C/domains"; mxhold-conf compile "$C" >/dev/null
$PY - "$C" <<'X'
import sys
with open(sys.argv[1] + "/domains", "a") as f:
    for i in range(30000): f.write("e%d.a.example 127.0.0.1\n" % i)
X
rm -f "$T/bad"
for i in $(seq 1 10); do
  mxhold-conf compile "$C" >/dev/null 2>>"$T/bad" &
  p1=$!
  mxhold-conf compile "$C" >/dev/null 2>>"$T/bad" &
  p2=$!
  for j in 1 2 3 4 5 6; do
    v=$(mxhold-conf -c "$C" get d:probe.example 2>&1)
    [ "$v" = a.example:25 ] || echo "reader saw: '$v'" >>"$T/bad"
  done
  wait $p1 $p2
done
is "$(head -3 "$T/bad")" "" "concurrent compiles: all succeed, readers see whole configs"
done_testing
