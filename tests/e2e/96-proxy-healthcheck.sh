#!/bin/bash
# 96: haproxy's SMTP health checks through mxhold-proxy. With
# check-send-proxy, haproxy opens each check with a PROXY v2 LOCAL header:
# mxhold-proxy keeps the peer's own address (proxy=local), smtpd answers
# the check's HELO, and haproxy marks the relay UP; with the relay gone,
# DOWN. Real clients through the same backend are still seen as
# themselves.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/76-proxy-lib.bash"

mkconf -p 9 -d example.com -c '127.0.0.1 connections=unlimited\n' "$T/c" || exit 1
echo 127.0.0.1 >"$T/c/proxies"
mxhold-conf compile "$T/c" >/dev/null || nok "compile"
rport=$(free_port); fport=$(free_port)
relay relay 127.0.0.2 "$rport" "$T/c"
RELAY_PID=$LASTPID
cat >"$T/haproxy.cfg" <<EOC
global
  stats socket $T/hap.sock
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout check 2s
frontend mx
  bind 127.0.0.1:$fport
  default_backend relays
backend relays
  option smtpchk HELO haproxy.test
  server a 127.0.0.2:$rport send-proxy-v2 check check-send-proxy inter 200ms fall 2 rise 1
EOC
haproxy_front "$T/haproxy.cfg"
# status STATE: haproxy's stats say server relays/a is STATE
status () {
  [ "$($PY - "$T/hap.sock" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
d = b""
while True:
    c = s.recv(65536)
    if not c: break
    d += c
rows = [l.split(",") for l in d.decode().splitlines()]
h = rows[0]; h[0] = h[0].lstrip("# ")
for r in rows[1:]:
    if len(r) > 17 and r[0] == "relays" and r[1] == "a": print(r[h.index("status")])
PYEOF
)" = "$1" ]
}
check "haproxy's SMTP check through mxhold-proxy: relay UP" wait_until 15 status UP
like "$(grep 'mxhold-proxy: info: proxied' "$T/relay.log" | head -1)" "^mxhold-proxy: info: proxied client=127\.0\.0\.1 ip=127\.0\.0\.1 proxy=local$" "the check's LOCAL header keeps haproxy's own address"
like "$(grep 'mxhold-smtpd: info: disconnect client=127.0.0.1 ' "$T/relay.log" | head -1)" "refused=0 .*reason=quit$" "smtpd served the check (HELO, QUIT) without a refusal"
is "$($CLIENT 127.0.0.5 127.0.0.1 "$fport" mail)" "220 250 250 250 354 250 221" "a client's message through the checked backend"
like "$(grep 'mxhold-proxy: info: proxied client=127.0.0.5 ' "$T/relay.log")" "proxy=v2$" "seen as itself (v2 PROXY)"
kill -TERM "$RELAY_PID"
check "relay stopped: haproxy marks it DOWN" wait_until 15 status DOWN
done_testing
