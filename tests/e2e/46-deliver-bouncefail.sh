# 46-deliver-bouncefail: an operator's `bounce ID` whose DSN cannot be
# queued at first (mxhold-queue fails) is retried as a bounce: the message
# is never delivered after the operator asked for it to bounce.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

P=$(free_port)
dlv_conf "$P"
mkdir -p "$T/fakebin"
cat >"$T/fakebin/mxhold-queue" <<EOS
#!/bin/sh
[ -e "$T/failq" ] && { echo "mxhold-queue: fatal: test-failure reason=on-purpose" >&2; exit 111; }
exec "$BIN/mxhold-queue" "\$@"
EOS
chmod +x "$T/fakebin/mxhold-queue"
DLV_ENV="PATH=$T/fakebin:$BIN:/usr/bin:/bin" dlv_start
inject snd@example.net held@example.com
ID=$(dlv_qid)
check "deferred (downstream down)" wait_until 10 grep -q "deferred qid=$ID from=snd@example.net to=held@example.com .*status=deferred" "$T/deliver.log"
touch "$T/failq"
mxhold-queuectl -c "$C" bounce "$ID" >/dev/null || nok "queuectl bounce"
check "the DSN could not be queued" wait_until 10 grep -q "mxhold-deliver: warning: dsn-failed qid=$ID reason=exit-111\$" "$T/deliver.log"
sink_start "$P" "$T/mbox"
# with the downstream up, the bounce is retried (retry_min 1) and fails
# again twice: each time it stays a bounce, never a delivery
nfail=$(logcount "dsn-failed qid=$ID ")
check "retried twice more as a bounce while mxhold-queue still fails" wait_until 15 eval '[ "$(logcount "dsn-failed qid=$ID ")" -ge $((nfail + 2)) ]'
is "$(cat "$T/mbox/log" 2>/dev/null | grep -c 'held@example.com')" 0 "meanwhile nothing went downstream"
rm -f "$T/failq"
check "the DSN is queued on a retry" wait_until 15 grep -q "mxhold-deliver: info: dsn qid=$ID " "$T/deliver.log"
check "the recipient logged as bounced by the operator" grep -q "bounced qid=$ID from=snd@example.net to=held@example.com host=- error=\"bounced by the operator\" .*status=bounced reason=operator\$" "$T/deliver.log"
check "queue empty" wait_until 15 queue_empty
is "$(cat "$T/mbox/log" 2>/dev/null | grep -c 'held@example.com')" 0 "the bounced message never went downstream"
dlv_grammar "$T/deliver.log"
done_testing
