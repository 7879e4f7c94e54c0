#!/bin/bash
# 71: an IPv6 /64 counts as one client. Debian's tcpserver (ucspi-tcp 0.88)
# has no IPv6 ("no IP address for ::1"), so this drives mxhold-ratelimit
# directly with $TCPREMOTEIP set, which is all tcpserver (or an IPv6
# s6-tcpserver) passes it anyway; the next program is a real command.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c" 'connections 10\nwindow 3600\nburst 10\n'
export MXHOLD_CONF=$T/c MXHOLD_RL_NOW=1700000000

conn () { TCPREMOTEIP=$1 mxhold-ratelimit echo admitted </dev/null 2>>"$T/err" | head -1; }
n=0
for i in 1 2 3 4 5 6 7 8 9 a; do [ "$(conn "2001:db8:1:2::$i")" = admitted ] && n=$((n + 1)); done
is "$n" 10 "10 connections from 10 addresses of 2001:db8:1:2::/64 admitted"
like "$(conn 2001:db8:1:2:ffff:ffff:ffff:ffff)" "^421 4.7.0 relay.test too many connections from 2001:db8:1:2:ffff:ffff:ffff:ffff: 10 per 3600s; retry after 360s" "the 11th, from yet another address in the /64, refused"
like "$(tail -1 "$T/err")" "refused 2001:db8:1:2:ffff:ffff:ffff:ffff \(client 2001:db8:1:2::/64\): connection 11, limit 10 per 3600s" "log line names the /64"
is "$(conn 2001:db8:1:3::1)" admitted "the next /64 is another client"
like "$(conn 2001:db8:1:2::77)" "^421 " "upper case, zeros written out: same client, refused"
for i in 1 2 3 4 5 6 7 8 9 10; do conn 192.0.2.7 >/dev/null; done
like "$(conn ::ffff:192.0.2.7)" "^421 " "an IPv4-mapped address is its IPv4 client"
is "$(conn 192.0.2.8)" admitted "the next IPv4 address is another client"
is "$(conn not-an-address)" admitted "an unusable TCPREMOTEIP is admitted"
like "$(tail -1 "$T/err")" "warning: no usable .TCPREMOTEIP, admitting" "with a warning"
like "$(mxhold-ratelimit -l)" "2001:db8:1:2::/64 +10 +10/3600s b10 +10 +2 refusing" "-l shows the /64"
done_testing
