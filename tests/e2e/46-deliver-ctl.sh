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
inject snd@example.net del@example.com; A=$(dlv_qid)
inject snd@example.net bnc@example.com; B=$(dlv_qid)
inject snd@example.net net@example.net; N=$(dlv_qid)
inject snd@example.net com@example.com; M=$(dlv_qid)
check "all four deferred (downstream down)" wait_until 10 eval '[ "$(grep -c status=deferred "$T/deliver.log")" -ge 4 ]'

mxhold-queuectl -c "$C" delete "$A" >/dev/null || nok "queuectl delete"
check "delete: processed" wait_until 5 grep -q "mxhold-deliver: info: ctl request=delete qid=$A\$" "$T/deliver.log"
check "delete: message gone" wait_until 5 eval '! ls "$Q"/mess/*/"$A" >/dev/null 2>&1'
unlike "$(grep "info: dsn qid=$A" "$T/deliver.log")" . "delete: no DSN"
check "delete: its removal logged as such" grep -q "mxhold-deliver: info: removed qid=$A reason=deleted\$" "$T/deliver.log"

mxhold-queuectl -c "$C" bounce "$B" >/dev/null || nok "queuectl bounce"
check "bounce: DSN queued" wait_until 5 grep -q "mxhold-deliver: info: dsn qid=$B to=snd@example.net rcpts=1" "$T/deliver.log"
check "bounce: message gone" wait_until 5 eval '! ls "$Q"/mess/*/"$B" >/dev/null 2>&1'
check "bounce: logged as bounced" grep -q "bounced qid=$B from=snd@example.net to=bnc@example.com host=- error=\"bounced by the operator\" .*status=bounced reason=operator" "$T/deliver.log"
# (queuectl refuses an unknown id itself: the request goes into ctl/ by hand)
printf 'delete %s\n' "$B" >"$Q/ctl/.t" && mv "$Q/ctl/.t" "$Q/ctl/test.1" && s6-ftrig-notify "$Q/trigger" c
check "a request for a message no longer queued: refused, logged" wait_until 5 grep -q "mxhold-deliver: warning: ctl-refused request=delete qid=$B reason=no-such-message" "$T/deliver.log"
is "$(ls "$Q/ctl" | wc -l | tr -d ' ')" 0 "ctl requests consumed"

sink_start "$P" "$T/mbox"
mxhold-queuectl -c "$C" flush example.net >/dev/null || nok "queuectl flush example.net"
check "flush example.net: logged" wait_until 5 grep -q "mxhold-deliver: info: ctl request=flush domain=example.net\$" "$T/deliver.log"
check "flush example.net: its message delivered" wait_until 10 grep -q "delivered qid=$N .*to=net@example.net .*attempts=2 status=delivered" "$T/deliver.log"
# a flush of example.com too would have tried com@ in the same turn as
# net@, and its downstream refuses at once: a second deferral by now
is "$(logcount "deferred qid=$M ")" 1 "flush example.net: example.com left alone (tried once, before)"
sink_start "$P2" "$T/mbox2"
mxhold-queuectl -c "$C" flush >/dev/null || nok "queuectl flush"
check "flush: the rest delivered" wait_until 10 grep -q ' com@example.com ' "$T/mbox2/log"
check "flush: at its second attempt (the flush of example.net did not touch it)" wait_until 5 grep -q "delivered qid=$M .*to=com@example.com .*attempts=2 status=delivered" "$T/deliver.log"
check "queue empty at the end (the DSN went to example.net too)" wait_until 10 queue_empty
dlv_grammar "$T/deliver.log"
done_testing
