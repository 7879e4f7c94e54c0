# 46-deliver-ctl: operator requests through mxhold-queuectl to a running
# deliver (Q/ctl/ files and the trigger): delete ID (no DSN), bounce ID
# (DSN now, then removed), flush DOMAIN (only that domain now), flush.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
P=$(free_port)
P2=$(free_port)
dlv_conf "$P" retry_min 600 retry_max 3600
# two routes, so the flush on recovery of one does not touch the other
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "$P2" "$P" >"$C/domains"
dlv_recompile
dlv_start
qid () { grep -o 'queued [0-9.]*' "$T/queue.log" | tail -1 | cut -d' ' -f2; }
inject snd@example.net del@example.com; A=$(qid)
inject snd@example.net bnc@example.com; B=$(qid)
inject snd@example.net net@example.net; N=$(qid)
inject snd@example.net com@example.com; M=$(qid)
check "all four deferred (downstream down)" wait_until 10 eval '[ "$(grep -c status=deferred "$T/deliver.log")" -ge 4 ]'

mxhold-queuectl -c "$C" delete "$A" >/dev/null || nok "queuectl delete"
check "delete: processed" wait_until 5 grep -q "info: ctl delete $A" "$T/deliver.log"
check "delete: message gone" wait_until 5 eval '! ls "$Q"/mess/*/"$A" >/dev/null 2>&1'
unlike "$(grep "info: dsn $A" "$T/deliver.log")" . "delete: no DSN"

mxhold-queuectl -c "$C" bounce "$B" >/dev/null || nok "queuectl bounce"
check "bounce: DSN queued" wait_until 5 grep -q "info: dsn $B to=snd@example.net rcpts=1" "$T/deliver.log"
check "bounce: message gone" wait_until 5 eval '! ls "$Q"/mess/*/"$B" >/dev/null 2>&1'
check "bounce: logged as bounced" grep -q "delivery $B rcpt=bnc@example.com .*status=bounced .*reply=bounced by the operator" "$T/deliver.log"
is "$(ls "$Q/ctl" | wc -l | tr -d ' ')" 0 "ctl requests consumed"

sink_start "$P" "$T/mbox"
mxhold-queuectl -c "$C" flush example.net >/dev/null || nok "queuectl flush example.net"
check "flush example.net: its message delivered" wait_until 10 grep -q ' net@example.net ' "$T/mbox/log"
sleep 1
unlike "$(cat "$T/mbox/log")" 'com@example.com' "flush example.net: example.com left alone"
sink_start "$P2" "$T/mbox2"
mxhold-queuectl -c "$C" flush >/dev/null || nok "queuectl flush"
check "flush: the rest delivered" wait_until 10 grep -q ' com@example.com ' "$T/mbox2/log"
check "queue empty at the end (the DSN went to example.net too)" wait_until 10 queue_empty
done_testing
