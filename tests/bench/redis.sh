#!/bin/bash
# tests/bench/redis.sh: issue 15's benchmark. The connection gate's
# latency with shared counts on Redis versus the host's own state file, in
# the same run, alternating: tcpserver -> /bin/true (the floor), ->
# mxhold-ratelimit /bin/true with local state, -> the same with the config's
# redis file pointing at a real redis-server on 127.0.0.1; best of
# BENCH_RD_ROUNDS rounds of BENCH_RD_N sequential connections each. Then
# the PROXY front: tcpserver -> mxhold-proxy /bin/true with a v2 header
# per connection. Every connection is counted and admitted (a limit no
# client reaches). Environment: BENCH_RD_N (default 1000), BENCH_RD_ROUNDS
# (default 3).
source "$(dirname "$0")/../lib.sh"
N=${BENCH_RD_N:-1000}
ROUNDS=${BENCH_RD_ROUNDS:-3}
bdiag () { echo "# $*" >&2; }
for p in mxhold-ratelimit mxhold-proxy mxhold-conf; do
  [ -x "$BIN/$p" ] || { echo "redis bench: $p not built"; exit 1; }
done
command -v redis-server >/dev/null || { echo "redis bench: no redis-server (tests/deps.sh)"; exit 1; }

rp=$(free_port)
bg redis-server --port "$rp" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" >"$T/redis.out" 2>&1
for c in local shared; do
  mkconf -q "$T/q.$c" -Q -d example.com "$T/$c" connections 100000000 window 3600 burst 100000000 \
    || { echo "redis bench: mxhold-conf compile failed"; exit 1; }
done
echo "127.0.0.1:$rp" >"$T/shared/redis"
echo 127.0.0.1 >"$T/shared/proxies"
mxhold-conf compile "$T/shared" >/dev/null || { echo "redis bench: compile failed"; exit 1; }
wait_until 10 eval '[ "$(redis-cli -p '"$rp"' ping 2>/dev/null)" = PONG ]' || { echo "redis bench: redis did not start"; exit 1; }

# conns PORT N [PRE]: seconds for N sequential connections, each sending
# PRE (bytes) and read to EOF
conns () {
  $PY - "$1" "$2" "${3:-}" <<'PYEOF'
import socket, struct, sys, time
port, n, pre = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hdr = b""
if pre == "v2":
    a = bytes([192, 0, 2, 7, 127, 0, 0, 1]) + struct.pack(">HH", 4242, 25)
    hdr = b"\r\n\r\n\x00\r\nQUIT\n\x21\x11" + struct.pack(">H", len(a)) + a
t = time.monotonic()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    if hdr: s.sendall(hdr)
    while s.recv(4096): pass
    s.close()
print("%.6f" % (time.monotonic() - t))
PYEOF
}
min () { sort -g | head -1; }

p0=$(free_port); p1=$(free_port); p2=$(free_port); p3=$(free_port)
bg tcpserver -HRl0 -c 10 127.0.0.1 "$p0" /bin/true 2>/dev/null
bg env MXHOLD_CONF="$T/local" tcpserver -HRl0 -c 10 127.0.0.1 "$p1" mxhold-ratelimit /bin/true 2>>"$T/rl.log"
bg env MXHOLD_CONF="$T/shared" tcpserver -HRl0 -c 10 127.0.0.1 "$p2" mxhold-ratelimit /bin/true 2>>"$T/rl.log"
bg env MXHOLD_CONF="$T/shared" tcpserver -HRl0 -c 10 127.0.0.1 "$p3" mxhold-proxy /bin/true 2>>"$T/px.log"
for p in $p0 $p1 $p2 $p3; do wait_until 10 port_open "$p" || { echo "redis bench: tcpserver did not start"; exit 1; }; done
conns "$p1" 50 >/dev/null; conns "$p2" 50 >/dev/null   # warm up, create the state file
: >"$T/t0"; : >"$T/t1"; : >"$T/t2"; : >"$T/t3"
for r in $(seq "$ROUNDS"); do
  bdiag "round $r/$ROUNDS: $N connections each way"
  conns "$p0" "$N" >>"$T/t0"
  conns "$p1" "$N" >>"$T/t1"
  conns "$p2" "$N" >>"$T/t2"
  conns "$p3" "$N" v2 >>"$T/t3"
done
fallbacks=$(grep -c 'redis-unavailable' "$T/rl.log")
keys=$(redis-cli -p "$rp" dbsize)
a=$(redis-cli -p "$rp" hget mxhold:rl:127.0.0.1 a); [ -n "$a" ] || a=0
echo "mxhold-ratelimit: gate latency, Redis versus local state (best of $ROUNDS rounds of $N sequential connections; load $(cut -d' ' -f1 /proc/loadavg))"
awk -v n="$N" -v t0="$(min <"$T/t0")" -v t1="$(min <"$T/t1")" -v t2="$(min <"$T/t2")" -v t3="$(min <"$T/t3")" 'BEGIN {
  printf "%-52s %10s %10s\n", "path", "conn/s", "ms/conn"
  printf "%-52s %10.0f %10.3f\n", "tcpserver ... /bin/true", n / t0, 1000 * t0 / n
  printf "%-52s %10.0f %10.3f\n", "tcpserver ... mxhold-ratelimit /bin/true (local)", n / t1, 1000 * t1 / n
  printf "%-52s %10.0f %10.3f\n", "tcpserver ... mxhold-ratelimit /bin/true (redis)", n / t2, 1000 * t2 / n
  printf "%-52s %10.0f %10.3f\n", "tcpserver ... mxhold-proxy /bin/true (v2 header)", n / t3, 1000 * t3 / n
  printf "%-52s %10s %10.3f\n", "added by the gate, local state", "", 1000 * (t1 - t0) / n
  printf "%-52s %10s %10.3f\n", "added by the gate, redis", "", 1000 * (t2 - t0) / n
  printf "%-52s %10s %10.3f\n", "redis minus local", "", 1000 * (t2 - t1) / n
  printf "%-52s %10s %10.3f\n", "added by mxhold-proxy", "", 1000 * (t3 - t0) / n
}'
echo "redis: $keys key(s); 127.0.0.1 admitted $a times since its key last expired; $fallbacks fallback(s) to local state logged"
