#!/bin/bash
# recipients=verify against a real customer's server (25-users.py) that
# knows a set of users: known accepted, unknown 550 5.1.1, both cached (no
# second probe); the server down: verify_fail=accept accepts, defer says
# 450, a cached verdict stands; expiry on a settable clock; mxhold-rcptctl
# lists and forgets; the cache survives a restart.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/25-rcpt-lib.bash"

DOWN=$(free_port)
S=$T/server
mkdir -p "$S"
printf 'alice@example.net\nbob@example.net\nAlice@example.org\n' >"$S/users"
export MXHOLD_RCPT_NOW=2000000000
DEAD=$(free_port)
rc_conf "example.net 127.0.0.1:$DOWN recipients=verify\nexample.org 127.0.0.1:$DOWN recipients=verify verify_fail=defer verify_timeout=1\nexample.com 127.0.0.1:$DEAD,127.0.0.1:$DOWN recipients=verify\n" \
  verify_negative 100 verify_positive 1000 || exit 1
users_start "$DOWN" "$S"
PORT=$(free_port)
smtp_server "$PORT" "$C" cat
TCP_PID=$LASTPID
LOG=$T/smtpd.$PORT.log

out=$(rcpt "$PORT" alice@example.net eve@example.net ALICE@EXAMPLE.NET)
is "$(code_of "$out" alice@example.net)" 250 "a user the server knows is accepted"
is "$(code_of "$out" eve@example.net)" 550 "a user the server refuses gets 550"
is "$(code_of "$out" ALICE@EXAMPLE.NET)" 250 "the same user in another case: accepted from the cache"
is "$(probes "$S")" 2 "two probes for two addresses (the third was in the cache)"
like "$(grep '^- ' "$S/rcpt.log" | head -1)" '^- alice@example.net 250$' "the probe was MAIL FROM:<> and RCPT TO the address as given"
out=$(rcpt "$PORT" alice@example.net eve@example.net)
is "$(code_of "$out" eve@example.net)" 550 "again: 550 from the cache"
is "$(probes "$S")" 2 "no probe for cached addresses"
wait_until 5 eval '[ "$(grep refused "$LOG" | grep -c "to=eve@example.net")" -ge 2 ]'
like "$(grep refused "$LOG" | grep 'to=eve@example.net' | head -1)" 'reply="550 5.1.1 no such recipient here" reason=unknown-recipient basis=probe' "the first refusal rests on a probe"
like "$(grep refused "$LOG" | grep 'to=eve@example.net' | tail -1)" 'reason=unknown-recipient basis=cache' "the second on the cache"
like "$(grep 'mxhold-rcptcheck: info: probe to=eve@example.net' "$LOG")" "host=127.0.0.1\\[127.0.0.1\\]:$DOWN reply=\"550 5.1.1 .*result=unknown" "rcptcheck logs the probe: host, reply, result"
echo zoe@example.com >>"$S/users"
out=$(rcpt "$PORT" zoe@example.com nobody@example.com)
is "$(code_of "$out" zoe@example.com)" 250 "a route of two hosts, the first down: the second answers the probe"
is "$(code_of "$out" nobody@example.com)" 550 "and refuses an unknown user"
list=$(mxhold-rcptctl list)
like "$list" 'alice@example.net known probe 2000000000 fresh' "rcptctl list: a known address, its source, time and freshness"
like "$list" 'eve@example.net unknown probe 2000000000 fresh' "rcptctl list: an unknown one"

# the server down
users_stop "$DOWN"
out=$(rcpt "$PORT" carol@example.net carol@example.org alice@example.net eve@example.net)
is "$(code_of "$out" carol@example.net)" 250 "server down, verify_fail=accept: an unknown address is accepted"
is "$(code_of "$out" carol@example.org)" 450 "server down, verify_fail=defer: 450"
is "$(code_of "$out" alice@example.net)" 250 "server down: a cached known address is accepted"
is "$(code_of "$out" eve@example.net)" 550 "server down: a cached unknown address is still refused"
wait_until 5 grep -q 'to=carol@example.org' "$LOG"
like "$(grep 'unverified' "$LOG" | grep carol@example.net)" 'info: unverified client=127.0.0.1 to=carol@example.net basis=failed action=accept' "the unverified accept is logged"
like "$(grep 'refused' "$LOG" | grep carol@example.org)" 'reply="450 4.1.1 .*reason=unverified-recipient basis=failed' "the 450 is logged with reason=unverified-recipient"
like "$(grep 'probe to=carol@example.net' "$LOG")" 'error="Connection refused" result=unverified' "the failed probe is logged with its error"
is "$(mxhold-rcptctl list | grep -c carol)" 0 "an unverified address is not cached"

# a server answering 4xx
users_start "$DOWN" "$S" --greet 421
out=$(rcpt "$PORT" dave@example.org)
is "$(code_of "$out" dave@example.org)" 450 "a server answering 421: unverified, 450 with defer"
users_stop "$DOWN"

# a hung server: the probe gives up after verify_timeout (1 s for example.org)
users_start "$DOWN" "$S" --silent
t0=$(date +%s%N)
out=$(rcpt "$PORT" hung@example.org)
ms=$((($(date +%s%N) - t0) / 1000000))
is "$(code_of "$out" hung@example.org)" 450 "a server that never answers: unverified, 450 with defer"
between "$ms" 900 5000 "after about verify_timeout (1 s): ${ms} ms"
wait_until 5 grep -q 'probe to=hung@example.org' "$LOG"
like "$(grep 'probe to=hung@example.org' "$LOG")" 'error="Connection timed out" result=unverified' "the probe's timeout is logged"
users_stop "$DOWN"

# expiry, on the settable clock: eve's negative entry (100 s) has expired
# at +101; with the server down the expired verdict stands (stale)...
is "$(MXHOLD_RCPT_NOW=2000000101 pipe_rcpt eve@example.net)" 550 "expired, server down: the stale verdict stands"
like "$(grep 'to=eve@example.net' "$T/pipe.log" | grep refused)" 'basis=stale' "logged basis=stale"
is "$(MXHOLD_RCPT_NOW=2000000099 mxhold-rcptctl list | grep eve)" "eve@example.net unknown probe 2000000000 fresh" "rcptctl: fresh before its lifetime"
is "$(MXHOLD_RCPT_NOW=2000000101 mxhold-rcptctl list | grep eve)" "eve@example.net unknown probe 2000000000 expired" "rcptctl: expired after it"
# ...and with the server up it is asked again
echo eve@example.net >>"$S/users"
users_start "$DOWN" "$S"
n=$(probes "$S")
is "$(MXHOLD_RCPT_NOW=2000000099 pipe_rcpt eve@example.net)" 550 "before the negative lifetime: still 550, no probe"
is "$(probes "$S")" "$n" "no probe before it expired"
is "$(MXHOLD_RCPT_NOW=2000000101 pipe_rcpt eve@example.net)" 250 "after it: probed again, the server now knows eve"
is "$(probes "$S")" "$((n + 1))" "one probe"
# the positive lifetime (1000 s): bob leaves the server
is "$(MXHOLD_RCPT_NOW=2000000000 pipe_rcpt bob@example.net)" 250 "bob is known"
sed -i '/^bob@/d' "$S/users"
is "$(MXHOLD_RCPT_NOW=2000000999 pipe_rcpt bob@example.net)" 250 "within the positive lifetime: still accepted from the cache"
is "$(MXHOLD_RCPT_NOW=2000001001 pipe_rcpt bob@example.net)" 550 "past it: probed, now refused"

# rcptctl forget / forget-domain
n=$(probes "$S")
mxhold-rcptctl forget ALICE@example.net 2>"$T/ctl.log"
is "$?" 0 "rcptctl forget: exit 0"
like "$(cat "$T/ctl.log")" 'info: ctl request=forget to=ALICE@example.net count=1' "rcptctl logs what it forgot"
is "$(mxhold-rcptctl list | grep -c '^alice@')" 0 "the forgotten address is gone"
out=$(rcpt "$PORT" alice@example.net)
is "$(probes "$S")" "$((n + 1))" "a forgotten address is probed again"
mxhold-rcptctl forget-domain example.net 2>>"$T/ctl.log"
is "$(mxhold-rcptctl list | grep -c '@example.net ')" 0 "forget-domain drops every address of the domain"
like "$(tail -1 "$T/ctl.log")" 'request=forget-domain domain=example.net count=[1-9]' "and logs how many"
mxhold-rcptctl forget 'no-at-sign' 2>>"$T/ctl.log"
is "$?" 100 "rcptctl forget of a non-address: exit 100"
mxhold-rcptctl frob 2>>"$T/ctl.log"
is "$?" 100 "rcptctl: unknown command, exit 100"

# the cache survives a restart of everything
out=$(rcpt "$PORT" alice@example.net)
n=$(probes "$S")
kill "$TCP_PID" 2>/dev/null
wait_until 5 eval '! port_open '"$PORT"
PORT=$(free_port)
smtp_server "$PORT" "$C" cat
out=$(rcpt "$PORT" alice@example.net)
is "$(code_of "$out" alice@example.net)" 250 "after a restart: accepted"
is "$(probes "$S")" "$n" "from the cache on disk (no probe)"
done_testing
