#!/bin/bash
# relaycheck --direct DOMAIN: the customer's own server (second MX) should
# take mail for DOMAIN only from the relay. Postfix plays that server: once
# taking cust.example's mail from anybody (warning), once only from its
# networks (ok). Both are closed relays.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/postfix-lib.sh"
source "$(dirname "$0")/80-relaycheck-lib.bash"
command -v mxhold-relaycheck >/dev/null || { nok "mxhold-relaycheck not built"; exit 1; }

P=$(free_port)
closed_postfix "$T/a" "$P" "mydestination = cust.example" || { nok "Postfix did not start"; exit 1; }
out=$($RC --timeout 10 --direct cust.example 127.0.0.1:$P); rc=$?
is "$rc" 1 "server takes cust.example's mail from a stranger: exit 1"
like "$out" "direct +ehlo MAIL FROM:<relaytest@example\.org> RCPT TO:<postmaster@cust\.example> -> rcpt: 250 .*=> WARN" "direct trick accepted: WARN"
like "$out" "^summary: 127\.0\.0\.1:$P closed .* direct=WARN" "relay closed, direct warning in the summary"
like "$out" "percent-domain .*<relaytest%example\.org@cust\.example>" "--direct domain is the own domain of the tricks"
$RC --json --timeout 10 --direct cust.example 127.0.0.1:$P >"$T/d.json"
is "$(jsonget "$T/d.json" 'j["verdict"], j["direct"], j["exit"]')" "('closed', 'WARN', 1)" "JSON: closed, direct WARN, exit 1"
postfix_stop "$T/a"

P=$(free_port)
closed_postfix "$T/b" "$P" "mydestination = cust.example" "smtpd_client_restrictions = permit_mynetworks, reject" || { nok "Postfix did not start"; exit 1; }
out=$($RC --timeout 10 --direct cust.example 127.0.0.1:$P); rc=$?
is "$rc" 0 "server takes mail only from its networks: exit 0"
like "$out" "direct .*-> rcpt: 554 .*=> ok" "direct trick refused: ok"
like "$out" "^summary: 127\.0\.0\.1:$P closed .* direct=ok" "summary: closed, direct=ok"
postfix_stop "$T/b"

P=$(free_port)
out=$($RC --timeout 5 --direct cust.example 127.0.0.1:$P); rc=$?
is "$rc" 111 "firewalled (nothing listens): exit 111, cannot tell"
like "$out" "direct=unknown" "direct unknown"
done_testing
