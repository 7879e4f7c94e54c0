#!/bin/bash
# 74: parallel connections from one address are counted exactly: 200
# connections opened at once through tcpserver (-c 300) against a limit of
# 150 admit exactly 150. (The default 200 is tested in 70, sequentially;
# sessions at once are not limited here: 23-abuse-conc tests that.)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c" '' '127.0.0.5 connections=150 burst=150 concurrency_client=unlimited\n'
port=$(free_port)
RL_CONC=300 RL_ENV="MXHOLD_RL_NOW=1700000000" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 200 127.0.0.5 200)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "150/50" "200 at once, limit 150: exactly 150 admitted, 50 refused"
is "$(grep -c '^mxhold-ratelimit: info: refused client=127.0.0.5 key=127.0.0.5 reason=rate ' "$T/rl.$port.log")" 50 "50 log lines"
like "$(MXHOLD_RL_NOW=1700000000 mxhold-ratelimit -c "$T/c" -l | grep '^127.0.0.5 ')" "^127.0.0.5 +150 +150/3600s b150 +150 +50 " "-l: 150 admitted, 50 refused"
done_testing
