#!/bin/bash
# tests/bench/deliver-rss.sh [N]: mxhold-deliver's memory and startup with N
# (default 100000) messages queued (written straight into mess/ with state
# files that defer them an hour, by tests/e2e/40-fill.py), then the latency
# of one new message to another domain while they wait: work per event
# must not grow with the queue. Prints "# ..." lines; TAP ok/not ok.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../e2e/40-deliver-lib.bash"
N=${1:-100000}
PD=$(free_port); PS=$(free_port)
dlv_conf "$PD" retry_min 3600 retry_max 3600
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "$PD" "$PS" >"$C/domains"
dlv_recompile
t0=$(date +%s)
$PY "$TOP/tests/e2e/40-fill.py" "$Q" "$N" --into mess --next 3600 --rcpt 'q{n}@example.com'
diag "wrote $N messages in $(( $(date +%s) - t0 )) s; du: $(du -sh "$Q" | cut -f1)"
sink_start "$PS" "$T/mbox"
t0=$(date +%s%N)
dlv_start
check "deliver started with $N messages" wait_until 120 grep -q "started with $N messages" "$T/deliver.log"
diag "startup scan of $N messages: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
pid=$(dlv_pid)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
diag "mxhold-deliver RSS with $N messages queued: $rss kB ($(( rss * 1024 / N )) bytes per message)"
lat=""
for i in 1 2 3 4 5; do
  t1=$(date +%s%N)
  inject snd@example.org n$i@example.net
  wait_until 10 grep -q " n$i@example.net " "$T/mbox/log"
  lat="$lat $(( ($(date +%s%N) - t1) / 1000000 ))"
done
diag "queue-to-downstream latency with $N others queued (ms):$lat"
is "$(grep -c status=deferred "$T/deliver.log")" 0 "none of the $N was retried early"
rss2=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
diag "RSS after: $rss2 kB"
done_testing
