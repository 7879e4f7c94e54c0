#!/bin/bash
# tests/bench/rcpt.sh: issue 12's benchmark, RCPT latency by recipient
# policy, all in one run, one SMTP connection per case, each RCPT sent
# after the previous reply (no pipelining), through tcpserver:
#   any           recipients=any: no check (the floor)
#   list          recipients=list: one more cdb lookup
#   verify warm   recipients=verify, every address in the cache: smtpd's
#                 own LMDB read, no process started
#   verify cold   recipients=verify, every address new: smtpd starts
#                 mxhold-rcptcheck, which probes the customer's server
#                 (Postfix's smtp-sink on 127.0.0.1, accepting all) and
#                 writes the cache: one probe per RCPT
# and, to price the design not taken (smtpd always starting a checker
# program), the mean time of one mxhold-rcptcheck run for an address the
# cache knows (spawnloop.c, compiled here: posix_spawn and wait, as smtpd).
# BENCH_RCPT_N RCPTs per case (default 1000; BENCH_N below 1000 lowers it).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench-lib.sh"
N=${BENCH_RCPT_N:-1000}
[ "${BENCH_N:-5000}" -lt "$N" ] && N=${BENCH_N}
[ "$N" -lt 50 ] && N=50
for p in mxhold-smtpd mxhold-rcptcheck mxhold-conf; do
  [ -x "$BIN/$p" ] || { echo "rcpt bench: $p not built"; exit 1; }
done
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || { echo "rcpt bench: smtp-sink (postfix) missing"; exit 1; }
PATH=$PATH:/usr/sbin

SINKP=$(free_port)
C=$T/c
mkconf -d "example.com" "$C" recipients $((N + 10)) errors 1000 || exit 1
mkdir -p "$C/recipients"
for i in $(seq 1 "$N"); do echo "l$i"; done >"$C/recipients/example.org"
printf 'example.com 127.0.0.1:%s\nexample.org 127.0.0.1:%s recipients=list\nexample.net 127.0.0.1:%s recipients=verify\n' \
  "$SINKP" "$SINKP" "$SINKP" >"$C/domains"
echo "$T/cache" >"$C/rcptcache"
printf 'verify_burst 100000\nverify_rate 3600000\nverify_cache %s\n' $((4 * N)) >>"$C/limits"
mxhold-conf compile "$C" >/dev/null || { echo "rcpt bench: compile failed"; exit 1; }
export MXHOLD_CONF=$C
bg smtp-sink -u nobody 127.0.0.1:"$SINKP" 100
wait_until 10 port_open "$SINKP" || { echo "rcpt bench: smtp-sink did not start"; exit 1; }
PORT=$(free_port)
smtp_server "$PORT" "$C" cat

# lat PREFIX DOMAIN: per-RCPT latency over one connection: "MEDIAN P99 MEAN" ms
lat () {
  $PY - "$PORT" "$1" "$2" "$N" <<'PYEOF'
import socket, sys, time
port, pre, dom, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), 30)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if not l: raise SystemExit("closed")
        if l[3:4] != b"-": return l
reply()
for c in (b"EHLO bench.example\r\n", b"MAIL FROM:<b@bench.example>\r\n"):
    s.sendall(c); reply()
t = []
for i in range(1, n + 1):
    a = time.perf_counter()
    s.sendall(b"RCPT TO:<%s%d@%s>\r\n" % (pre.encode(), i, dom.encode()))
    r = reply()
    t.append((time.perf_counter() - a) * 1000)
    if not r.startswith(b"250"): raise SystemExit("RCPT %s%d@%s: %r" % (pre, i, dom, r))
s.sendall(b"QUIT\r\n"); reply()
t.sort()
print("%.3f %.3f %.3f" % (t[len(t) // 2], t[min(len(t) - 1, int(len(t) * 0.99))], sum(t) / len(t)))
PYEOF
}

# conn PREFIX DOMAIN M: M connections of one RCPT each (EHLO, MAIL, RCPT,
# QUIT): the mean ms of a whole connection, so the cache's open per
# connection is in it
conn () {
  $PY - "$PORT" "$1" "$2" "$3" <<'PYEOF'
import socket, sys, time
port, pre, dom, m = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
for i in range(1, m + 1):
    s = socket.create_connection(("127.0.0.1", port), 30)
    f = s.makefile("rb")
    def reply():
        while True:
            l = f.readline()
            if not l: raise SystemExit("closed")
            if l[3:4] != b"-": return l
    reply()
    for c in (b"EHLO bench.example\r\n", b"MAIL FROM:<b@bench.example>\r\n", b"RCPT TO:<%s%d@%s>\r\n" % (pre.encode(), i, dom.encode())):
        s.sendall(c)
        r = reply()
    if not r.startswith(b"250"): raise SystemExit("RCPT: %r" % r)
    s.sendall(b"QUIT\r\n"); reply(); s.close()
print("%.3f" % ((time.perf_counter() - t0) * 1000 / m))
PYEOF
}

bdiag "rcpt: $N RCPTs per case"
any=$(lat u example.com) || exit 1
list=$(lat l example.org) || exit 1
cold=$(lat w example.net) || exit 1       # first pass: one probe each
warm=$(lat w example.net) || exit 1       # second pass: the same, cached
any2=$(lat v example.com) || exit 1       # the floor again, after
M=$((N / 4))
cany=$(conn u example.com "$M") || exit 1
cwarm=$(conn w example.net "$M") || exit 1
cany2=$(conn v example.com "$M") || exit 1
probes=$(grep -c 'mxhold-rcptcheck: info: probe ' "$T/smtpd.$PORT.log")
cc -O2 -o "$T/spawnloop" "$TOP/tests/bench/spawnloop.c" || exit 1
spawn=$("$T/spawnloop" "$N" mxhold-rcptcheck w1@example.net 2>>"$T/spawn.log") || { echo "rcpt bench: spawnloop failed"; exit 1; }

ms () { echo "$1" | cut -d' ' -f"$2"; }
table_head "RCPT latency, ms ($N RCPTs a case, one connection, 127.0.0.1)" case median p99 mean
row "any (no check)" $(ms "$any" 1) $(ms "$any" 2) $(ms "$any" 3)
row "list (cdb lookup)" $(ms "$list" 1) $(ms "$list" 2) $(ms "$list" 3)
row "verify, warm cache (LMDB read)" $(ms "$warm" 1) $(ms "$warm" 2) $(ms "$warm" 3)
row "verify, cold cache (1 probe)" $(ms "$cold" 1) $(ms "$cold" 2) $(ms "$cold" 3)
row "any again (after)" $(ms "$any2" 1) $(ms "$any2" 2) $(ms "$any2" 3)
table_head "a whole connection with one RCPT, ms ($M connections a case, through tcpserver)" case mean
row "any" "$cany"
row "verify, warm cache (opens the cache)" "$cwarm"
row "any again (after)" "$cany2"
tnote "probes made: $probes (want $N: one per cold RCPT, none warm)"
tnote "not taken: one mxhold-rcptcheck run per RCPT with a warm cache costs $(awk -v u="$spawn" 'BEGIN { printf "%.3f", u / 1000 }') ms"
tnote "(posix_spawn + exec + config + LMDB open + lookup), on top of the any row"
