# 42-deliver-expiry: with a short lifetime, a message whose downstream stays
# down expires; the DSN arrives at the sender's domain's server and parses
# as RFC 3464 (multipart/report, message/delivery-status, text/rfc822-headers).
# No DSN for the null sender, none when dsn_pass_only is set and SPF was not pass.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

PD=$(free_port)     # example.com: nobody listens
PS=$(free_port)     # example.net: the senders' server
dlv_conf "$PD" lifetime 3 dsn_pass_only 1
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "$PD" "$PS" >"$C/domains"
dlv_recompile
sink_start "$PS" "$T/mbox"
dlv_start

inject snd@example.net gone@example.com other@example.com; A=$(dlv_qid)
inject "" gone2@example.com; B=$(dlv_qid)
SPF=softfail inject snd2@example.net gone3@example.com; N=$(dlv_qid)

check "deferred while the downstream is down" wait_until 10 grep -q "deferred qid=$A from=snd@example.net to=gone@example.com .*status=deferred" "$T/deliver.log"
check "all three expire and leave the queue" wait_until 20 queue_empty
like "$(grep "expired qid=$A from=snd@example.net to=gone@example.com " "$T/deliver.log")" \
  "^mxhold-deliver: info: expired qid=$A from=snd@example.net to=gone@example.com host=- error=\"connect failed: Connection refused\" delay=[0-9.]+ attempts=[1-9][0-9]* status=expired reason=expired-after-3-s\$" \
  "expiry logged as expired, with the last reply and the lifetime"
check "the null sender's recipient expires too, logged with from=\"\"" grep -q "expired qid=$B from=\"\" to=gone2@example.com .*status=expired" "$T/deliver.log"
unlike "$(grep "qid=$A .*status=bounced" "$T/deliver.log")" . "an expiry is not logged as a bounce"
check "one DSN for both recipients" grep -q "mxhold-deliver: info: dsn qid=$A to=snd@example.net rcpts=2" "$T/deliver.log"
unlike "$(grep "info: dsn qid=$B" "$T/deliver.log")" . "no DSN for the null sender"
unlike "$(grep "info: dsn qid=$N" "$T/deliver.log")" . "no DSN when SPF was not pass and dsn_pass_only is 1"
check "the DSN arrived" wait_until 10 grep -Eq '^[0-9]+ [0-9]+  snd@example.net ' "$T/mbox/log"
is "$(grep -c 'snd2@example.net' "$T/mbox/log")" 0 "nothing went to the softfail sender"

F=$(grep -l $'^X-Sink-From: \r$' "$T"/mbox/*.eml | head -1)
R=$($PY - "$F" <<'PYEOF'
import sys, email, email.policy
raw = open(sys.argv[1], 'rb').read()
raw = raw.split(b'\r\n', 2)[2]          # drop the sink's two X-Sink lines
m = email.message_from_bytes(raw, policy=email.policy.compat32)
out = []
out.append("type=" + m.get_content_type())
out.append("report-type=" + str(m.get_param('report-type')))
out.append("from=" + m['From'])
parts = m.get_payload()
out.append("parts=" + ",".join(p.get_content_type() for p in parts))
ds = parts[1].get_payload()             # message/delivery-status: a list of header blocks
out.append("blocks=%d" % len(ds))
out.append("reporting=" + str(ds[0]['Reporting-MTA']))
for b in ds[1:]:
    out.append("rcpt=%s action=%s status=%s diag=%s" % (b['Final-Recipient'], b['Action'], b['Status'], b['Diagnostic-Code']))
hdrs = parts[2].get_payload()
out.append("orig-subject=" + ("yes" if "Subject: test" in str(hdrs) else "no"))
print("\n".join(out))
PYEOF
)
diag "$(echo "$R" | head -3 | tr '\n' ' ')"
like "$R" 'type=multipart/report' "DSN is multipart/report"
like "$R" 'report-type=delivery-status' "report-type=delivery-status"
like "$R" 'from=Mail Delivery System <MAILER-DAEMON@relay.test>' "from MAILER-DAEMON@me"
like "$R" 'parts=text/plain,message/delivery-status,text/rfc822-headers' "three parts, original headers attached"
like "$R" 'reporting=dns; relay.test' "Reporting-MTA"
like "$R" 'rcpt=rfc822; gone@example.com action=failed status=4.4.7 diag=smtp; connect failed' "per-recipient fields, Status 4.4.7 on expiry"
like "$R" 'rcpt=rfc822; other@example.com action=failed status=4.4.7' "second recipient listed"
like "$R" 'orig-subject=yes' "original Subject in the attached headers"
dlv_grammar "$T/deliver.log"
done_testing
