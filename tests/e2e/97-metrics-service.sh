#!/bin/bash
# 97: the metrics service template (conf/service/metrics) under a real
# s6-svscan: it writes the .prom file at once and again every interval,
# following the queue; its log goes through s6-log. A reader never sees a
# half-written file (each write is a rename: the inode changes).
source "$(dirname "$0")/../lib.sh"

mkconf -p 9 -d example.com "$T/c" || exit 1
Q=$T/c/q
mkdir -p "$T/svc" "$T/log"
cp -R "$TOP/conf/service/metrics" "$T/svc/metrics"
for f in "$T/svc/metrics/run" "$T/svc/metrics/log/run"; do
  sed -i -e "s|@CONF@|$T/c|g" -e "s|@BIN@|$BIN|g" -e "s|@METRICS@|$T/mxhold.prom|g" -e "s|@LOGDIR@|$T/log|g" \
    -e "s|@QUEUE_USER@|root|g" -e "s|@LOG_USER@|root|g" "$f"
done
check "the template has no placeholder left" test -z "$(grep -h '@[A-Z]*@' "$T/svc/metrics/run" "$T/svc/metrics/log/run")"
bg env MXHOLD_METRICS_SECS=1 s6-svscan "$T/svc"
SVSCAN_PID=$LASTPID
trap 's6-svscanctl -t "$T/svc" 2>/dev/null; wait_until 5 eval "! kill -0 $SVSCAN_PID 2>/dev/null"; _cleanup' EXIT
check "the service writes the file" wait_until 10 test -s "$T/mxhold.prom"
like "$(cat "$T/mxhold.prom")" "
mxhold_queue_messages 0
" "an empty queue"
ino=$(stat -c %i "$T/mxhold.prom")
{ printf 'Fa@sender.org\0Tx@example.com\0\0' >"$T/env"; printf 'Subject: t\r\n\r\nhi\r\n' | MXHOLD_CONF=$T/c mxhold-queue 1<"$T/env" 2>>"$T/queue.log"; }
check "a second later the file shows the queued message" wait_until 10 grep -q '^mxhold_queue_messages 1$' "$T/mxhold.prom"
check "the file was replaced, not rewritten in place" test "$(stat -c %i "$T/mxhold.prom")" != "$ino"
like "$(cat "$T/mxhold.prom")" 'mxhold_queue_recipients\{domain="example\.com"\} 1' "its recipient, by domain"
check "no tmp file left" test ! -e "$T/mxhold.prom.tmp"
check "s6-log made the service's log directory" wait_until 5 test -d "$T/log/metrics"
done_testing
