#!/bin/bash
# 72: `clients` overrides through a real tcpserver: a trusted filtering relay
# with connections=unlimited is never counted; a noisy customer gets a lower
# limit; everybody else the defaults from `limits`. A recompiled config
# applies to the next connection without a restart.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c" 'connections 20\nwindow 3600\nburst 20\n' \
  '127.0.0.2 trusted connections=unlimited\n127.0.0.3/32 connections=4 burst=2\n'
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000000" rl_server "$port" "$T/c"

out=$(rl_hit "$port" 60 127.0.0.2 20)
is "$(rl_count "$out" 220)" 60 "trusted relay (connections=unlimited): 60 connections admitted, 3 times its neighbours' limit"
out=$(rl_hit "$port" 5 127.0.0.3)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "2/3" "noisy customer (connections=4 burst=2): 2 admitted, 3 refused"
like "$(rl_talk "$port" 127.0.0.3)" "^421 4.7.0 relay.test too many connections from 127.0.0.3: 4 per 3600s; retry after 900s" "its greeting says its own limit"
out=$(rl_hit "$port" 25 127.0.0.4)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "20/5" "everybody else: limits file (20, burst 20)"
unlike "$(mxhold-ratelimit -c "$T/c" -l 2>&1)" "^127\.0\.0\.2 " "the unlimited client is not even in the state"

printf '127.0.0.4 connections=unlimited\n' >"$T/c/clients"
mxhold-conf compile "$T/c" >/dev/null
out=$(rl_hit "$port" 5 127.0.0.4)
is "$(rl_count "$out" 220)" 5 "recompiled config: 127.0.0.4 now unlimited, no restart"
out=$(rl_hit "$port" 25 127.0.0.3)
# GCRA keeps a time, not a count: its 2 connections at 900 s each put its
# TAT 1800 s ahead, which at the default 180 s per connection is 10 used.
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "10/15" "127.0.0.3 back on the defaults: the time its earlier connections used still counts"
done_testing
