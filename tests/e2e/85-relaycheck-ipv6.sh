#!/bin/bash
# relaycheck over IPv6 (::1): bracketed and bare address forms, the
# IPv6 address literal in the tricks, verdicts and JSON.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/postfix-lib.sh"
source "$(dirname "$0")/80-relaycheck-lib.bash"
command -v mxhold-relaycheck >/dev/null || { nok "mxhold-relaycheck not built"; exit 1; }
$PY -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null || { ok "# SKIP no IPv6 loopback"; exit 0; }
P=$(free_port); peer6 "$P" open
out=$($RC --timeout 5 "[::1]:$P"); rc=$?
is "$rc" 1 "open peer on [::1]: exit 1"
like "$out" "^target \[::1\]:$P \[IPv6:::1\] banner: 220 peer\.test" "target shown with the IPv6 literal"
like "$out" "source-route-literal .*<@\[IPv6:::1\]:relaytest@example\.org>" "IPv6 address literal in the tricks"
like "$out" "^summary: \[::1\]:$P open " "summary open"
is "$(peer_conns $P)" 1 "one connection"
P2=$(free_port); peer6 "$P2" tempfail
$RC --json --timeout 5 "[::1]:$P2" >"$T/j.json"; rc=$?
is "$rc" 111 "4xx peer on [::1]: exit 111"
is "$(jsonget "$T/j.json" 'j["host"], j["port"], j["address"], j["verdict"]')" "('::1', $P2, '[IPv6:::1]', 'inconclusive')" "JSON over IPv6"
printf '[::1]:%s\n[::1]:%s\n' "$P" "$P2" >"$T/hosts"
out=$($RC --batch "$T/hosts" --timeout 5); rc=$?
is "$rc" 1 "batch over IPv6: exit 1"
like "$(printf '%s\n' "$out" | tr '\n' '|')" "^\[::1\]:$P open .*\|\[::1\]:$P2 inconclusive " "batch lines over IPv6"
done_testing
