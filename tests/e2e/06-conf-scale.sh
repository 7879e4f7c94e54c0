#!/bin/bash
# 06-conf-scale: 100,000 domains and 10,000 client prefixes compile in
# seconds and are found by a constant-time lookup (one cdb probe chain).
source "$(dirname "$0")/../lib.sh"
C=$T/conf; mkdir -p "$C"
echo relay.test >"$C/me"; echo "$T/queue" >"$C/queue"
N=100000
$PY - "$C" "$N" <<'X'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(d + "/domains", "w") as f:
    for i in range(n):
        f.write("cust%06d.example.com 10.%d.%d.%d:25%s\n" % (i, i >> 16 & 255, i >> 8 & 255, i & 255, " tls=require" if i % 3 == 0 else ""))
with open(d + "/clients", "w") as f:
    for i in range(10000):
        f.write("10.%d.%d.0/24 recipients=%d\n" % (i >> 8 & 255, i & 255, i % 90 + 10))
X
is "$(wc -l <"$C/domains")" "$N" "$N domains written"
start=$(date +%s%N)
out=$(mxhold-conf compile "$C"); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "compile of $N domains"
diag "compile of $N domains and 10000 clients: ${ms} ms, $(stat -c %s "$C/config.cdb") bytes"
like "$out" "$N domains, 10000 clients" "compile counted them all"
is "$(mxhold-conf -c "$C" get d:cust000000.example.com)" "10.0.0.0:25 tls=require" "first domain found"
is "$(mxhold-conf -c "$C" get d:cust099999.example.com)" "10.1.134.159:25 tls=require" "last domain found"
is "$(mxhold-conf -c "$C" get d:cust054321.example.com)" "10.0.212.49:25 tls=require" "middle domain found"
mxhold-conf -c "$C" get d:cust100000.example.com >/dev/null; is "$?" 100 "domain $N+1 not found"
# a duplicate among 100k is still caught, with both line numbers
echo "CUST004242.example.com. 127.0.0.1" >>"$C/domains"
err=$(mxhold-conf check "$C" 2>&1); rc=$?
is "$rc" 100 "duplicate among $N refused"
like "$err" "domains:$((N + 1)): duplicate domain \(first on line 4243\)" "duplicate names both lines"
start=$(date +%s%N)
found=0
for i in 1 2 3 4 5 6 7 8 9 10; do
  mxhold-conf -c "$C" get d:cust0$((RANDOM % 90000 + 10000)).example.com >/dev/null && found=$((found + 1))
done
diag "10 lookups (process start included): $(( ($(date +%s%N) - start) / 1000000 )) ms"
is "$found" 10 "random lookups: all 10 found"
done_testing
