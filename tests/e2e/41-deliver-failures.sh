# 41-deliver-failures: a downstream that is down, answers 4xx or 5xx for
# some recipients, is slow, or drops the connection in the middle of DATA.
# Each outcome is checked in the queue (state file), deliver's log and the
# downstream's mailbox: delivered exactly once, retried, or bounced with a DSN.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

P=$(free_port)
dlv_conf "$P"
dlv_start
M=$T/mbox
statefile () { cat "$Q"/state/*/"$1" 2>/dev/null; }
lastid () { ls -t "$Q"/mess/*/ 2>/dev/null | grep -E '^[0-9]' | head -1; }

# --- down: deferred and kept; then up: delivered once, the rest flushed at once
inject snd@example.net down1@example.com
ID1=$(dlv_qid)
inject snd@example.net down2@example.com
check "downstream down: deferred in the log" wait_until 10 grep -q "deferred qid=$ID1 from=snd@example.net to=down1@example.com host=127.0.0.1 error=\"connect failed: Connection refused\" .* status=deferred" "$T/deliver.log"
check "downstream down: remote says so" grep -q "mxhold-remote: warning: connect-failed host=127.0.0.1 ip=127.0.0.1 port=$P reason=refused error=\"Connection refused\"" "$T/deliver.log"
check "downstream down: state file records the attempt" wait_until 5 eval 'statefile $ID1 | grep -Eq "^0 p [1-9][0-9]* [0-9]+ [0-9]+ connect failed"'
is "$(queue_count "$Q")" 2 "both messages still queued"
sink_start "$P" "$M"
check "downstream up: both delivered" wait_until 15 queue_empty
is "$(grep -c 'down[12]@example.com' "$M/log")" 2 "each exactly once"
check "flush on recovery logged" grep -q "mxhold-deliver: info: recovered route=127.0.0.1:$P\$" "$T/deliver.log"
sink_stop

# --- 4xx for one recipient: the other is delivered, this one retried
sink_start "$P" "$M" --tempfail 'temp'
inject snd@example.net ok4@example.com temp4@example.com
ID=$(dlv_qid)
check "4xx: the accepted recipient delivered" wait_until 10 grep -q ' ok4@example.com ' "$M/log"
check "4xx: deferred with the downstream's reply" wait_until 10 grep -q "deferred qid=$ID from=snd@example.net to=temp4@example.com host=127.0.0.1\[127.0.0.1\]:$P reply=\"451 4.3.0 try again later\" delay=[0-9.]* attempts=1 status=deferred" "$T/deliver.log"
check "4xx: state: 0 delivered, 1 pending" wait_until 5 eval 'statefile $ID | grep -q "^0 d 1 " && statefile $ID | grep -q "^1 p "'
sink_stop
sink_start "$P" "$M"
check "4xx: retried and delivered once the downstream takes it" wait_until 15 queue_empty
is "$(grep -c 'ok4@example.com' "$M/log")" 1 "4xx: the accepted recipient was not sent twice"
is "$(grep -c 'temp4@example.com' "$M/log")" 1 "4xx: the deferred recipient arrived once"
sink_stop

# --- 5xx for one recipient: bounced, DSN to the sender, the other delivered
sink_start "$P" "$M" --reject '^bad'
inject snd@example.net good5@example.com bad5@example.com
check "5xx: settled" wait_until 15 queue_empty
check "5xx: bounced in the log" grep -q "bounced qid=[0-9.]* from=snd@example.net to=bad5@example.com .*reply=\"550 5.1.1 no such user here\" .*status=bounced" "$T/deliver.log"
is "$(grep -c 'good5@example.com' "$M/log")" 1 "5xx: the good recipient delivered once"
check "5xx: a DSN queued" grep -q "mxhold-deliver: info: dsn qid=[0-9.]* to=snd@example.net rcpts=1" "$T/deliver.log"
check "5xx: the DSN arrived at the sender's server" wait_until 10 grep -Eq '^[0-9]+ [0-9]+  snd@example.net ' "$M/log"
D=$(grep -l '^X-Sink-From: \s*$' "$M"/*.eml 2>/dev/null | head -1)
[ -z "$D" ] && D=$(grep -l 'X-Sink-From: '$'\r' "$M"/*.eml | tail -1)
like "$(tr -d '\r' <"$D")" 'Final-Recipient: rfc822; bad5@example.com' "5xx: DSN names the failed recipient"
like "$(tr -d '\r' <"$D")" 'Status: 5\.1\.1' "5xx: DSN carries the downstream's status"
unlike "$(tr -d '\r' <"$D")" 'Final-Recipient: rfc822; good5' "5xx: DSN does not name the delivered recipient"
sink_stop

# --- slow downstream: 0.4 s before every reply, under timeout_remote
sink_start "$P" "$M" --delay 0.4
inject snd@example.net slow@example.com
check "slow downstream: delivered" wait_until 20 queue_empty
is "$(grep -c 'slow@example.com' "$M/log")" 1 "slow downstream: exactly once"
sink_stop

# --- a server without EHLO: HELO instead
sink_start "$P" "$M" --no-ehlo
inject snd@example.net helo@example.com
check "no EHLO: delivered after HELO" wait_until 10 grep -q ' helo@example.com ' "$M/log"
check "no EHLO: settled" wait_until 10 queue_empty
sink_stop

# --- no PIPELINING offered, 3 recipients per message: one command at a
# time, and the 452 carry-over still puts 7 recipients through in one session
sink_start "$P" "$M" --no-pipelining --rcpt-max 3
inject snd@example.net p1@example.com p2@example.com p3@example.com p4@example.com p5@example.com p6@example.com p7@example.com
check "no PIPELINING: settled" wait_until 10 queue_empty
is "$(grep -c ' p[1-7]@example.com' "$M/log")" 3 "no PIPELINING: three transactions"
is "$(grep ' p[1-7]@example.com' "$M/log" | awk '{print $1}' | sort -u | wc -l | tr -d ' ')" 1 "no PIPELINING: one session"
sink_stop

# --- drop in the middle of DATA: deferred, then delivered once
sink_start "$P" "$M" --drop-data 1
inject snd@example.net drop@example.com
check "drop mid-DATA: deferred" wait_until 10 grep -q "deferred .* to=drop@example.com .*error=\"connection closed by downstream\" .*status=deferred" "$T/deliver.log"
check "drop mid-DATA: remote logs the lost connection and where" grep -q "mxhold-remote: warning: disconnect host=127.0.0.1 ip=127.0.0.1 port=$P messages=[0-9]* duration=[0-9.]* stage=data reason=closed" "$T/deliver.log"
check "drop mid-DATA: delivered on retry" wait_until 15 queue_empty
is "$(grep -c 'drop@example.com' "$M/log")" 1 "drop mid-DATA: exactly once"
dlv_grammar "$T/deliver.log"
done_testing
