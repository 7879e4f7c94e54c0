#!/bin/bash
# recipients=learn: deliver records every answer of the customer's server
# (a 250 marks the recipient known, a 550 5.1.1 unknown), so that while the
# server is down smtpd refuses exactly the addresses it is known to refuse.
# The probe budget is 0 here, so every verdict comes from deliveries.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/25-rcpt-lib.bash"

DOWN=$(free_port)
S=$T/server
mkdir -p "$S"
printf 'alice@example.net\nbob@example.net\n' >"$S/users"
dlv_conf "$DOWN" verify_burst 0 verify_rate 0 || exit 1
printf 'example.net 127.0.0.1:%s recipients=learn\nexample.com 127.0.0.1:%s recipients=verify\n' "$DOWN" "$DOWN" >"$C/domains"
echo "$T/cache" >"$C/rcptcache"
dlv_recompile
users_start "$DOWN" "$S"
dlv_start

inject snd@example.org alice@example.net eve@example.net Bob@Example.NET
check "delivered to the known users" wait_until 15 eval 'grep -q "delivered .*to=alice@example.net" "$T/deliver.log"'
check "bounced the unknown one" wait_until 15 eval 'grep -q "bounced .*to=eve@example.net" "$T/deliver.log"'
check "deliver logs what it learned: eve unknown" wait_until 5 grep -q 'mxhold-deliver: info: learned to=eve@example.net result=unknown' "$T/deliver.log"
check "deliver logs what it learned: alice known" grep -q 'mxhold-deliver: info: learned to=alice@example.net result=known' "$T/deliver.log"
list=$(mxhold-rcptctl list)
like "$list" 'eve@example.net unknown delivery' "the cache holds eve as unknown, from a delivery"
like "$list" 'bob@example.net known delivery' "and Bob as known (lower case)"
# a verify domain does not learn
inject snd@example.org zed@example.com
check "a verify domain's delivery answer" wait_until 15 eval 'grep -q "to=zed@example.com" "$T/deliver.log"'
is "$(mxhold-rcptctl list | grep -c zed)" 0 "is not learned (only recipients=learn learns)"
is "$(probes "$S")" 0 "no probe was made (budget 0)"

# the server goes down: the relay refuses exactly what it learned
users_stop "$DOWN"
PORT=$(free_port)
smtp_server "$PORT" "$C" mxhold-queue
out=$(rcpt "$PORT" eve@example.net alice@example.net bob@example.net carol@example.net)
is "$(code_of "$out" eve@example.net)" 550 "server down: the learned unknown address gets 550"
is "$(code_of "$out" alice@example.net)" 250 "server down: a learned known address is accepted"
is "$(code_of "$out" bob@example.net)" 250 "bob too"
is "$(code_of "$out" carol@example.net)" 250 "a never-seen address is accepted (verify_fail=accept)"
LOG=$T/smtpd.$PORT.log
wait_until 5 grep -q 'to=carol@example.net' "$LOG"
like "$(grep refused "$LOG" | grep eve@)" 'reason=unknown-recipient basis=cache' "the refusal is logged with basis=cache"
like "$(grep unverified "$LOG" | grep carol@)" 'basis=limited action=accept' "carol: accepted unverified, no probe (the budget), logged"

# a user the server later refuses (left the company): learned again
users_start "$DOWN" "$S"
sed -i '/^alice@/d' "$S/users"
inject snd@example.org alice@example.net
check "alice now bounced" wait_until 15 eval '[ "$(grep -c "learned to=alice@example.net" "$T/deliver.log")" -ge 2 ]'
like "$(grep 'learned to=alice@example.net' "$T/deliver.log" | tail -1)" 'result=unknown' "and learned unknown"
out=$(rcpt "$PORT" alice@example.net)
is "$(code_of "$out" alice@example.net)" 550 "alice is refused at RCPT now"
dlv_grammar "$T/deliver.log"
done_testing
