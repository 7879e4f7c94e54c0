#!/bin/bash
# 64-remote-bdat: mxhold-remote delivers with BDAT (RFC 3030) to a real
# Postfix that offers CHUNKING: one BDAT LAST per message, the body byte
# for byte with no dot-stuffing (Postfix holds it: postcat shows what it
# got), a refused recipient beside an accepted one (BDAT for the rest),
# every recipient refused (no BDAT at all), and DATA still to a server
# without CHUNKING (40-sink.py).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/postfix-lib.sh"

PF=$T/pf PFPORT=$(free_port)
postfix_start "$PF" "$PFPORT" \
  "smtpd_data_restrictions = check_client_access static:HOLD" \
  "smtpd_recipient_restrictions = check_recipient_access inline:{ bad@example.com=REJECT, bad2@example.com=REJECT }, permit_mynetworks, reject" \
  || { nok "postfix did not start"; exit 1; }
dlv_conf "$PFPORT" session_idle 0   # a session per batch: Postfix logs its commands at once
dlv_start
pflog () { postfix_log "$PF"; }
held () { find "$PF/spool/hold" -type f 2>/dev/null | wc -l; }

BODY=$T/body
printf 'Received: from test\r\nSubject: chunked out\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n' >"$BODY"
BODY=$BODY inject a@example.net x@example.com
check "delivered to Postfix" wait_until 20 queue_empty
check "Postfix held it" wait_until 10 test "$(held)" -ge 1
wait_until 10 eval 'pflog | grep "disconnect from" | grep -q " mail="'
like "$(pflog | grep 'disconnect from' | grep ' mail=')" " bdat=1 " "Postfix saw one BDAT"
unlike "$(pflog | grep 'disconnect from' | grep ' mail=')" " data=" "and no DATA command"
id=$(basename "$(find "$PF/spool/hold" -type f | head -1)")
body=$(postcat -c "$PF/etc" -bq "$id" 2>/dev/null | tr -d '\r' | sed '/./,$!d')
is "$body" $'.leading dot\n..two dots\n.\nend' "the body arrived byte for byte (nothing stuffed, nothing lost)"
like "$(grep 'status=delivered' "$T/deliver.log" | tail -1)" "to=x@example.com .*reply=\"250 2\.0\.0 Ok: [0-9]+ bytes queued as" "delivered logged with Postfix's reply to BDAT"

inject b@example.net bad@example.com y@example.com
check "one refused, one accepted: settled" wait_until 20 queue_empty
check "the refused recipient bounced" grep -q 'bounced qid=[0-9.]* from=b@example.net to=bad@example.com .*554 5\.7\.1' "$T/deliver.log"
check "the other delivered" grep -q 'delivered qid=[0-9.]* from=b@example.net to=y@example.com ' "$T/deliver.log"

inject c@example.net bad@example.com bad2@example.com
check "every recipient refused: settled" wait_until 20 queue_empty
check "the session that had both refused logged by Postfix" wait_until 10 eval 'pflog | grep "disconnect from" | grep -q " rcpt=0/2 "'
unlike "$(pflog | grep 'disconnect from' | grep ' rcpt=0/2 ')" "bdat=" "no BDAT when no recipient was accepted"
like "$(pflog | grep 'disconnect from' | grep ' rcpt=0/2 ')" " rset=1" "but an RSET"

# a downstream without CHUNKING still gets DATA
P2=$(free_port)
sed -i "s/127.0.0.1:$PFPORT/127.0.0.1:$P2/" "$C/domains"
dlv_recompile
sink_start "$P2" "$T/mbox"
check "deliver took the new route" wait_until 10 grep -q "config-reloaded" "$T/deliver.log"
inject d@example.net z@example.com
check "delivered to a sink without CHUNKING" wait_until 20 queue_empty
like "$(cat "$T/mbox/1.eml" 2>/dev/null)" $'\n\\.leading dot' "by DATA: the dotted line intact"
dlv_grammar "$T/deliver.log"
done_testing
