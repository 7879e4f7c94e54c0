#!/bin/bash
# 76: mxhold-proxy behind Debian's haproxy. send-proxy-v2 and send-proxy:
# the relay logs and queues the real client (127.0.0.5), not haproxy's
# 127.0.0.1. An untrusted peer is refused, with or without a PROXY header;
# a trusted peer's malformed header ends the connection with one line; a
# header that never comes times out; SMTP bytes behind the header reach
# smtpd untouched.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/76-proxy-lib.bash"
source "$TOP/tests/certs.sh"

mkconf -p 9 -d example.com "$T/c" || exit 1
printf '127.0.0.1\n::1/128\n' >"$T/c/proxies"
# a certificate, so smtpd offers STARTTLS (18-smtpd-tls.sh's way)
make_certs "$T/pki" || nok "make_certs"
mkdir "$T/c/tls" && cp "$T/pki/chain.pem" "$T/c/tls/cert.pem" && cp "$T/pki/server.key" "$T/c/tls/key.pem" && chmod 600 "$T/c/tls/key.pem"
mxhold-conf compile "$T/c" >/dev/null || nok "compile with proxies"
rport=$(free_port); v2port=$(free_port); v1port=$(free_port)
RELAY_ENV="MXHOLD_RL_NOW=1700000000" relay relay 127.0.0.1 "$rport" "$T/c" mxhold-proxy -t 2 mxhold-ratelimit mxhold-smtpd mxhold-queue

cat >"$T/haproxy.cfg" <<EOC
global
  maxconn 100
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend v2
  bind 127.0.0.1:$v2port
  default_backend relay_v2
frontend v1
  bind 127.0.0.1:$v1port
  default_backend relay_v1
backend relay_v2
  server r 127.0.0.1:$rport send-proxy-v2
backend relay_v1
  server r 127.0.0.1:$rport send-proxy
EOC
haproxy_front "$T/haproxy.cfg"
wait_until 10 probe "$v2port" && wait_until 10 probe "$v1port" || nok "haproxy did not start"

is "$($CLIENT 127.0.0.5 127.0.0.1 "$v2port" mail)" "220 250 250 250 354 250 221" "a message through haproxy send-proxy-v2"
is "$($CLIENT 127.0.0.6 127.0.0.1 "$v1port" mail)" "220 250 250 250 354 250 221" "a message through haproxy send-proxy (v1)"
swaks --server 127.0.0.1:"$v2port" --local-interface 127.0.0.8 --tls --tls-verify --tls-ca-path "$T/pki/ca.pem" \
  --tls-sni relay.test --ehlo client.test --from a@example.org --to postmaster@example.com --timeout 15 >"$T/swaks.out" 2>&1
check "STARTTLS through haproxy and mxhold-proxy: swaks sent a message over TLS" grep -q '<~  250 2.0.0 Ok: queued' "$T/swaks.out"
like "$(grep 'mxhold-smtpd: info: starttls ' "$T/relay.log")" "starttls client=127\.0\.0\.8 helo=client\.test tls=TLSv1\.3/" "smtpd's starttls line names the real client"
like "$(grep 'mxhold-proxy: info: proxied client=127.0.0.5 ' "$T/relay.log")" "proxied client=127\.0\.0\.5 port=[0-9]+ ip=127\.0\.0\.1 proxy=v2$" "proxy logs the real client, haproxy's address and v2"
like "$(grep 'mxhold-proxy: info: proxied client=127.0.0.6 ' "$T/relay.log")" "ip=127\.0\.0\.1 proxy=v1$" "and v1"
like "$(grep 'mxhold-smtpd: info: connect ' "$T/relay.log")" "connect client=127\.0\.0\.5 port=" "smtpd's connect line shows the real client (v2)"
like "$(grep 'mxhold-smtpd: info: connect ' "$T/relay.log")" "connect client=127\.0\.0\.6 port=" "and for v1"
unlike "$(grep 'mxhold-smtpd: info: connect ' "$T/relay.log")" "client=127\.0\.0\.1 " "smtpd never saw haproxy's address as the client"
like "$(grep 'mxhold-smtpd: info: connect ' "$T/relay.log")" "client=127\.0\.0\.254 " "(haproxy's start-up probes, from 127.0.0.254, too)"
is "$(cat "$T/c/q/new/"* "$T/c/q/mess/"*/* 2>/dev/null | grep '^client ' | sort | tr '\n' ' ')" "client 127.0.0.5 client 127.0.0.6 client 127.0.0.8 " "the queued messages name the real clients"
list=$(MXHOLD_RL_NOW=1700000000 mxhold-ratelimit -c "$T/c" -l)
like "$list" "127\.0\.0\.5 +1 " "ratelimit counted the real client"
unlike "$list" "^127\.0\.0\.1 " "and not haproxy"

# Untrusted peers: refused before a byte is read, header or not.
is "$($CLIENT 127.0.0.9 127.0.0.1 "$rport" greet)" "421 4.7.0 relay.test no access from this address" "an untrusted peer gets 421"
is "$($CLIENT 127.0.0.9 127.0.0.1 "$rport" greet 'PROXY TCP4 192.0.2.1 127.0.0.1 1234 25\r\n')" "421 4.7.0 relay.test no access from this address" "an untrusted peer sending a PROXY header is refused"
is "$(count_lines "$T/relay.log" '^mxhold-proxy: info: refused client=127\.0\.0\.9 reason=untrusted-proxy$')" 2 "one refused line each, reason=untrusted-proxy"
unlike "$(grep -E 'smtpd: info: connect' "$T/relay.log")" "192\.0\.2\.1|127\.0\.0\.9" "nothing of theirs reached smtpd"

# A trusted peer with a bad header, or none: the connection ends.
is "$($CLIENT 127.0.0.1 127.0.0.1 "$rport" idle 'PROXY TCP4 192.0.2.1 127.0.0.1 01234 25\r\n')" EOF "v1 with a leading-zero port: hung up"
is "$($CLIENT 127.0.0.1 127.0.0.1 "$rport" idle 'EHLO client.test\r\n')" EOF "SMTP with no header: hung up"
is "$($CLIENT 127.0.0.1 127.0.0.1 "$rport" idle '\r\n\r\n\x00\r\nQUIT\n\x21\x12\x00\x0c\x01\x02\x03\x04\x7f\x00\x00\x01\x00\x01\x00\x19')" EOF "v2 UDP: hung up"
is "$($CLIENT 127.0.0.1 127.0.0.1 "$rport" idle '\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x04\x01\x02\x03\x04')" EOF "v2 TCP4 with 4 address bytes: hung up"
like "$(grep 'reason=bad-header' "$T/relay.log" | head -1)" "^mxhold-proxy: warning: refused ip=127\.0\.0\.1 reason=bad-header detail=bad-port$" "bad-header with its detail"
is "$(count_lines "$T/relay.log" 'reason=bad-header detail=(bad-port|bad-signature|bad-family|short-addresses)$')" 4 "one line per malformed header"
is "$($CLIENT 127.0.0.1 127.0.0.1 "$rport" idle)" EOF "a header that never comes: hung up after -t 2"
is "$(count_lines "$T/relay.log" '^mxhold-proxy: warning: refused ip=127\.0\.0\.1 reason=header-timeout$')" 1 "logged as header-timeout"

# The header and SMTP in one segment: proxy reads not a byte past the
# header, so smtpd finds the QUIT already there before its greeting, and
# refuses the early talker (which it could not, had proxy swallowed it).
out=$($CLIENT 127.0.0.1 127.0.0.1 "$rport" greet 'PROXY TCP4 192.0.2.44 127.0.0.1 4444 25\r\nQUIT\r\n')
is "$out" "554 5.5.0 talked before the greeting, closing connection" "header and QUIT in one write: smtpd sees the QUIT"
wait_until 10 grep -q 'disconnect client=192.0.2.44 ' "$T/relay.log" || true
like "$(grep 'smtpd: info: disconnect client=192.0.2.44 ' "$T/relay.log")" "reason=talked-early" "as the client's, 192.0.2.44"
is "$($CLIENT 127.0.0.1 127.0.0.1 "$rport" mail 'PROXY TCP6 2001:db8::44 ::1 4444 25\r\n')" "220 250 250 250 354 250 221" "a v1 TCP6 header, then a message"
like "$(grep 'smtpd: info: connect client=2001:db8::44 ' "$T/relay.log")" "port=4444" "smtpd saw the IPv6 client and its port"

# usage: no program, a bad -t
mxhold-proxy 2>"$T/usage.log"; rc1=$?
mxhold-proxy -t 0 true 2>>"$T/usage.log"; rc2=$?
is "$rc1:$rc2" "100:100" "usage: exit 100 without a program or with -t 0"
like "$(head -1 "$T/usage.log")" '^mxhold-proxy: fatal: usage usage="mxhold-proxy \[ -c confdir \] \[ -t seconds \] prog\.\.\."$' "and the usage line"
# no config: every peer refused, with a warning
out=$(printf 'PROXY TCP4 192.0.2.9 127.0.0.1 1 25\r\n' | MXHOLD_CONF=$T/none TCPREMOTEIP=127.0.0.1 mxhold-proxy echo ran 2>"$T/noconf.log" | tr -d "\r")
is "$out" "421 4.7.0 localhost no access from this address" "no config: refused, not trusted"
like "$(cat "$T/noconf.log")" "warning: config-unreadable path=$T/none .*reason=no-trusted-proxies" "with the config warning"
done_testing
