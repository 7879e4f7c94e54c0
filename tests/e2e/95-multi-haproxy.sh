#!/bin/bash
# 95: the whole several-hosts setup. haproxy (send-proxy-v2, round robin)
# in front of two relays on 127.0.0.2 and 127.0.0.3, each running
# mxhold-proxy mxhold-ratelimit mxhold-smtpd mxhold-queue with its own
# config, queue and state, both counting in one redis-server. A client
# (127.0.0.5) gets one budget across both hosts, counted against its own
# address, never haproxy's; both hosts log it; a message through either is
# queued with the real client.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/76-proxy-lib.bash"

rport=$(free_port); port=$(free_port); fport=$(free_port)
redis_start "$rport"
for h in a b; do
  mkconf -p 9 -d example.com -l 'connections 10 3600\nburst 10\n' "$T/$h" || exit 1
  echo "127.0.0.1:$rport" >"$T/$h/redis"
  echo 127.0.0.1 >"$T/$h/proxies"
  mxhold-conf compile "$T/$h" >/dev/null || nok "compile $h"
done
RELAY_ENV="MXHOLD_RL_REDIS_MS=300 MXHOLD_RL_NOW=1700000000" relay a 127.0.0.2 "$port" "$T/a"
RELAY_ENV="MXHOLD_RL_REDIS_MS=300 MXHOLD_RL_NOW=1700000000" relay b 127.0.0.3 "$port" "$T/b"
cat >"$T/haproxy.cfg" <<EOC
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend mx
  bind 127.0.0.1:$fport
  default_backend relays
backend relays
  balance roundrobin
  server a 127.0.0.2:$port send-proxy-v2
  server b 127.0.0.3:$port send-proxy-v2
EOC
haproxy_front "$T/haproxy.cfg"
wait_until 10 probe "$fport" || nok "haproxy did not start"
redis-cli -p "$rport" del mxhold:rl:127.0.0.254 >/dev/null

is "$($CLIENT 127.0.0.5 127.0.0.1 "$fport" mail)" "220 250 250 250 354 250 221" "a message through haproxy"
is "$($CLIENT 127.0.0.5 127.0.0.1 "$fport" mail)" "220 250 250 250 354 250 221" "and another (the other host)"
is "$(hits 8 127.0.0.5 127.0.0.1 "$fport")" "220 8" "8 more connections admitted: 10 in all"
is "$(hits 2 127.0.0.5 127.0.0.1 "$fport")" "421 2" "the 11th and 12th refused, whichever host they reach"
for h in a b; do
  between "$(count_lines "$T/$h.log" '^mxhold-proxy: info: proxied client=127\.0\.0\.5 .* ip=127\.0\.0\.1 proxy=v2$')" 5 7 "host $h: mxhold-proxy saw the real client on about half the connections"
  like "$(grep 'mxhold-ratelimit: info: refused' "$T/a.log" "$T/b.log")" "refused client=127\.0\.0\.5 key=127\.0\.0\.5 reason=rate count=11 " "the refusal names the real client and counts both hosts"
done
is "$(redis-cli -p "$rport" hmget mxhold:rl:127.0.0.5 a d | tr '\n' ' ')" "10 2 " "redis: 10 admitted, 2 refused for 127.0.0.5"
is "$(redis-cli -p "$rport" exists mxhold:rl:127.0.0.1)" 0 "haproxy's own address was never counted"
is "$(cat "$T"/a/q/new/* "$T"/a/q/mess/*/* "$T"/b/q/new/* "$T"/b/q/mess/*/* 2>/dev/null | grep -c '^client 127\.0\.0\.5$')" 2 "both messages queued with the real client, one per host"
check "one on each host" test "$(queue_count "$T/a/q")" = 1 -a "$(queue_count "$T/b/q")" = 1
done_testing
