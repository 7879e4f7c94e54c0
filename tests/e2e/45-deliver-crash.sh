# 45-deliver-crash: kill -9 of mxhold-deliver (s6 restarts it) and of
# mxhold-remote processes in the middle of a load of 2000 messages: nothing
# is lost. Duplicates are possible only where the downstream said 250 and
# deliver died before recording it; their count is reported as # diag.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
N=2000
P=$(free_port)
dlv_conf "$P"
sink_start "$P" "$T/mbox"
dlv_start
$PY "$TOP/tests/e2e/40-fill.py" "$Q" "$N" --rcpt 'c{n}@example.com'
s6-ftrig-notify "$Q/trigger" n
kd=0 kr=0
# each kill waits for the load to move on: 100 more deliveries downstream
# (a killed deliver must have been restarted by s6 and be at work again),
# and a kill of remotes for deliver to have some
kids_of () { pgrep -P "$1" 2>/dev/null | head -3; }
for round in 1 2 3 4 5 6; do
  wait_until 30 count_at_least $((round * 100)) sink_rcpts "$T/mbox" || nok "round $round: the load did not move on"
  pid=$(dlv_pid)
  [ -n "$pid" ] && [ "$pid" != -1 ] || continue
  if [ $((round % 2)) = 1 ]; then
    wait_until 5 eval '[ -n "$(kids_of "$pid")" ]'
    kids=$(kids_of "$pid")
    [ -n "$kids" ] && { kill -9 $kids 2>/dev/null; kr=$((kr + $(echo $kids | wc -w))); }
  else
    kill -9 "$pid" && kd=$((kd + 1))
  fi
done
diag "killed deliver $kd times and $kr mxhold-remote processes during the load"
check "all $N delivered after the crashes" wait_until 50 queue_empty
got=$(sink_rcpts "$T/mbox")
uniq=$(awk '{print $4}' "$T/mbox/log" | sort -u | wc -l | tr -d ' ')
is "$uniq" "$N" "nothing lost: every one of the $N messages arrived"
diag "duplicates: $((got - uniq)) of $N ($(grep -c 'info: started' "$T/deliver.log") deliver starts)"
dlv_running () { [ "$(dlv_pid)" -gt 0 ] 2>/dev/null; }
check "deliver restarted and is running" wait_until 10 dlv_running
is "$(find "$Q/tmp" -name "dlv.*" | wc -l | tr -d " ")" 0 "no state tmp files left behind (a restart removes those of a killed deliver)"
dlv_grammar "$T/deliver.log"
done_testing
