# 51-deliver-domain-limits: the key=value overrides of a line of `domains`
# (conf.md) apply to that domain's recipients in mxhold-deliver and to its
# sessions in mxhold-remote, while the global limits stay long:
# - lifetime and retry_min/retry_max: in one message, the recipient of the
#   short domain is retried about every second and expires with a DSN in
#   seconds; the other recipient (global limits) stays queued, tried once;
# - dsn_pass_only per recipient domain (the default 1; short2 says 0): of two expired recipients of a
#   softfail message, the DSN lists only the one whose domain allows it;
# - concurrency_host=1 on one of two domains sharing a route: the route's
#   downstream sees at most one connection (the smallest value wins);
# - session_idle=0 on the other one: no session reuse on that route;
# - timeout_remote=2 on a domain whose downstream stalls after its greeting:
#   a temporary failure after about 2 s, not the global 60;
# - a config reload that shortens a domain's lifetime expires its queued
#   recipient.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

PT=$(free_port)     # says 451 to every recipient
PS=$(free_port)     # the senders' server (DSNs)
PC=$(free_port)     # concurrency
PX=$(free_port)     # stalls after the greeting
dlv_conf "$PT" retry_min 30 retry_max 60 timeout_remote 60 timeout_connect 5
cat >"$C/domains" <<EOF
short.example  127.0.0.1:$PT lifetime=3 retry_min=1 retry_max=1 dsn_pass_only=1
short2.example 127.0.0.1:$PT lifetime=3 retry_min=1 retry_max=1 dsn_pass_only=0
long.example   127.0.0.1:$PT
senders.example 127.0.0.1:$PS
conc.example   127.0.0.1:$PC concurrency_host=1
conc2.example  127.0.0.1:$PC session_idle=0
stall.example  127.0.0.1:$PX timeout_remote=2
EOF
dlv_recompile
sink_start "$PT" "$T/temp" --tempfail '.'
sink_start "$PS" "$T/mbox"
sink_start "$PC" "$T/conc" --delay 0.01
bg $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
held = []
while True:
    c, _ = s.accept(); c.sendall(b"220 stall ESMTP\r\n"); held.append(c)   # then never a word
' "$PX"
wait_until 10 port_open "$PX" 127.0.0.1 || nok "stall server did not start"
dlv_start

queue_has () { ls "$Q"/mess/*/"$1" >/dev/null 2>&1; }
deferred () { grep -c "deferred qid=$1 from=[^ ]* to=$2 .*status=deferred" "$T/deliver.log" || true; }

# ---- lifetime, retries, dsn_pass_only ----
inject snd@senders.example a@short.example b@long.example; A=$(dlv_qid)
SPF=softfail inject snd2@senders.example c@short.example d@short2.example; S=$(dlv_qid)
t0=$(date +%s)
check "the short domain's recipient expires within seconds" \
  wait_until 15 grep -q "expired qid=$A from=[^ ]* to=a@short.example host=- .*status=expired" "$T/deliver.log"
t1=$(date +%s)
diag "expired after $((t1 - t0)) s; attempts before: $(deferred "$A" a@short.example)"
check "expiry came after the domain's lifetime (2..12 s), not the global one" test $((t1 - t0)) -ge 2 -a $((t1 - t0)) -le 12
check "retried about every second meanwhile (retry_min=1): at least 2 attempts" [ "$(deferred "$A" a@short.example)" -ge 2 ]
is "$(deferred "$A" b@long.example)" 1 "the long domain's recipient was tried once (global retry_min 30)"
check "a DSN for the expired recipient only" wait_until 10 grep -q "info: dsn qid=$A to=snd@senders.example rcpts=1" "$T/deliver.log"
check "the DSN arrived" wait_until 10 grep -Eq '^[0-9]+ [0-9]+  snd@senders.example ' "$T/mbox/log"
F=$(grep -l 'snd@senders.example' "$T"/mbox/*.eml 2>/dev/null | head -1)
check "the DSN names a@short.example" grep -q 'Final-Recipient: rfc822; a@short.example' "$F"
unlike "$(grep 'Final-Recipient' "$F")" 'b@long.example' "the DSN does not name b@long.example"
unlike "$(grep "qid=$A from=[^ ]* to=b@long.example" "$T/deliver.log")" 'expired' "b@long.example is not expired"
check "message A is still queued for b@long.example" queue_has "$A"
check "both recipients of the softfail message expire" \
  wait_until 10 eval 'grep -q "expired qid=$S from=[^ ]* to=c@short.example .*status=expired" "$T/deliver.log" && grep -q "expired qid=$S from=[^ ]* to=d@short2.example .*status=expired" "$T/deliver.log"'
check "its DSN lists one recipient (short.example has dsn_pass_only=1, short2 dsn_pass_only=0)" \
  wait_until 10 grep -q "info: dsn qid=$S to=snd2@senders.example rcpts=1" "$T/deliver.log"
check "that DSN arrived and names d@short2.example only" wait_until 10 eval 'grep -l snd2@senders.example "$T"/mbox/*.eml 2>/dev/null | head -1 | xargs grep -q "Final-Recipient: rfc822; d@short2.example"'
G=$(grep -l 'snd2@senders.example' "$T"/mbox/*.eml 2>/dev/null | head -1)
unlike "$(grep 'Final-Recipient' "$G" 2>/dev/null)" 'c@short.example' "c@short.example is not in it"

# ---- timeout_remote per domain ----
t0=$(date +%s)
inject snd@senders.example z@stall.example; X=$(dlv_qid)
check "the stalled downstream gives a temporary failure" \
  wait_until 20 grep -q "deferred qid=$X from=[^ ]* to=z@stall.example .*status=deferred" "$T/deliver.log"
t1=$(date +%s)
diag "after $((t1 - t0)) s: $(grep "qid=$X from=[^ ]* to=z@stall.example" "$T/deliver.log" | grep -o 'reply=.*' | head -1)"
check "after the domain's timeout_remote=2 (<= 8 s), not the global 60" [ $((t1 - t0)) -le 8 ]
like "$(grep "qid=$X from=[^ ]* to=z@stall.example" "$T/deliver.log")" 'error="timeout' "the reply says timeout"
check "remote logs where it waited in vain" grep -q "mxhold-remote: warning: disconnect host=127.0.0.1 ip=127.0.0.1 port=$PX messages=0 duration=[0-9.]* stage=helo reason=timeout" "$T/deliver.log"

# ---- concurrency_host: the smallest of the route's domains ----
$PY "$TOP/tests/e2e/40-fill.py" "$Q" 80 --rcpt 'k{n}@conc.example'
$PY "$TOP/tests/e2e/40-fill.py" "$Q" 80 --rcpt 'k{n}@conc2.example'
s6-ftrig-notify "$Q/trigger" n
check "160 messages delivered" wait_until 60 eval '[ "$(sink_rcpts "$T/conc")" -ge 160 ]'
is "$(cat "$T/conc/maxconc")" 1 "at most one connection at a time (concurrency_host=1 of conc.example)"
is "$(sink_rcpts "$T/conc")" 160 "each once"
n=$(awk '{print $1}' "$T/conc/log" | sort -u | wc -l)
diag "$n sessions for 160 messages"
# one connection at a time: with reuse, 2 sessions would carry it all (DLV_REUSE_MAX 100)
check "no reuse on the route (session_idle=0 of conc2.example): a session per batch of at most 50" [ "$n" -ge 4 ]

# ---- a reload recomputes the domain's limits and its recipients' expiry ----
check "b@long.example still queued before the reload" queue_has "$A"
sed -i 's/^long.example .*/long.example   127.0.0.1:'"$PT"' lifetime=1/' "$C/domains"
dlv_recompile
check "after a reload giving long.example lifetime=1, b@long.example expires" \
  wait_until 10 grep -q "expired qid=$A from=[^ ]* to=b@long.example host=- .*status=expired" "$T/deliver.log"
check "and gets its own DSN: two for message A, one per expiry" \
  wait_until 10 eval '[ "$(grep -c "info: dsn qid=$A to=snd@senders.example rcpts=1" "$T/deliver.log")" -eq 2 ]'
check "message A leaves the queue" wait_until 10 eval '! queue_has "$A"'
dlv_grammar "$T/deliver.log"
done_testing
