#!/bin/bash
# relaycheck --batch: a file of hosts in, one line per host out, in input
# order; bounded parallelism; per-host limits; JSON lines.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/postfix-lib.sh"
source "$(dirname "$0")/80-relaycheck-lib.bash"
for p in mxhold-relaycheck mxhold-smtpd mxhold-conf mxhold-queuectl; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
rcconf "$T/conf" || exit 1
PS=$(free_port); smtp_server "$PS" "$T/conf"
PO=$(free_port); open_postfix "$T/open" "$PO" || { nok "Postfix did not start"; exit 1; }
PT=$(free_port); peer "$PT" tempfail
PX=$(free_port); peer "$PX" stall

cat >"$T/hosts" <<EOH
# customers
127.0.0.1:$PS domain=example.com
127.0.0.1:$PO

127.0.0.1:$PT
EOH
out=$($RC --batch "$T/hosts" --jobs 2 --timeout 10 2>"$T/err"); rc=$?
is "$rc" 1 "batch with an open host: exit 1 (the worst)"
is "$(printf '%s\n' "$out" | wc -l)" 3 "one line per host"
like "$(printf '%s\n' "$out" | sed -n 1p)" "^127\.0\.0\.1:$PS closed open=0 closed=[0-9]+ local=0 unknown=0 conns=1 ms=[0-9]+$" "line 1: mxhold-smtpd closed"
like "$(printf '%s\n' "$out" | sed -n 2p)" "^127\.0\.0\.1:$PO open open=[1-9][0-9]* .* first=nohelo-plain$" "line 2: Postfix open"
like "$(printf '%s\n' "$out" | sed -n 3p)" "^127\.0\.0\.1:$PT inconclusive " "line 3: 4xx server inconclusive"
is "$(cat "$T/err")" "" "nothing on stderr"

$RC --batch "$T/hosts" --json --jobs 3 --timeout 10 >"$T/b.json"
is "$(wc -l <"$T/b.json")" 3 "JSON lines: one per host"
for i in 0 1 2; do
  jsonget "$T/b.json" 'j["verdict"]' $i >>"$T/v" 2>>"$T/jerr" || nok "JSON line $i does not parse"
done
is "$(tr '\n' ' ' <"$T/v")" "closed open inconclusive " "JSON verdicts in input order"

# per-host time limit and parallelism: 3 stalling hosts, 2 at a time,
# deadline 2 s each -> about 4 s, never 3 x timeout
printf '127.0.0.1:%s\n127.0.0.1:%s\n127.0.0.1:%s\n' "$PX" "$PX" "$PX" >"$T/stall"
s=$(date +%s%N)
out=$($RC --batch "$T/stall" --jobs 2 --timeout 30 --deadline 2); rc=$?
ms=$(( ($(date +%s%N) - s) / 1000000 ))
is "$rc" 111 "all hosts stall: exit 111"
is "$(printf '%s\n' "$out" | grep -c ' inconclusive .*error="timeout"')" 3 "three timeout lines"
[ "$ms" -ge 3500 ] && [ "$ms" -le 8000 ] && ok "2 jobs x 2 s deadline: ${ms} ms" || nok "batch of 3 stalls took ${ms} ms (want ~4000)"

# the per-host kill: a check that hangs past deadline + timeout + 5 s (here
# made to hang with SIGSTOP, as a getaddrinfo without answer would) is
# killed and reported; the other host is still checked
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$PX" "$PS" >"$T/hang"
# The stalled host's child is forked first. Once the stalling peer has seen
# its connection and only one child is left, that child is the stalled one
# (the closed host's check is done, or not forked yet: either way it runs
# to the end while the other is stopped).
: >"$T/peer.$PX.log"
onechild () { [ -s "$T/peer.$PX.log" ] && [ "$(pgrep -P "$bp" | wc -l)" = 1 ]; }
$RC --batch "$T/hang" --jobs 2 --timeout 3 --deadline 3 >"$T/hang.out" 2>&1 &
bp=$!
wait_until 5 onechild || nok "batch children not as expected"
c=$(pgrep -P "$bp"); [ -n "$c" ] && kill -STOP "$c"
s=$(date +%s)
wait_until 20 sh -c "! kill -0 $bp 2>/dev/null"
wait "$bp"; rc=$?
el=$(( $(date +%s) - s ))
is "$rc" 111 "hung check: exit 111"
like "$(sed -n 1p "$T/hang.out")" "^127\.0\.0\.1:$PX inconclusive ms=[0-9]+ error=\"host time limit exceeded\"$" "hung host killed and reported"
like "$(sed -n 2p "$T/hang.out")" "^127\.0\.0\.1:$PS closed " "the other host checked"
[ "$el" -le 13 ] && ok "killed at the host time limit, 3 + 3 + 5 s (${el} s after the stop)" || nok "kill took $el s"

# bad lines are reported and skipped; the rest is checked
printf 'not a host:x\n127.0.0.1:%s bogus=1\n127.0.0.1:%s\n' "$PS" "$PS" >"$T/bad"
out=$($RC --batch - --timeout 10 <"$T/bad" 2>"$T/err"); rc=$?
is "$rc" 111 "bad lines: exit 111"
is "$(printf '%s\n' "$out" | wc -l)" 1 "only the good line checked"
is "$(cat "$T/err")" "$(printf 'mxhold-relaycheck: warning: bad-line path=- line=%s reason=bad-syntax\n' 1 2)" "two warnings, with their line numbers"
done_testing
