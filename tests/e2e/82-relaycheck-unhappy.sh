#!/bin/bash
# relaycheck against servers that do not give a straight answer: 4xx to
# everything, 421 at connect, no banner at all, drops and 421 mid-session,
# garbage, 554 at connect, nobody listening. Exit codes, bounded time and
# bounded connections.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/postfix-lib.sh"
source "$(dirname "$0")/80-relaycheck-lib.bash"
command -v mxhold-relaycheck >/dev/null || { nok "mxhold-relaycheck not built"; exit 1; }

# secs CMD...: runs CMD, output in $out, exit code in $rc, seconds in $secs
secs () { local s=$(date +%s%N); out=$("$@" 2>"$T/err"); rc=$?; secs=$(( ($(date +%s%N) - s) / 1000000000 )); }

P=$(free_port); peer "$P" tempfail
secs $RC --timeout 5 127.0.0.1:$P
is "$rc" 111 "4xx to everything: exit 111"
like "$out" "^summary: 127\.0\.0\.1:$P inconclusive open=0 closed=0 " "summary inconclusive, nothing closed"
like "$out" "plain .*-> greeting: 451 4\.3\.0 try again later => unknown" "EHLO 451 recorded"
$RC --json --timeout 5 127.0.0.1:$P >"$T/t.json"
is "$(jsonget "$T/t.json" 'j["verdict"], j["exit"]')" "('inconclusive', 111)" "JSON: inconclusive, 111"
is "$(peer_conns $P)" 2 "one connection per run"

P=$(free_port); peer "$P" banner421
secs $RC --timeout 5 127.0.0.1:$P
is "$rc" 111 "421 at connect: exit 111"
like "$out" "error=\"421 4\.7\.0 too busy" "the 421 is the reason"
is "$(peer_conns $P)" 1 "421 at connect: no second connection"

P=$(free_port); peer "$P" banner554
secs $RC --timeout 5 127.0.0.1:$P
is "$rc" 0 "554 at connect: exit 0 (refuses strangers outright)"
like "$out" "plain .*-> banner: 554 5\.7\.1 no service for you => closed" "554 banner recorded per trick"
is "$(peer_conns $P)" 1 "554 at connect: one connection"

P=$(free_port); peer "$P" stall
secs $RC --timeout 2 --deadline 30 127.0.0.1:$P
is "$rc" 111 "no banner: exit 111"
like "$out" "error=\"timeout\"" "timeout reported"
[ "$secs" -le 4 ] && ok "gave up after the step timeout ($secs s)" || nok "took $secs s with --timeout 2"
is "$(peer_conns $P)" 1 "a tarpit gets one connection only"

P=$(free_port); peer "$P" stall
secs $RC --timeout 60 --deadline 2 127.0.0.1:$P
is "$rc" 111 "deadline shorter than timeout: exit 111"
[ "$secs" -le 4 ] && ok "the host deadline bounds the whole check ($secs s)" || nok "took $secs s with --deadline 2"

P=$(free_port); peer "$P" drop3
secs $RC --timeout 5 --connections 4 127.0.0.1:$P
is "$rc" 1 "open server that drops every 3rd RCPT: still found open"
like "$out" "conns=4 " "stopped at --connections 4"
like "$out" "error=\"connection limit reached\"" "limit reported"
is "$(peer_conns $P)" 4 "server saw exactly 4 connections"

P=$(free_port); peer "$P" say421
secs $RC --timeout 5 --connections 3 127.0.0.1:$P
is "$rc" 1 "open server that says 421 after 2 RCPTs: open"
like "$out" "nohelo-null .*-> rcpt: 250 .*=> OPEN" "the trick interrupted by 421 was retried on a new connection"
is "$(peer_conns $P)" 3 "421 mid-session: reconnects, bounded by --connections 3"

# a server that verifies recipients but relays user%foreign@own: the
# hidden tricks are open because the controls were refused
P=$(free_port); peer "$P" percent
secs $RC --timeout 5 --domain own.example 127.0.0.1:$P
is "$rc" 1 "percent-hack relay: exit 1"
like "$out" "ctl-domain .*-> rcpt: 550 .*=> verifies" "control refused: verifies"
like "$out" "percent-domain .*<relaytest%example\.org@own\.example> -> rcpt: 250 .*=> OPEN" "percent hack at the own domain: OPEN"
like "$out" "bang-domain .*-> rcpt: 550 .*=> closed" "bang path refused"
like "$out" " first=helo-percent" "first open trick: the percent hack after HELO"

P=$(free_port); peer "$P" rsetstall
secs $RC --timeout 2 127.0.0.1:$P
is "$rc" 1 "open server that stalls on RSET: open (the first trick was accepted)"
like "$out" "nohelo-plain .*-> rcpt: 250 .*=> OPEN" "first trick's answer kept"
like "$out" " error=\"timeout\"" "RSET timeout stops the check"
is "$(peer_conns $P)" 1 "no reconnect after a timeout"
[ "$secs" -le 4 ] && ok "one step timeout spent ($secs s)" || nok "took $secs s"

P=$(free_port); peer "$P" garbage
secs $RC --timeout 5 127.0.0.1:$P
is "$rc" 111 "malformed reply: exit 111"
like "$out" "error=\"malformed reply\"" "malformed reply reported"
is "$(peer_conns $P)" 1 "malformed reply: no reconnect"

P=$(free_port)
secs $RC --timeout 5 127.0.0.1:$P
is "$rc" 111 "connection refused: exit 111"
like "$out" "error=\"Connection refused\"" "connection refused reported"
unlike "$out" "=> (OPEN|closed)" "no trick judged"

secs $RC --timeout 5 no-such-host.invalid:25
is "$rc" 111 "unresolvable name: exit 111"

secs $RC --timeout 0 127.0.0.1:$P
is "$rc" 100 "bad option: exit 100"
is "$(cat "$T/err")" 'mxhold-relaycheck: fatal: usage option=timeout value=0 reason=out-of-range' "bad option diagnostic"
secs $RC --domain 'a b' 127.0.0.1:$P
is "$rc" 100 "blank in --domain refused: exit 100"
is "$(cat "$T/err")" 'mxhold-relaycheck: fatal: usage option=domain value="a b" reason=bad-character' "blank in --domain: the value quoted in the log line"
secs $RC 'bad host:x'
is "$rc" 100 "a bad HOST[:PORT]: exit 100"
is "$(cat "$T/err")" 'mxhold-relaycheck: fatal: usage option=host value="bad host:x" reason=not-host-port' "a bad HOST[:PORT]: one fatal line"
secs $RC --batch "$T/no-such-list"
is "$rc" 111 "a batch file that cannot be opened: exit 111"
is "$(cat "$T/err")" "mxhold-relaycheck: fatal: open-failed path=$T/no-such-list error=\"No such file or directory\"" "and one fatal line"
secs $RC
is "$rc" 100 "no host: exit 100"
like "$(cat "$T/err")" '^mxhold-relaycheck: fatal: usage usage="mxhold-relaycheck \[ --domain D \]' "usage line"
done_testing
