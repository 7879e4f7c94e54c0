#!/bin/bash
# 73: time passing admits again. First with the real clock and a tiny
# window (1 per 3 s, burst 1); then with the test clock ($MXHOLD_RL_NOW) an hour later, after a
# restart of tcpserver: the state file carries the counts across it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c" 'connections 1\nwindow 3\nburst 1\n' '127.0.0.2 connections=200 window=3600 burst=200\n'
port=$(free_port)
rl_server "$port" "$T/c"
out=$(rl_hit "$port" 2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "1/1" "tiny window, real clock: one, then refused"
sleep 3.2
out=$(rl_hit "$port" 2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "1/1" "3.2 s later: one more, then refused again"
rl_stop

port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000000" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 201 127.0.0.2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "200/1" "test clock: 200 per hour for 127.0.0.2, 201st refused"
rl_stop
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000017" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 1 127.0.0.2)
is "$(rl_count "$out" 421)" 1 "after a restart, 17 s later: still refused (state kept)"
rl_stop
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000018" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 2 127.0.0.2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "1/1" "18 s later: exactly one more (one per 18 s)"
rl_stop
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700003618" rl_server "$port" "$T/c"
out=$(rl_hit "$port" 201 127.0.0.2)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "200/1" "an hour later: 200 again"
done_testing
