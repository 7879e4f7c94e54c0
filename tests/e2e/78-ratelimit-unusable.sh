#!/bin/bash
# 78 (issue 17, item 6): a deploy as the README describes it goes wrong —
# the state file made by root, ratelimit then run by tcpserver -U as
# another user. ratelimit must not admit everyone with a warning per
# connection: every client gets 421 4.3.0 (temporary: no mail lost, and
# no limit dropped), and the operator gets one line a minute. Once the
# owner is fixed, connections are counted again. Needs root (to be two
# users); skipped otherwise.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/76-proxy-lib.bash"

if [ "$(id -u)" != 0 ]; then ok "# SKIP not root"; done_testing; exit; fi
chmod 755 "$T"
mkconf -p 9 -d example.com -l 'connections 5 3600\nburst 5\n' "$T/c" || exit 1
st=$T/c/q/ratelimit.state
# root compiles and makes the state (the first connection, or an -l, as root)
TCPREMOTEIP=192.0.2.1 MXHOLD_CONF=$T/c mxhold-ratelimit true 2>>"$T/root.log"
is "$(stat -c '%U %a' "$st")" "root 600" "the state file belongs to root, 0600"
rm -f /dev/shm/mxhold-ratelimit."$(id -u nobody)".*
port=$(free_port)
uid=$(id -u nobody); gid=$(id -g nobody)
bg env MXHOLD_CONF="$T/c" UID="$uid" GID="$gid" tcpserver -U -HRl0 -c 20 127.0.0.1 "$port" \
  mxhold-ratelimit mxhold-smtpd mxhold-queue 2>>"$T/rl.log"
wait_until 10 probe "$port" || nok "tcpserver -U did not start"

is "$($CLIENT 127.0.0.7 127.0.0.1 "$port")" "421 4.3.0 relay.test rate-limit state unusable, try again later" "ratelimit as nobody: 421 4.3.0, not an admission"
is "$(hits 8 127.0.0.7 127.0.0.1 "$port")" "421 8" "every further connection too"
is "$(count_lines "$T/rl.log" '^mxhold-ratelimit: warning: refused client=127\.0\.0\.(7|254) reason=state-unusable path='"$st"' error="Permission denied" reply="421 4\.3\.0 relay\.test rate-limit state unusable, try again later" detail=')" 1 "one clear line for 10 connections (the first)"
is "$(count_lines "$T/rl.log" 'admitted')" 0 "no connection admitted silently"
ls /dev/shm/mxhold-ratelimit."$uid".*.unusable >/dev/null 2>&1
check "the queue directory is root's: the once-a-minute marker is in /dev/shm" test $? = 0

# fixed: the queue (and the state in it) given to the relay user
chown -R nobody "$T/c/q"
is "$(hits 5 127.0.0.8 127.0.0.1 "$port")" "220 5" "owner fixed: admitted again"
is "$($CLIENT 127.0.0.8 127.0.0.1 "$port" | cut -c1-9)" "421 4.7.0" "and counted: the 6th is over the limit"
rm -f /dev/shm/mxhold-ratelimit."$uid".*
done_testing
