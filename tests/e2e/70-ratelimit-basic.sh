#!/bin/bash
# 70: through a real tcpserver with the default limits (200 per 3600 s,
# burst 200): 200 quick connections from one address are admitted, the 201st
# is refused with 421 and one log line, another address is not, and -l shows it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c"
port=$(free_port)
# the real next program when it is built: tcpserver -> ratelimit -> smtpd
RL_NEXT=smtpd RL_ENV="MXHOLD_RL_NOW=1700000000" rl_server "$port" "$T/c"

out=$(rl_hit "$port" 200)
is "$(rl_count "$out" 220)" 200 "200 connections from 127.0.0.1 admitted (greeting 220 from $([ -x "$BIN/mxhold-smtpd" ] && echo mxhold-smtpd || echo a stand-in))"
out=$(rl_talk "$port" 127.0.0.1 "EHLO client.test" "MAIL FROM:<a@b.test>" "QUIT")
is "$(printf '%s\n' "$out" | head -1)" "421 4.7.0 relay.test too many connections from 127.0.0.1: 200 per 3600s; retry after 18s" "the 201st gets the 421 greeting"
is "$(printf '%s\n' "$out" | sed -n 2,3p | grep -c '^421 4.7.0')" 2 "and 421 to each command"
like "$(printf '%s\n' "$out" | sed -n 4p)" "^221 " "and 221 to QUIT"
out=$(rl_hit "$port" 5)
is "$(rl_count "$out" 421)" 5 "further connections from 127.0.0.1 refused"
out=$(rl_hit "$port" 3 127.0.0.2)
is "$(rl_count "$out" 220)" 3 "another address (127.0.0.2) admitted"

# each refused process logs before it greets, so the lines are all there
n=$(grep -c '^mxhold-ratelimit: info: refused client=127.0.0.1 ' "$T/rl.$port.log")
is "$n" 6 "one log line per refused connection"
is "$(grep 'refused client=127.0.0.1 ' "$T/rl.$port.log" | tail -1)" 'mxhold-ratelimit: info: refused client=127.0.0.1 key=127.0.0.1 reason=rate count=201 burst=200 refusals=6 reply="421 4.7.0 relay.test too many connections from 127.0.0.1: 200 per 3600s; retry after 18s"' "log line names client, key, count, burst and the reply"
unlike "$(grep "^mxhold-ratelimit:" "$T/rl.$port.log")" "127.0.0.2" "no log line for the admitted address"

list=$(MXHOLD_RL_NOW=1700000000 mxhold-ratelimit -c "$T/c" -l)
like "$(printf '%s\n' "$list" | sed -n 3p)" "^127\.0\.0\.1 +200 +200/3600s b200 +200 +6 refusing, retry after 18s" "-l: busiest first, with level, limit, counters, state"
like "$(printf '%s\n' "$list" | sed -n 4p)" "^127\.0\.0\.2 +3 .* open" "-l: the other client open"
like "$(printf '%s\n' "$list" | head -1)" "^# 3 clients in 524288 slots" "-l: summary line (the third: the start-up probe from 127.0.0.254)"
done_testing
