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
[ -e "$T/failq" ] && { echo "queue: fatal: test: failing on purpose" >&2; exit 111; }
exec "$BIN/mxhold-queue" "\$@"
EOS
chmod +x "$T/fakebin/mxhold-queue"
DLV_ENV="PATH=$T/fakebin:$BIN:/usr/bin:/bin" dlv_start
inject snd@example.net held@example.com
ID=$(grep -o 'queued [0-9.]*' "$T/queue.log" | tail -1 | cut -d' ' -f2)
check "deferred (downstream down)" wait_until 10 grep -q "delivery $ID rcpt=held@example.com .*status=deferred" "$T/deliver.log"
touch "$T/failq"
mxhold-queuectl -c "$C" bounce "$ID" >/dev/null || nok "queuectl bounce"
check "the DSN could not be queued" wait_until 10 grep -q "unable to queue the DSN for $ID" "$T/deliver.log"
sink_start "$P" "$T/mbox"
sleep 4
rm -f "$T/failq"
check "the DSN is queued on a retry" wait_until 15 grep -q "info: dsn $ID " "$T/deliver.log"
check "queue empty" wait_until 15 queue_empty
is "$(grep -c 'held@example.com' "$T/mbox/log" 2>/dev/null)" 0 "the bounced message never went downstream"
done_testing
