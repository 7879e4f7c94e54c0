#!/bin/bash
# 66-remote-smtputf8: a message marked smtputf8 in the queue goes to a
# real Postfix with smtputf8_enable=yes with MAIL ... SMTPUTF8 (Postfix
# holds it: postcat shows the UTF-8 envelope); to a sink without SMTPUTF8
# (40-sink.py) it bounces 553 5.6.7 and is never sent (no downgrade),
# while an unmarked message there is delivered; the DSN to a UTF-8 sender
# is marked too.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/postfix-lib.sh"

PF=$T/pf PFPORT=$(free_port)
postfix_start "$PF" "$PFPORT" "smtputf8_enable = yes" \
  "smtpd_data_restrictions = check_client_access static:HOLD" \
  || { nok "postfix did not start"; exit 1; }
dlv_conf "$PFPORT" session_idle 0
dlv_start
held () { find "$PF/spool/hold" -type f 2>/dev/null | wc -l; }
BODY=$T/body
printf 'Received: from test\r\nFrom: <j\xc3\xb6rg@example.net>\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nhallo\r\n' >"$BODY"

BODY=$BODY MXHOLD_SMTPUTF8=1 inject 'jörg@example.net' 'müller@example.com'
check "marked message delivered to Postfix" wait_until 20 queue_empty
check "Postfix holds it" wait_until 10 test "$(held)" -ge 1
id=$(basename "$(find "$PF/spool/hold" -type f | head -1)")
env=$(postcat -c "$PF/etc" -eq "$id" 2>/dev/null)
# Postfix takes UTF-8 addresses even without SMTPUTF8; what it was asked
# for is the last field of its size record (smtputf8 flags, bit 0: the
# client requested SMTPUTF8)
flags=$(awk '/^message_size:/ { print $NF }' <<<"$env")
is "$(( ${flags:-0} & 1 ))" 1 "Postfix recorded that MAIL asked for SMTPUTF8 (size record flags $flags)"
like "$env" "sender: jörg@example\.net" "Postfix got the UTF-8 sender"
like "$env" "recipient: müller@example\.com" "and the UTF-8 recipient (it takes them only with SMTPUTF8)"
like "$(grep 'status=delivered' "$T/deliver.log" | head -1)" 'to="m\\xc3\\xbcller@example\.com" ' "delivered logged, the address escaped"

# a downstream without SMTPUTF8
P2=$(free_port)
sed -i "s/127.0.0.1:$PFPORT/127.0.0.1:$P2/" "$C/domains"
dlv_recompile
sink_start "$P2" "$T/mbox"
check "deliver took the new route" wait_until 10 grep -q "config-reloaded" "$T/deliver.log"
BODY=$BODY MXHOLD_SMTPUTF8=1 inject 'jörg@example.net' 'anna@example.com'
inject a@example.net plain@example.com
check "both settled" wait_until 20 queue_empty
check "the marked message bounced 553 5.6.7" grep -q 'bounced qid=[0-9.]* from="j\\xc3\\xb6rg@example.net" to=anna@example.com .*reply="553 5\.6\.7 ' "$T/deliver.log"
is "$(grep -c 'anna@example.com' "$T/mbox/log" 2>/dev/null)" 0 "it never reached the sink (no silent downgrade)"
check "the unmarked message was delivered there" grep -q ' plain@example.com ' "$T/mbox/log"
check "the DSN to the UTF-8 sender is marked too: it bounces there as well, and no DSN of a DSN" \
  grep -q 'bounced qid=[0-9.]* from="" to="j\\xc3\\xb6rg@example.net" .*553 5\.6\.7' "$T/deliver.log"
is "$(grep -c 'j\\xc3\\xb6rg\|jörg' "$T/mbox/log" 2>/dev/null)" 0 "the sink got nothing for jörg"
dlv_grammar "$T/deliver.log"
done_testing
