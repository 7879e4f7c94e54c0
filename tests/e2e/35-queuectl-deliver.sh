#!/bin/bash
# mxhold-queuectl beside a running mxhold-deliver (under s6): list/show/stats
# read the state deliver writes; delete, bounce and flush requests in ctl/
# are acted on; list never fails while deliver moves and removes files.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
for p in mxhold-deliver mxhold-remote; do command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }; done
qc () { mxhold-queuectl -c "$C" "$@"; }
P=$(free_port)
dlv_conf "$P" retry_min 600 retry_max 3600     # downstream down; retries far away
dlv_start

for i in 1 2 3; do inject '' "u$i@example.com"; done
check "deliver took in the 3 messages" wait_until 10 sh -c "[ \$(find '$Q/new' -type f | wc -l) = 0 ] && [ \$(find '$Q/mess' -type f | wc -l) = 3 ]"
check "first attempts failed and were recorded" wait_until 15 sh -c "[ \$(find '$Q/state' -type f | wc -l) = 3 ]"
out=$(qc list)
is "$(printf '%s\n' "$out" | grep -c '^message .* in=mess ')" 3 "list: 3 messages in mess/"
is "$(printf '%s\n' "$out" | grep -Ec '^rcpt .* to=u[123]@example.com state=deferred attempts=1 next=\+[0-9]+s next_at=[^ ]+ error=')" 3 "list: deliver's state read (attempts=1, next in the future, the reason)"
set -- $(printf '%s\n' "$out" | sed -n 's/^message qid=\([0-9.]*\) in=mess .*/\1/p')
id1=$1 id2=$2 id3=$3
like "$(qc show "$id1")" "rcpt qid=$id1 index=0 to=u[123]@example.com state=deferred attempts=1 next=\+[0-9]+s next_at=[^ ]+ last=-[0-9]+s last_at=[^ ]+ expires_in=\+[0-9]+s expires=[^ ]+ error=.+" "show: deliver's last error"
like "$(qc stats)" "domain domain=example.com queued=3 delivered=0 bounced=0 expired=0" "stats"

qc delete "$id1" >/dev/null
check "delete: message removed by deliver" wait_until 10 sh -c "! find '$Q/mess' -name '$id1' | grep -q ."
qc bounce "$id2" >/dev/null
check "bounce: message settled by deliver" wait_until 10 sh -c "! find '$Q/mess' -name '$id2' | grep -q ."
check "deliver logged the requests" grep -q "^mxhold-deliver: info: ctl request=delete qid=$id1$" "$T/deliver.log"
check "and the bounce request" grep -q "^mxhold-deliver: info: ctl request=bounce qid=$id2$" "$T/deliver.log"
is "$(ls "$Q/ctl" | wc -l)" 0 "ctl/ emptied by deliver"

# downstream up: flush example.com delivers the last one now, not in 10 minutes
sink_start "$P" "$T/mbox"
qc flush example.com >/dev/null
fails=0
for i in $(seq 1 20); do qc list >/dev/null 2>&1 || fails=$((fails + 1)); qc stats >/dev/null 2>&1 || fails=$((fails + 1)); done
is "$fails" 0 "list/stats while deliver works: always exit 0"
check "flush: delivered at once" wait_until 15 queue_empty
is "$(sink_count "$T/mbox")" 1 "downstream got the flushed message only"
is "$(qc list)" "total messages=0 unreadable=0" "list: empty queue"
done_testing
