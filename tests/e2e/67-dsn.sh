#!/bin/bash
# 67-dsn: DSN (RFC 3461, 3464). smtpd takes RET=, ENVID= on MAIL and
# NOTIFY=, ORCPT= on RCPT from Python smtplib and keeps them in the queue
# file; malformed xtext, a NOTIFY that mixes NEVER, an ORCPT over 500 or
# an ENVID over 100 characters, duplicates: 501. deliver passes them to a
# real Postfix that offers DSN (postcat shows them); bounces honour
# NOTIFY=NEVER (none), carry ENVID and ORCPT, and RET=FULL returns the
# whole message.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/postfix-lib.sh"
talk () { $PY "$TOP/tests/e2e/10-smtpd-talk.py" "$@"; }

# ---- inbound: smtpd and the queue file (no deliver yet)
SC=$T/sc
mkconf -q "$T/sq" -p 9 "$SC" || exit 1
SP=$(free_port)
smtp_server "$SP" "$SC" mxhold-queue
r=$($PY - "$SP" <<'P'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.test")
print("ext", s.has_extn("dsn"))
s.mail("a@example.net", ["RET=HDRS", "ENVID=QQ+2B1"])
print(*s.rcpt("u@example.com", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;u+40example.com"]))
print(*s.rcpt("v@example.com", ["NOTIFY=never"]))
print(*s.rcpt("w@example.com"))
print(*s.data(b"Subject: dsn\r\n\r\nhi\r\n"))
s.quit()
P
)
like "$r" "ext True" "EHLO advertises DSN (smtplib sees it)"
like "$(echo "$r" | grep -c '^25')" "^4$" "RCPTs with NOTIFY and ORCPT accepted, message queued"
m=$(ls -t "$T/sq"/new/* | head -1)
check "RET kept" grep -qx "ret HDRS" "$m"
check "ENVID kept as xtext" grep -qx "envid QQ+2B1" "$m"
check "NOTIFY and ORCPT of recipient 0 kept" grep -qx "dsn 0 SUCCESS,FAILURE rfc822;u+40example.com" "$m"
check "NOTIFY=never of recipient 1 kept, normalised" grep -qx "dsn 1 NEVER -" "$m"
unlike "$(grep '^dsn 2' "$m")" . "no dsn line for the recipient without parameters"
long=$(printf 'x%.0s' $(seq 1 496))
env100=$(printf 'e%.0s' $(seq 1 101))
r=$(talk "$SP" <<S
R
S EHLO c\r\nMAIL FROM:<a@example.net> ENVID=$env100\r\nMAIL FROM:<a@example.net> RET=ALL\r\nMAIL FROM:<a@example.net> RET=FULL RET=FULL\r\nMAIL FROM:<a@example.net> ENVID=a+zz\r\nMAIL FROM:<a@example.net> RET=full\r\n
RN 6
S RCPT TO:<u@example.com> NOTIFY=NEVER,SUCCESS\r\nRCPT TO:<u@example.com> NOTIFY=BOGUS\r\nRCPT TO:<u@example.com> NOTIFY=\r\nRCPT TO:<u@example.com> ORCPT=rfc822\r\nRCPT TO:<u@example.com> ORCPT=rfc822;a=b\r\nRCPT TO:<u@example.com> ORCPT=rfc822;$long\r\nRCPT TO:<u@example.com> NOTIFY=FAILURE NOTIFY=FAILURE\r\nRCPT TO:<u@example.com> ORCPT=rfc822;${long:3}\r\nQUIT\r\n
RN 9
S
)
is "$(sed -n 3,6p <<<"$r" | cut -c1-3 | tr '\n' ' ')" "501 501 501 501 " "ENVID over 100, RET=ALL, RET twice, bad xtext in ENVID: 501"
like "$(sed -n 7p <<<"$r")" "^250 " "RET=full (any case) accepted"
is "$(sed -n 8,14p <<<"$r" | cut -c1-9 | tr '\n' ' ')" "501 5.5.4 501 5.5.4 501 5.5.4 501 5.5.4 501 5.5.4 501 5.5.4 501 5.5.4 " \
  "NOTIFY NEVER with another, unknown word, empty; ORCPT without type, with '=', over 500 characters; NOTIFY twice: 501 5.5.4"
like "$(sed -n 15p <<<"$r")" "^250 " "an ORCPT of exactly 500 characters accepted"
check "a refused parameter is logged with its line" grep -q 'command="RCPT TO:<u@example.com> NOTIFY=BOGUS".*reason=syntax' "$T/smtpd.$SP.log"

# ---- outbound to a real Postfix that offers DSN
PF=$T/pf PFPORT=$(free_port)
postfix_start "$PF" "$PFPORT" "smtpd_data_restrictions = check_client_access static:HOLD" || { nok "postfix did not start"; exit 1; }
dlv_conf "$PFPORT" session_idle 0
dlv_start
MXHOLD_DSN=$'ret HDRS\nenvid QQ+2B1\ndsn 0 SUCCESS,FAILURE rfc822;u+40example.com\n' inject a@example.net u@example.com
check "delivered to Postfix" wait_until 20 queue_empty
wait_until 10 eval '[ -n "$(find "$PF/spool/hold" -type f)" ]'
id=$(basename "$(find "$PF/spool/hold" -type f | head -1)")
pe=$(postcat -c "$PF/etc" -eq "$id" 2>/dev/null)
like "$pe" "dsn_orig_rcpt=rfc822;u@example\.com" "Postfix got ORCPT (it stores it decoded)"
like "$pe" "notify_flags=6" "Postfix got NOTIFY=SUCCESS,FAILURE (its bits 2|4)"
like "$pe" "envelope_id=QQ\+1" "Postfix got ENVID (QQ+2B1, decoded)"
like "$pe" "ret_flags=2" "Postfix got RET=HDRS (its 2)"

# ---- bounces from a sink without DSN that refuses bad*@
P2=$(free_port)
sed -i "s/127.0.0.1:$PFPORT/127.0.0.1:$P2/" "$C/domains"
dlv_recompile
sink_start "$P2" "$T/mbox" --reject '^bad'
check "deliver took the new route" wait_until 10 grep -q "config-reloaded" "$T/deliver.log"
BODY=$T/body
printf 'Received: from test\r\nSubject: returned whole\r\n\r\nthe body line\r\n' >"$BODY"
BODY=$BODY MXHOLD_DSN=$'ret FULL\nenvid ID+2B7\ndsn 0 NEVER -\ndsn 1 FAILURE rfc822;orig+40example.org\n' inject s@example.net bad1@example.com bad2@example.com
check "both refused recipients settled" wait_until 20 queue_empty
check "NOTIFY=NEVER: dsn-withheld reason=notify" grep -q 'dsn-withheld qid=[0-9.]* from=s@example.net to=bad1@example.com reason=notify' "$T/deliver.log"
check "the DSN for the other reached the sender" wait_until 20 grep -q ' s@example.net ' "$T/mbox/log"
d=$(grep -l '^X-Sink-To: s@example.net' "$T/mbox"/*.eml | head -1)
check "the DSN names bad2 only" sh -c "grep -q 'Final-Recipient: rfc822; bad2@example.com' '$d' && ! grep -q bad1 '$d'"
check "Original-Recipient from ORCPT, decoded" grep -q '^Original-Recipient: rfc822;orig@example.org' "$d"
check "Original-Envelope-Id from ENVID, decoded" grep -q '^Original-Envelope-Id: ID+7' "$d"
check "RET=FULL: the whole message as message/rfc822" sh -c "grep -q 'Content-Type: message/rfc822' '$d' && grep -q '^the body line' '$d'"

# NOTIFY=SUCCESS to a server without DSN: a "relayed" DSN (RFC 3461 4.1)
MXHOLD_DSN=$'dsn 0 SUCCESS,FAILURE -\ndsn 1 FAILURE -\n' inject r@example.net good1@example.com good2@example.com
check "delivered" wait_until 20 queue_empty
check "both arrived" wait_until 10 grep -q ' r@example.net good1@example.com,good2@example.com ' "$T/mbox/log"
check "a relayed DSN reached the sender" wait_until 20 eval 'grep -l "^X-Sink-To: r@example.net" "$T/mbox"/*.eml | grep -q .'
d=$(grep -l '^X-Sink-To: r@example.net' "$T/mbox"/*.eml | head -1)
check "it says relayed, for good1 only" sh -c "grep -q '^Action: relayed' '$d' && grep -q 'Final-Recipient: rfc822; good1@example.com' '$d' && ! grep -q good2 '$d'"
check "its status is 2.0.0 and its subject says relayed" sh -c "grep -q '^Status: 2.0.0' '$d' && grep -q '^Subject: Delivery Status Notification (Relayed)' '$d'"
n=$(ls "$T/mbox"/*.eml | wc -l)
MXHOLD_DSN=$'dsn 0 SUCCESS -\n' inject "" quiet@example.com
check "from the null sender: delivered" wait_until 20 queue_empty
is "$(ls "$T/mbox"/*.eml | wc -l)" $((n + 1)) "and no relayed DSN to the null sender"
dlv_grammar "$T/deliver.log"
done_testing
