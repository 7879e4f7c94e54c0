#!/bin/bash
# A dictionary attack on a recipients=verify domain: 10,000 unknown
# addresses, from four clients at once, cost the customer's server at most
# the configured probe budget (verify_burst; the clock stands still, so
# nothing refills), counted at the server. The answers stay correct (known
# users 250, probed unknowns 550, the rest 450 with verify_fail=defer, or
# 250 unverified with accept) and fast, and the log shows it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/25-rcpt-lib.bash"

BURST=25
DOWN=$(free_port)
S=$T/server
mkdir -p "$S"
printf 'alice@example.org\nbob@example.org\nalice@example.net\n' >"$S/users"
export MXHOLD_RCPT_NOW=2000000000
rc_conf "example.org 127.0.0.1:$DOWN recipients=verify verify_fail=defer\nexample.net 127.0.0.1:$DOWN recipients=verify\n" \
  verify_burst $BURST verify_rate 60 recipients 1000 errors 1000 || exit 1
users_start "$DOWN" "$S"
PORT=$(free_port)
smtp_server "$PORT" "$C" cat
LOG=$T/smtpd.$PORT.log

out=$(rcpt "$PORT" alice@example.org bob@example.org)
is "$(echo $out)" "250 alice@example.org 250 bob@example.org" "the known users are accepted (2 probes)"

for c in 1 2 3 4; do
  for i in $(seq -w 1 2500); do echo "u$c$i@example.org"; done >"$T/dict.$c"
  # a real user now and then: the cache answers for them
  sed -i '500a alice@example.org' "$T/dict.$c"
done
t0=$(date +%s%N)
for c in 1 2 3 4; do
  $PY "$CLIENT_PY" "$PORT" --per 500 --file "$T/dict.$c" >"$T/out.$c" 2>"$T/client.$c.log" &
  cpids="${cpids:-} $!"
done
for p in $cpids; do wait "$p"; done
ms=$((($(date +%s%N) - t0) / 1000000))
cat "$T"/out.[1-4] >"$T/out"
is "$(grep -c '@example.org' "$T/out")" 10004 "10,000 dictionary addresses and 4 real ones answered"
is "$(probes "$S")" "$BURST" "the customer's server got exactly the budget's $BURST probes (2 before, $((BURST - 2)) during the attack)"
is "$(grep -c '^250 alice@example.org$' "$T/out")" 4 "the real user in the dictionary is accepted each time (cache)"
n550=$(grep -c '^550 ' "$T/out")
n450=$(grep -c '^450 ' "$T/out")
is "$n550" "$((BURST - 2))" "the probed unknown addresses get 550 5.1.1"
is "$n450" "$((10000 - BURST + 2))" "the others get 450 (verify_fail=defer): never a 250 for an unknown address"
between "$ms" 0 60000 "fast enough: 10,004 RCPTs in ${ms} ms from 4 clients"
wait_until 10 eval '[ "$(grep -c "refused stage=rcpt.*basis=" "$LOG")" -ge 10000 ]'
is "$(grep -c 'reason=unverified-recipient basis=limited' "$LOG")" "$n450" "every 450 is logged: reason=unverified-recipient basis=limited"
is "$(grep -c 'mxhold-rcptcheck: info: probe ' "$LOG")" "$((BURST))" "every probe is logged by rcptcheck"

# the same dictionary again: the probed ones are cached, no new probe
$PY "$CLIENT_PY" "$PORT" --per 500 --file "$T/dict.1" >"$T/out.again"
is "$(probes "$S")" "$BURST" "a second pass makes no probe"
is "$(grep -c '^550 ' "$T/out.again")" "$(grep -c '^550 ' "$T/out.1")" "and refuses the same addresses from the cache"

# verify_fail=accept: the same attack on example.net is accepted
# unverified (the relay keeps taking mail), logged, still no probe
for i in $(seq -w 1 1000); do echo "v$i@example.net"; done >"$T/dict.net"
$PY "$CLIENT_PY" "$PORT" --per 500 --file "$T/dict.net" >"$T/out.net"
is "$(grep -c '^250 ' "$T/out.net")" 1000 "verify_fail=accept: over the budget, accepted"
is "$(probes "$S")" "$BURST" "the two domains share their server's budget: no probe"
wait_until 10 eval '[ "$(grep -c "unverified client=.*@example.net basis=limited action=accept" "$LOG")" -ge 1000 ]'
is "$(grep -c 'unverified client=.*@example.net basis=limited action=accept' "$LOG")" 1000 "each is logged: unverified basis=limited action=accept"

# time passes (60 an hour): a minute brings one more probe
is "$(MXHOLD_RCPT_NOW=2000000060 pipe_rcpt w1@example.org w2@example.org | tr '\n' ' ')" "550 450 " "a minute later: one token, one probe"
is "$(probes "$S")" "$((BURST + 1))" "counted at the server"
done_testing
