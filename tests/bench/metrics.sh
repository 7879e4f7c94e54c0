#!/bin/bash
# tests/bench/metrics.sh: issue 15's metrics. The cost of one
# `mxhold-queuectl metrics FILE` over a queue of BENCH_MT_N messages (default
# 10000, two recipients each over BENCH_MT_DOMAINS domains (default 100), half of them with a state
# file: deferred once), and of one counter add (lib/counter.h) as a
# short-lived process does it: open, mmap, atomic add, munmap, close.
source "$(dirname "$0")/../lib.sh"
N=${BENCH_MT_N:-10000}
D=${BENCH_MT_DOMAINS:-100}
bdiag () { echo "# $*" >&2; }
for p in mxhold-queuectl mxhold-queue mxhold-conf; do
  [ -x "$BIN/$p" ] || { echo "metrics bench: $p not built"; exit 1; }
done
mkconf -p 9 -d example.com "$T/c" >/dev/null || { echo "metrics bench: config failed"; exit 1; }
Q=$T/c/q
bdiag "queueing $N messages"
$PY - "$Q" "$N" "$D" <<'PYEOF'
import os, sys, time
q, n, nd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def fnv(s):
    h = 2166136261
    for c in s.encode():
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h
now = int(time.time())
for i in range(n):
    qid = "%d.%06d.%d" % (now - i, i % 1000000, 4242)
    hh = "%02x" % (fnv(qid) % 64)
    body = "mxhold 1\narrived %d\nclient 192.0.2.7\nhelo h\nspf pass\nfrom a@example.org\nto x%d@d%d.example\nto y%d@d%d.example\n\nSubject: t\r\n\r\nhi\r\n" % (now - i, i, i % nd, i, (i + 1) % nd)
    with open(os.path.join(q, "mess", hh, qid), "w") as f: f.write(body)
    if i % 2:
        with open(os.path.join(q, "state", hh, qid), "w") as f: f.write("0 p 1 %d %d 451 4.3.0 busy\n" % (now + 300, now))
PYEOF
t0=$(date +%s%N)
mxhold-queuectl -c "$T/c" metrics "$T/m.prom" || { echo "metrics bench: metrics failed"; exit 1; }
t1=$(date +%s%N)
cat >"$T/cnt.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "lib/counter.h"
int main (int argc, char **argv)
{
  struct timespec a, b ;
  unsigned long n = strtoul(argv[2], 0, 10) ;
  clock_gettime(CLOCK_MONOTONIC, &a) ;
  for (unsigned long i = 0 ; i < n ; i++)
    if (mx_counter_add(argv[1], "mxhold_refusals_total{program=\"smtpd\",reason=\"relay\"}", 1) == -1) { perror("add") ; return 1 ; }
  clock_gettime(CLOCK_MONOTONIC, &b) ;
  printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n) ;
  return 0 ;
}
CEOF
cc -O2 -I"$TOP" -o "$T/cnt" "$T/cnt.c" "$TOP/lib/counter.c" "$TOP/lib/fnv.c" || { echo "metrics bench: cannot build the counter driver"; exit 1; }
us=$("$T/cnt" "$T/counters" 20000)
echo "mxhold-queuectl metrics: $N messages ($(grep -c '^mxhold_queue_recipients{' "$T/m.prom") domains): $(( (t1 - t0) / 1000000 )) ms, $(wc -c <"$T/m.prom") bytes written"
echo "counter add (open+mmap+add+munmap+close): $us us"
grep -E '^mxhold_queue_(messages|oldest_seconds) ' "$T/m.prom"
