#!/bin/bash
# 61-spf-filter: tcpserver + mxhold-smtpd + mxhold-spfcheck + mxhold-queue
# with a local DNS server: pass (queued, headers), fail (550 5.7.23 with the
# exp= explanation, nothing queued), softfail (marked), temperror (451
# 4.7.24 within the budget), and a trusted relay with and without a
# readable Received header from the hop before it.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/spf/e2e-lib.sh"
for p in mxhold-smtpd mxhold-queue mxhold-spfcheck mxhold-conf; do
  [ -x "$BIN/$p" ] || { nok "$p is not built yet"; exit 1; }
done
spf_dns "$TOP/tests/spf/e2e-zone.yml" || exit 1
C=$T/conf
spf_mkconf "$C" || exit 1
Q=$C/q
PORT=$(free_port)
smtp_server "$PORT" "$C" mxhold-spfcheck mxhold-queue
LOG=$T/smtpd.$PORT.log

r=$(spf_send 127.0.0.1 "$PORT" alice@pass.test)
like "$r" '^250' "pass: accepted"
m=$(spf_last_msg "$Q")
is "$(queue_count "$Q")" 1 "pass: queued"
like "$(cat "$m")" 'Received-SPF: pass ' "pass: Received-SPF header"
like "$(unfold "$m")" 'Authentication-Results: relay.test; spf=pass smtp.mailfrom=alice@pass.test' "pass: Authentication-Results header"
like "$(grep -a '^spf ' "$m")" '^spf pass' "pass: MXHOLD_SPF reached the queue"
like "$(grep -a -n 'Received-SPF' "$m" | cut -d: -f1)" '^[0-9]+$' "pass: one Received-SPF line"
like "$(cat "$LOG")" '^mxhold-spfcheck: info: spf qid=[0-9.]+ client=127.0.0.1 helo=client.test from=alice@pass.test ip=127.0.0.1 spf=pass identity=mailfrom mechanism=ip4:127.0.0.0/8 action=accept$' "pass: one spf line, client and checked ip the same"

r=$(spf_send 127.0.0.1 "$PORT" bob@fail.test)
is "$r" "550 5.7.23 127.0.0.1 may not send mail for fail.test, see http://fail.test/spf" "fail: rejected at DATA with the explanation"
is "$(queue_count "$Q")" 1 "fail: nothing queued"
like "$(grep -a 'spf=fail' "$LOG")" ' from=bob@fail.test ip=127.0.0.1 spf=fail identity=mailfrom mechanism=-all action=reject$' "fail: logged with action=reject"

r=$(spf_send 127.0.0.1 "$PORT" carol@soft.test)
like "$r" '^250' "softfail: accepted"
m=$(spf_last_msg "$Q")
like "$(cat "$m")" 'X-Mxhold-SPF: softfail \(marked\)' "softfail: marked"
like "$(cat "$m")" 'Received-SPF: softfail ' "softfail: Received-SPF header"

t0=$(date +%s)
r=$(spf_send 127.0.0.1 "$PORT" dave@temp.test)
t1=$(date +%s)
like "$r" '^451 4\.7\.24 ' "temperror: 451 4.7.24 ($r)"
check "temperror: answered within the 2 s budget (+2 s slack)" [ $((t1 - t0)) -le 4 ]
is "$(queue_count "$Q")" 2 "temperror: nothing queued"

hop='Received: from mail.hop.example (mail.hop.example [192.0.2.66])\r\n\tby filter.customer.example with ESMTP id 1; Fri, 27 Nov 2026 10:00:00 +0000\r\n'
r=$(spf_send 127.0.0.9 "$PORT" erin@relayed.test "$(printf "$hop")")
is "$r" "550 5.7.23 SPF fail: 192.0.2.66 is not allowed to send mail from relayed.test" "trusted relay, failing hop: rejected"
# client= is the trusted relay that talks to us, ip= and hop_helo= the hop
# whose SPF was evaluated
like "$(cat "$LOG")" 'spf qid=[0-9.]+ client=127.0.0.9 helo=client.test from=erin@relayed.test ip=192.0.2.66 hop_helo=mail.hop.example spf=fail identity=mailfrom mechanism=-all action=reject' "trusted relay, failing hop: logged as client 127.0.0.9, checked ip 192.0.2.66 and its HELO"

hop='Received: from ok.hop.example ([192.0.2.10])\r\n\tby filter.customer.example; Fri, 27 Nov 2026 10:00:00 +0000\r\n'
r=$(spf_send 127.0.0.9 "$PORT" erin@relayed.test "$(printf "$hop")")
like "$r" '^250' "trusted relay, passing hop: accepted"
like "$(unfold "$(spf_last_msg "$Q")")" 'Received-SPF: pass \(relay.test: trusted relay 127.0.0.9, checked the hop before it, 192.0.2.10' "trusted relay, passing hop: header names the hop"

r=$(spf_send 127.0.0.9 "$PORT" erin@fail.test)
like "$r" '^250' "trusted relay, no Received header: accepted"
m=$(spf_last_msg "$Q")
like "$(unfold "$m")" 'Received-SPF: none \(relay.test: trusted relay 127.0.0.9, no readable hop before it: not checked' "trusted relay, no hop: header says not checked"
like "$(grep -a '^spf ' "$m")" '^spf skipped' "trusted relay, no hop: queued as skipped"
like "$(grep -a 'spf=skipped' "$LOG")" 'client=127.0.0.9 helo=client.test from=erin@fail.test ip=- spf=skipped detail="trusted relay, no readable hop before it" action=accept$' "trusted relay, no hop: logged as skipped, no ip checked, and why"
is "$(queue_count "$Q")" 4 "four messages queued in all"

# The client hangs up in the middle of DATA: spfcheck has passed the
# message on already, but the envelope never comes, so nothing is queued.
$PY - "$PORT" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 10)
f = s.makefile('rb')
def rd():
    while True:
        l = f.readline()
        if l[3:4] != b'-': return l
rd()
for c in (b'EHLO client.test', b'MAIL FROM:<alice@pass.test>', b'RCPT TO:<rcpt@example.com>', b'DATA'):
    s.sendall(c + b'\r\n'); rd()
s.sendall(b'Subject: cut\r\n\r\n' + b'half a message\r\n' * 2000)
time.sleep(0.5)
s.close()
PYEOF
# spfcheck logs "aborted" once the queue program it started has exited
wait_until 10 grep -q '^mxhold-spfcheck: info: aborted qid=[0-9.]* reason=no-envelope$' "$LOG" \
  && ok "client gone mid-DATA: spfcheck says the envelope never came" || nok "no aborted line from spfcheck"
is "$(queue_count "$Q")" 4 "client gone mid-DATA: nothing queued"
is "$(grep -c '^mxhold-spfcheck: info: spf ' "$LOG")" 8 "one spf line per message (8 messages)"
done_testing
