#!/bin/bash
# relaycheck against mxhold-smtpd under tcpserver: closed, whatever the
# own domain is; nothing is queued by the check; JSON parses.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/postfix-lib.sh"
source "$(dirname "$0")/80-relaycheck-lib.bash"
for p in mxhold-relaycheck mxhold-smtpd mxhold-queue mxhold-conf mxhold-queuectl; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
rcconf "$T/conf" || exit 1
P=$(free_port)
smtp_server "$P" "$T/conf"

out=$($RC --timeout 10 127.0.0.1:$P 2>"$T/err"); rc=$?
is "$rc" 0 "smtpd, own domain = its address literal: exit 0"
like "$out" "^summary: 127\.0\.0\.1:$P closed open=0 " "summary says closed"
n=$(printf '%s\n' "$out" | grep -c ' => ')
[ "$n" -ge 20 ] && ok "one line per trick ($n)" || nok "only $n trick lines"
unlike "$out" "=> (OPEN|unknown)" "no trick open or unknown"
like "$out" "conns=1 " "one connection for the whole battery"
is "$(cat "$T/err")" "" "nothing on stderr"

# With the customer domain as own domain, smtpd takes any mailbox there:
# the control shows it, and the hidden tricks must still be refused.
out=$($RC --timeout 10 --domain example.com 127.0.0.1:$P); rc=$?
is "$rc" 0 "smtpd, --domain example.com: exit 0"
like "$out" "ctl-domain .*=> no-verify" "control mailbox at example.com accepted (no recipient verification)"
like "$out" "percent-domain .*relaytest%example\.org@example\.com.*=> closed" "percent hack at example.com refused"
like "$out" "source-route .*<@example\.com:relaytest@example\.org>.*=> closed" "source route refused"
like "$out" "quoted-domain .*=> closed" "quoted local part hiding an @ refused"

$RC --json --timeout 10 --domain example.com --foreign far.example 127.0.0.1:$P >"$T/j.json"; rc=$?
is "$rc" 0 "--json: exit 0"
is "$(jsonget "$T/j.json" 'j["verdict"]')" closed "JSON verdict closed"
is "$(jsonget "$T/j.json" 'j["exit"]')" 0 "JSON exit 0"
is "$(jsonget "$T/j.json" 'len(j["tricks"]) >= 20')" True "JSON has all tricks"
is "$(jsonget "$T/j.json" 'all(t["code"] >= 500 for t in j["tricks"] if t["class"] in ("relay","hidden"))')" True "JSON: every relaying trick got 5xx"
is "$(jsonget "$T/j.json" '[t["rcpt"] for t in j["tricks"] if t["name"]=="plain"][0]')" "<relaytest@far.example>" "--foreign used in the recipients"
is "$(queue_count "$T/conf/q")" 0 "nothing was queued by the checks"
done_testing
