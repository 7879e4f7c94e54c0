#!/bin/bash
# 20-abuse-sender: a sender domain that is an address (127.0.0.1, a
# number, [127.0.0.1], [IPv6:::1]) or is local by nature (localhost, one
# label) is refused at MAIL with 553 5.1.8 and reason=sender-ip /
# sender-not-fqdn, since its bounce would go into loopback or an internal
# network (issue 17, item 2). The null sender and a real domain still get
# their message queued; a recipient at an address is relaying (550).
# Through tcpserver -> ratelimit -> smtpd -> spfcheck -> queue.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/20-abuse-lib.bash"
ab_setup
ab_start

# mail_reply SENDER: the reply to MAIL FROM:<SENDER> after EHLO
mail_reply () {
  printf 'R\nS EHLO client.test\\r\\n\nR\nS MAIL FROM:<%s>\\r\\n\nR\nS QUIT\\r\\n\nR\n' "$1" | ab_talk 10 | sed -n 3p
}

for s in 'root@127.0.0.1|sender-ip|a dotted quad' 'root@127.0.0.1.|sender-ip|a dotted quad with a trailing dot' \
         'x@[127.0.0.1]|sender-ip|an IPv4 address literal' 'x@[IPv6:::1]|sender-ip|an IPv6 address literal' \
         'root@2130706433|sender-ip|one number (inet_aton: 127.0.0.1)' 'root@127.1|sender-ip|inet_aton a.b form' \
         'root@10.0.0.0x1|sender-ip|a hexadecimal last label' 'root@localhost|sender-not-fqdn|localhost' \
         'root@db.localhost|sender-not-fqdn|a name under localhost (RFC 6761)' 'root@intranet|sender-not-fqdn|a single label'; do
  addr=${s%%|*} rest=${s#*|}; reason=${rest%%|*} what=${rest#*|}
  r=$(mail_reply "$addr")
  like "$r" '^553 5\.1\.8 ' "MAIL FROM:<$addr> ($what): 553 5.1.8"
  check "refused stage=mail from=$addr reason=$reason logged" \
    wait_until 5 ab_has "smtpd refused stage=mail from=$addr reason=$reason reply~^553"
done
like "$(mail_reply 'someone@mail.pass.test')" '^250 ' "a fully-qualified sender: 250"
like "$(mail_reply '@relay.example:root@127.0.0.1')" '^553 5\.1\.8 ' "a source route does not hide the address behind it"

# RCPT: an address is no customer domain; relaying refused as before
out=$(printf 'R\nS EHLO client.test\\r\\n\nR\nS MAIL FROM:<a@pass.test>\\r\\n\nR\nS RCPT TO:<root@127.0.0.1>\\r\\n\nR\nS RCPT TO:<postmaster@[127.0.0.1]>\\r\\n\nR\nS QUIT\\r\\n\nR\n' | ab_talk 10)
like "$(printf '%s\n' "$out" | sed -n 4p)" '^550 5\.7\.1 ' "RCPT TO:<root@127.0.0.1>: 550 5.7.1"
like "$(printf '%s\n' "$out" | sed -n 5p)" '^550 5\.7\.1 ' "RCPT TO:<postmaster@[127.0.0.1]>: 550 5.7.1"

# The null sender and a real one: queued through the whole chain
n0=$(queue_count "$Q")
out=$($PY - "$PORT" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test", timeout=20)
for f in ("", "alice@pass.test"):
    s.sendmail(f, ["user@example.com"], "Subject: ok\r\n\r\nbody\r\n")
s.quit()
print("sent")
PY
)
is "$out" sent "<> and alice@pass.test accepted"
is "$(( $(queue_count "$Q") - n0 ))" 2 "both queued"
check 'the queued <> message is logged from=""' wait_until 5 grep -q '^mxhold-queue: info: queued qid=[0-9.]* from="" ' "$AB_LOG"
is "$(grep -c '^mxhold-queue: info: queued' "$AB_LOG")" 2 "nothing else was queued"
ab_grammar
done_testing
