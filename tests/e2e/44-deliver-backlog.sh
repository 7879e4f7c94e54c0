# 44-deliver-backlog: the downstream is down while 2,000 messages queue up
# (written straight into new/ by 40-fill.py, then deliver is woken through
# the trigger fifodir like mxhold-queue does); they are tried and deferred;
# the downstream comes back, `mxhold-queuectl flush` asks for a retry now:
# every message arrives exactly once. Prints the flush time as # diag.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
N=2000
P=$(free_port)
dlv_conf "$P" retry_min 600 retry_max 3600
dlv_start
$PY "$TOP/tests/e2e/40-fill.py" "$Q" "$N" --rcpt 'b{n}@example.com'
s6-ftrig-notify "$Q/trigger" n
check "all $N taken in from new/" wait_until 20 eval '[ -d "$Q/new" ] && [ "$(find "$Q/new" -type f | wc -l)" -eq 0 ]'
check "all $N tried and deferred while the downstream is down" wait_until 40 eval '[ "$(grep -c "status=deferred" "$T/deliver.log")" -ge $N ]'
is "$(queue_count "$Q")" "$N" "all $N still queued"
sink_start "$P" "$T/mbox"
t0=$(date +%s%N)
mxhold-queuectl -c "$C" flush >/dev/null || nok "queuectl flush"
check "after the flush all $N delivered" wait_until 50 queue_empty
diag "backlog of $N flushed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
is "$(sink_rcpts "$T/mbox")" "$N" "downstream got $N recipient deliveries"
is "$(awk '{print $4}' "$T/mbox/log" | sort -u | wc -l | tr -d ' ')" "$N" "each message exactly once"
check "the flush request was processed" grep -q "mxhold-deliver: info: ctl request=flush\$" "$T/deliver.log"
dlv_grammar "$T/deliver.log"
done_testing
