#!/bin/bash
# 73: time passing admits again. First with the real clock and a tiny
# window (1 per 2 s, burst 1; two connections at once, so a slow host
# cannot spread them over the interval): the test polls until a connection
# is admitted again, and checks that this took the interval. Then with the
# test clock ($MXHOLD_RL_NOW) an hour later, after a restart of tcpserver:
# the state file carries the counts across it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c" 'connections 1\nwindow 2\nburst 1\n' '127.0.0.2 connections=20 window=3600 burst=20\n'
port=$(free_port)
rl_server "$port" "$T/c"
t0=$(date +%s%N)
out=$(rl_hit "$port" 2 127.0.0.1 2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "1/1" "tiny window, real clock: one, then refused"
# the event waited for is the admission itself (a refusal costs nothing)
admitted () { [ "$(rl_count "$(rl_hit "$port" 1 127.0.0.1)" 220)" = 1 ]; }
wait_until 10 admitted && ok "real clock: admitted again once time passed" || nok "real clock: never admitted again"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
between "$ms" 2000 20000 "not before the 2 s interval had passed (${ms} ms)"
out=$(rl_hit "$port" 1 127.0.0.1)
is "$(rl_count "$out" 421)" 1 "and refused again right after"
rl_stop

port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000000" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 21 127.0.0.2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "20/1" "test clock: 20 per hour for 127.0.0.2, 21st refused"
rl_stop
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000179" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 1 127.0.0.2)
is "$(rl_count "$out" 421)" 1 "after a restart, 179 s later: still refused (state kept)"
rl_stop
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000180" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 2 127.0.0.2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "1/1" "180 s later: exactly one more (one per 180 s)"
rl_stop
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700003780" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 21 127.0.0.2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "20/1" "an hour later: 20 again"
done_testing
