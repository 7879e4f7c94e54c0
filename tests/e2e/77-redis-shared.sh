#!/bin/bash
# 77: two relay "hosts" on 127.0.0.2 and 127.0.0.3, each with its own
# config and state, sharing one real redis-server: a client's connections
# are counted across both. Redis stopped (SIGSTOP: slow) and then killed:
# both keep serving on their local state, each logs the outage once, and
# its end once when redis is back.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/76-proxy-lib.bash"

rport=$(free_port); port=$(free_port); rport2=$(free_port)
redis_start "$rport2"   # the smoothing comparison's, near the end
REDIS2_PID=$REDIS_PID
redis_start "$rport"    # REDIS_PID: the one stopped and killed
for h in a b; do
  mkconf -p 9 -d example.com -l 'connections 10 3600\nburst 10\n' "$T/$h" || exit 1
  echo "127.0.0.1:$rport" >"$T/$h/redis"
  mxhold-conf compile "$T/$h" >/dev/null || nok "compile $h"
done
# 300 ms, not the default 50: two cores shared with the rest of the suite
RELAY_ENV="MXHOLD_RL_REDIS_MS=300 MXHOLD_RL_NOW=1700000000" relay a 127.0.0.2 "$port" "$T/a" mxhold-ratelimit mxhold-smtpd mxhold-queue
RELAY_ENV="MXHOLD_RL_REDIS_MS=300 MXHOLD_RL_NOW=1700000000" relay b 127.0.0.3 "$port" "$T/b" mxhold-ratelimit mxhold-smtpd mxhold-queue

is "$(hits 5 127.0.0.7 127.0.0.2 "$port")" "220 5" "5 connections from 127.0.0.7 to host a admitted"
is "$(hits 5 127.0.0.7 127.0.0.3 "$port")" "220 5" "5 to host b admitted"
is "$($CLIENT 127.0.0.7 127.0.0.2 "$port")" "421 4.7.0 relay.test too many connections from 127.0.0.7: 10 per 3600s; retry after 360s" "the 11th, on a, is refused: both hosts counted"
like "$($CLIENT 127.0.0.7 127.0.0.3 "$port")" "^421 4\.7\.0 " "and on b"
is "$(redis-cli -p "$rport" hmget mxhold:rl:127.0.0.7 a d | tr '\n' ' ')" "10 2 " "redis holds the client's counts: 10 admitted, 2 refused"
ttl=$(redis-cli -p "$rport" pttl mxhold:rl:127.0.0.7)
between "$ttl" 3000000 3601000 "the key expires when its budget is whole again (pttl ms)"
like "$(grep 'refused client=127.0.0.7 ' "$T/b.log")" "count=11 burst=10 refusals=2 " "b's refusal line counts a's connections too"
is "$(hits 3 127.0.0.8 127.0.0.3 "$port")" "220 3" "another client is not affected"
# Atomic across hosts: 24 connections at once, 12 to each host, for one
# client whose budget is 10: exactly 10 admitted in all.
out=$(par_hits 24 127.0.0.12 "$port" 127.0.0.2 127.0.0.3)
is "$out" "220 10
421 14" "24 connections at once over both hosts: exactly 10 admitted"
is "$(redis-cli -p "$rport" hmget mxhold:rl:127.0.0.12 a d | tr '\n' ' ')" "10 14 " "redis counted each one once"
is "$(cat "$T/a.log" "$T/b.log" | grep -c 'redis-unavailable')" 0 "(none of them fell back to local state)"
is "$(ls "$T"/a/q/ratelimit.state* 2>/dev/null | wc -l)" 0 "no local state touched while redis answers"

# Slow: redis stopped. Each connection waits at most the timeout.
kill -STOP "$REDIS_PID"
start=$(date +%s%N)
is "$(hits 4 127.0.0.9 127.0.0.2 "$port")" "220 4" "redis stopped: host a still admits (local state)"
is "$(hits 4 127.0.0.9 127.0.0.3 "$port")" "220 4" "and host b"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
between "$ms" 0 8000 "8 sessions with redis stopped within 8 s (each waits the 300 ms timeout, no more)"
is "$(count_lines "$T/a.log" 'warning: redis-unavailable redis=127\.0\.0\.1:[0-9]+ reason=timeout ')" 1 "a logged the outage once (reason=timeout)"
is "$(count_lines "$T/b.log" 'warning: redis-unavailable ')" 1 "b too, once"
is "$(MXHOLD_RL_NOW=1700000000 MXHOLD_CONF=$T/a mxhold-ratelimit -l | grep -c '^127\.0\.0\.9 ')" 1 "a's local state counted the client"
kill -CONT "$REDIS_PID"
$CLIENT 127.0.0.10 127.0.0.2 "$port" >/dev/null
is "$(count_lines "$T/a.log" 'info: redis-restored redis=127\.0\.0\.1:[0-9]+$')" 1 "redis back: a says so once"
$CLIENT 127.0.0.10 127.0.0.2 "$port" >/dev/null
is "$(count_lines "$T/a.log" 'redis-restored')" 1 "and only once"
$CLIENT 127.0.0.10 127.0.0.3 "$port" >/dev/null
is "$(count_lines "$T/b.log" 'info: redis-restored ')" 1 "b too, at its next connection"
is "$(redis-cli -p "$rport" hget mxhold:rl:127.0.0.10 a)" 3 "counting is back in redis"

# Killed mid-test: the relays keep serving, one line each.
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
is "$(hits 6 127.0.0.11 127.0.0.2 "$port")" "220 6" "redis killed: host a serves on"
is "$(hits 6 127.0.0.11 127.0.0.3 "$port")" "220 6" "host b serves on"
is "$(count_lines "$T/a.log" 'warning: redis-unavailable redis=127\.0\.0\.1:[0-9]+ reason=connect error="Connection refused" ')" 1 "a: the new outage logged once (reason=connect)"
is "$(count_lines "$T/b.log" 'warning: redis-unavailable .*reason=connect ')" 1 "b: once"
is "$(hits 6 127.0.0.11 127.0.0.2 "$port")" "220 4
421 2" "local limits still hold on a (10 per host while redis is down)"
like "$(mxhold-queuectl -c "$T/a" metrics -)" "
mxhold_redis_fallbacks_total 16
" "the metrics count a's 16 connections on local state (4 stopped, 12 killed)"

# Same smoothing: one sequence of connections at irregular times, counted
# by the local state and by Redis under the same limit (5 per 60 s, burst
# 3), gets the same verdicts and the same retry-after, one by one.
mkconf -q "$T/l.q" -Q -p 9 -d example.com -l 'connections 5 60\nburst 3\n' "$T/l" || exit 1
mkconf -q "$T/r.q" -Q -p 9 -d example.com -l 'connections 5 60\nburst 3\n' "$T/r" || exit 1
echo "127.0.0.1:$rport2" >"$T/r/redis"
mxhold-conf compile "$T/r" >/dev/null || nok "compile r"
verdict () { printf 'QUIT\r\n' | MXHOLD_CONF=$1 MXHOLD_RL_NOW=$2 TCPREMOTEIP=198.51.100.$3 mxhold-ratelimit echo admitted 2>/dev/null | head -1 | tr -d '\r'; }
t=1700000000; same=0; n=0; refused=0
for gap in 0 0 0 0 1 5 12 12 0 0 30 0 0 0 0 0 7.5 3.25 0 60 0 0 0 0 0 11.9 12.1 0 0 0.000001 24 0 0 0 1; do
  t=$($PY -c "print('%.6f' % ($t + $gap))")
  a=$(verdict "$T/l" "$t" 7); b=$(verdict "$T/r" "$t" 7)
  n=$((n + 1)); [ "$a" = "$b" ] && same=$((same + 1))
  case $a in 421*) refused=$((refused + 1)) ;; esac
  [ "$a" = "$b" ] || diag "at $t: local '$a', redis '$b'"
done
is "$same/$n" "$n/$n" "local state and Redis agree on every verdict and retry-after"
between "$refused" 5 30 "(and the sequence has refusals: $refused of $n)"
# The default deadline, 50 ms: a stopped Redis costs a connection no more.
kill -STOP "$REDIS2_PID"
start=$(date +%s%N)
is "$(MXHOLD_CONF=$T/r MXHOLD_RL_NOW=$t TCPREMOTEIP=198.51.100.8 mxhold-ratelimit echo admitted 2>"$T/r.log" </dev/null)" admitted "redis stopped, default deadline: admitted on local state"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -CONT "$REDIS2_PID"
between "$ms" 0 1000 "within a second, the exec included ($ms ms)"
like "$(cat "$T/r.log")" "redis-unavailable redis=127\.0\.0\.1:$rport2 reason=timeout " "logged as a timeout"
: a unix socket, [IPv6]:PORT.
bg redis-server --port 0 --unixsocket "$T/r.sock" --save '' --appendonly no --dir "$T" >>"$T/redis.sock.out" 2>&1
wait_until 10 eval '[ "$(redis-cli -s "$T/r.sock" ping 2>/dev/null)" = PONG ]' || nok "redis on a unix socket did not start"
mkconf -q "$T/c.q" -Q -p 9 -d example.com -l 'connections 2 3600\nburst 2\n' "$T/c" || exit 1
echo "$T/r.sock" >"$T/c/redis"
mxhold-conf compile "$T/c" >/dev/null || nok "compile with a socket path"
gate () { printf 'QUIT\r\n' | MXHOLD_CONF=$T/c MXHOLD_RL_NOW=1700000000 TCPREMOTEIP=$1 mxhold-ratelimit echo admitted 2>>"$T/c.log" | head -1 | cut -c1-9; }
is "$(gate 192.0.2.1; gate 192.0.2.1; gate 192.0.2.1)" "admitted
admitted
421 4.7.0" "socket path: 2 admitted, the third refused"
is "$(redis-cli -s "$T/r.sock" hmget mxhold:rl:192.0.2.1 a d | tr '\n' ' ')" "2 1 " "counted in the redis on the socket"
gate 2001:db8:1:2::7 >/dev/null
is "$(redis-cli -s "$T/r.sock" hget mxhold:rl:2001:db8:1:2::/64 a)" 1 "an IPv6 client is counted as its /64"
if $PY -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
  p6=$(free_port)
  bg redis-server --port "$p6" --bind ::1 --save '' --appendonly no --dir "$T" >>"$T/redis.6.out" 2>&1
  wait_until 10 eval '[ "$(redis-cli -h ::1 -p '"$p6"' ping 2>/dev/null)" = PONG ]' || nok "redis on ::1 did not start"
  echo "[::1]:$p6" >"$T/c/redis"
  mxhold-conf compile "$T/c" >/dev/null || nok "compile with [::1]:PORT"
  is "$(gate 192.0.2.2)" admitted "[::1]:PORT: admitted"
  is "$(redis-cli -h ::1 -p "$p6" hget mxhold:rl:192.0.2.2 a)" 1 "counted in the redis on ::1"
else
  ok "# SKIP no IPv6 loopback"
fi
is "$(count_lines "$T/c.log" 'redis-unavailable')" 0 "no outage on either"

# A Redis that wants a password: an error reply, logged with its text, and
# the host counts on its own.
pa=$(free_port)
bg redis-server --port "$pa" --bind 127.0.0.1 --requirepass secret --save '' --appendonly no --dir "$T" >>"$T/redis.auth.out" 2>&1
wait_until 10 eval '[ "$(redis-cli -p '"$pa"' ping 2>/dev/null | cut -c1-6)" = NOAUTH ]' || nok "redis with a password did not start"
echo "127.0.0.1:$pa" >"$T/c/redis"
mxhold-conf compile "$T/c" >/dev/null || nok "compile"
is "$(gate 192.0.2.3)" admitted "NOAUTH: admitted on local state"
like "$(grep 'redis-unavailable' "$T/c.log")" "reason=error-reply detail=\"NOAUTH Authentication required\.\"" "logged with Redis's own words"
is "$(MXHOLD_RL_NOW=1700000000 mxhold-ratelimit -c "$T/c" -l | grep -c '^192\.0\.2\.3 ')" 1 "and counted in the local state"
# Redis unusable and the local state too: closed for now, never open
rm -f "$T/c.q/ratelimit.state"; mkdir "$T/c.q/ratelimit.state"
is "$(gate 192.0.2.4)" "421 4.3.0" "no redis, no local state: 421 4.3.0, not an admission"
like "$(grep 'reason=state-unusable' "$T/c.log")" "refused client=192\.0\.2\.4 reason=state-unusable " "with its line"
echo "$T/r.sock" >"$T/c/redis"
mxhold-conf compile "$T/c" >/dev/null || nok "compile"
is "$(gate 192.0.2.4)" admitted "redis back: counted there, the broken local state does not matter"
done_testing
