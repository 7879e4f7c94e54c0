#!/bin/bash
# relaycheck against real Postfix instances: one deliberately open (every
# network is "mynetworks"), one with the stock relay rules (closed). The
# check must relay nothing (RSET after RCPT); --probe sends one message.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/postfix-lib.sh"
source "$(dirname "$0")/80-relaycheck-lib.bash"
command -v mxhold-relaycheck >/dev/null || { nok "mxhold-relaycheck not built"; exit 1; }
PO=$(free_port)
open_postfix "$T/open" "$PO" || { nok "open Postfix did not start"; exit 1; }

out=$($RC --timeout 10 127.0.0.1:$PO); rc=$?
is "$rc" 1 "open Postfix: exit 1"
like "$out" "^summary: 127\.0\.0\.1:$PO open open=[1-9]" "summary says open"
like "$out" "plain +ehlo MAIL FROM:<relaytest@example\.org> RCPT TO:<relaytest@example\.org> -> rcpt: 250 .*=> OPEN" "plain foreign recipient accepted with 250"
like "$out" "source-route .*=> OPEN" "source route accepted"
like "$out" "first=nohelo-plain" "first open trick named"
like "$out" "conns=1 " "one connection"

$RC --json --timeout 10 --foreign far.example 127.0.0.1:$PO >"$T/o.json"; rc=$?
is "$rc" 1 "--json open: exit 1"
is "$(jsonget "$T/o.json" 'j["verdict"], j["exit"], j["counts"]["open"] > 0')" "('open', 1, True)" "JSON: open, exit 1, open count"
is "$(jsonget "$T/o.json" '[t["verdict"] for t in j["tricks"] if t["name"]=="plain"][0]')" OPEN "JSON: plain trick OPEN"

# RSET after every RCPT: Postfix never received a message from the checks.
# Its log is written by postlogd, after the fact: wait until it has the end
# of every session of the two checks (each "disconnect" line with rset=;
# a message would have reached cleanup before that session ended).
sessions=$((1 + $(jsonget "$T/o.json" 'j["connections"]')))
ended () { [ "$(postfix_log "$T/open" | grep -c 'disconnect from.* rset=')" -ge "$sessions" ]; }
wait_until 10 ended && ok "Postfix logged the end of all $sessions sessions" || nok "Postfix did not log $sessions sessions' end"
n=$(postfix_log "$T/open" | grep -c 'postfix/cleanup.*message-id=')
is "$n" 0 "no message reached Postfix's cleanup during the checks"
like "$(postfix_log "$T/open" | grep 'disconnect from' | tail -1)" "rset=[1-9]" "Postfix saw RSETs"

# --probe: one real message to the operator's mailbox, which Postfix takes
out=$($RC --timeout 10 --probe ops@proof.example 127.0.0.1:$PO); rc=$?
is "$rc" 1 "--probe on the open relay: exit 1"
like "$out" "probe +ehlo MAIL FROM:<relaytest@example\.org> RCPT TO:<ops@proof\.example> -> dot: 250 .*=> OPEN" "probe message accepted after the final dot"
wait_until 10 sh -c "grep -q 'to=<ops@proof.example>.*status=sent' '$T/open/maillog'" && ok "probe delivered (discarded) by Postfix" || nok "no delivery of the probe in Postfix's log"
is "$(postfix_log "$T/open" | grep -c 'postfix/cleanup.*message-id=')" 1 "exactly one message: the probe"
postfix_stop "$T/open"

PC=$(free_port)
closed_postfix "$T/closed" "$PC" || { nok "closed Postfix did not start"; exit 1; }
out=$($RC --timeout 10 127.0.0.1:$PC); rc=$?
is "$rc" 0 "Postfix with stock relay rules: exit 0"
like "$out" "^summary: 127\.0\.0\.1:$PC closed open=0 " "summary says closed"
like "$out" "plain .*-> rcpt: 454 4\.7\.1 .*Relay access denied.*=> closed" "plain foreign recipient: stock 454 4.7.1 Relay access denied counts as refused"
like "$out" " conns=2 " "reconnected once, after Postfix's 421 at its hard error limit (20)"
out=$($RC --timeout 10 --probe ops@proof.example 127.0.0.1:$PC); rc=$?
is "$rc" 0 "--probe on the closed server: exit 0"
like "$out" "probe .*-> rcpt: 454 .*=> closed" "probe refused at RCPT, no DATA"
postfix_stop "$T/closed"
done_testing
