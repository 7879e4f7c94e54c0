# 48-deliver-concurrency: concurrency_host caps the sessions to one
# downstream host; the sink records the most connections it had at once.
# 300 messages (6 batches of 50) to a slow downstream.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
P=$(free_port)
dlv_conf "$P" concurrency_host 2
sink_start "$P" "$T/mbox" --delay 0.01
dlv_start
$PY "$TOP/tests/e2e/40-fill.py" "$Q" 300 --rcpt 'k{n}@example.com'
s6-ftrig-notify "$Q/trigger" n
check "300 messages delivered" wait_until 50 queue_empty
is "$(cat "$T/mbox/maxconc")" 2 "at most concurrency_host=2 sessions at once, and 2 used"
is "$(sink_rcpts "$T/mbox")" 300 "each once"
dlv_grammar "$T/deliver.log"
done_testing
