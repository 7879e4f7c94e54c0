# 56-deliver-backscatter: no bounce to a sender that may be forged, and a
# bounce that carries the headers only, bounded (issue 17, item 1).
# swaks-like client -> tcpserver -> mxhold-smtpd -> mxhold-spfcheck (the
# suite's DNS server) -> mxhold-queue -> mxhold-deliver -> a downstream that
# answers 550 to every recipient. With the default config:
# - a sender whose SPF is none (its domain publishes nothing): no DSN is
#   queued, and the log says why (dsn-withheld reason=spf-not-pass);
# - a sender whose SPF passes: a DSN, whose text/rfc822-headers part holds
#   the original headers and not one byte of the 40 KB body;
# - a message with 30 KB of headers: the DSN returns at most 16 KiB of
#   them, cut before a whole field (no half field), never the body.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$TOP/tests/spf/e2e-lib.sh"
spf_dns "$TOP/tests/spf/e2e-zone.yml" || exit 1

PD=$(free_port)    # the customer's server: 550 to everything
PS=$(free_port)    # the senders' server: where a DSN would arrive
S=$(free_port)
dlv_conf "$PD"
cat >"$C/domains" <<EOD
example.com 127.0.0.1:$PD
pass.test 127.0.0.1:$PS
nospf.test 127.0.0.1:$PS
EOD
dlv_recompile
# its 550 is long (about 900 bytes, words of 5): the DSN must fold it
LONG="no such user here:$(printf ' word%.0s' $(seq 176))"
sink_start "$PD" "$T/down" --reject '.' --reject-text "$LONG"
sink_start "$PS" "$T/senders"
dlv_start
smtp_server "$S" "$C" mxhold-spfcheck mxhold-queue

# send FROM RCPT HEADERS_BYTES BODY_BYTES: one message by SMTP; prints the
# DATA reply
send () {
  $PY - "$S" "$@" <<'PYEOF'
import smtplib, sys
port, sender, rcpt, hbytes, bbytes = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
h = 'From: <%s>\r\nTo: <%s>\r\nSubject: backscatter test\r\nMessage-ID: <bs.%s@test>\r\n' % (sender, rcpt, sender)
n = 0
while len(h) < hbytes:
    # a folded field: its second line must never be in a DSN without its first
    h += 'X-Filler-%04d: %s\r\n\tfolded-%04d %s\r\n' % (n, 'f' * 40, n, 'g' * 30)
    n += 1
body = ''.join('BODYMARK %06d %s\r\n' % (i, 'b' * 60) for i in range(bbytes // 78 + 1))
s = smtplib.SMTP('127.0.0.1', port, local_hostname='client.test', timeout=30)
s.ehlo('client.test')
try:
    s.sendmail(sender, [rcpt], (h + '\r\n' + body).encode())
    print('250')
except smtplib.SMTPException as e:
    print('refused', e)
s.quit()
PYEOF
}

is "$(send forged@nospf.test bad1@example.com 0 40000)" 250 "accepted from a sender without SPF"
N=$(grep -o 'spf qid=[0-9.]*' "$T/smtpd.$S.log" | tail -1 | cut -d= -f2)
like "$(grep "spf qid=$N " "$T/smtpd.$S.log")" ' spf=none ' "its SPF result is none"
check "the downstream's 550: bounced" wait_until 15 grep -q "bounced qid=$N from=forged@nospf.test to=bad1@example.com .*status=bounced" "$T/deliver.log"
check "no DSN, and the log says why (dsn-withheld reason=spf-not-pass)" \
  wait_until 10 grep -q "mxhold-deliver: info: dsn-withheld qid=$N from=forged@nospf.test to=bad1@example.com reason=spf-not-pass\$" "$T/deliver.log"
unlike "$(grep "info: dsn qid=$N " "$T/deliver.log")" . "no dsn line for it"

is "$(send alice@pass.test bad2@example.com 0 40000)" 250 "accepted from a sender whose SPF passes"
P=$(grep -o 'spf qid=[0-9.]*' "$T/smtpd.$S.log" | tail -1 | cut -d= -f2)
like "$(grep "spf qid=$P " "$T/smtpd.$S.log")" ' spf=pass ' "its SPF result is pass"
check "a DSN is queued for it" wait_until 15 grep -q "info: dsn qid=$P to=alice@pass.test rcpts=1" "$T/deliver.log"
check "the DSN arrived at the sender's server" wait_until 15 eval 'grep -lq "Final-Recipient: rfc822; bad2@example.com" "$T"/senders/*.eml 2>/dev/null'
F=$(grep -l "Final-Recipient: rfc822; bad2@example.com" "$T"/senders/*.eml 2>/dev/null | head -1)
like "$(tr -d '\r' <"$F")" $'Content-Type: text/rfc822-headers\n\n' "it returns the headers (text/rfc822-headers)"
like "$(tr -d '\r' <"$F")" 'Message-ID: <bs.alice@pass.test@test>' "with the original Message-ID"
unlike "$(cat "$F")" 'BODYMARK' "and not one line of the body"
like "$(tr -d '\r' <"$F")" 'The headers of your message are attached\.' "its text says the headers are attached (not cut)"
check "the DSN is small (under 8 KB for a 40 KB message): $(wc -c <"$F") bytes" [ "$(wc -c <"$F")" -lt 8000 ]
# the downstream's long reply, folded (issue 17 item 5): no line of the
# DSN over 78 bytes (every word is short), and its Diagnostic-Code
# unfolds to the reply as the server sent it
is "$(tr -d '\r' <"$F" | awk 'length($0) > 78' | head -3)" "" "no line of the DSN over 78 bytes, with a 900-byte reply"
$PY - "$F" >"$T/diag" <<'PYEOF'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for part in m.walk():
    if part.get_content_type() == 'message/delivery-status':
        for block in part.get_payload():
            if block['Diagnostic-Code'] is not None:   # the first block is the message's
                print(' '.join(str(block['Diagnostic-Code']).split()))
PYEOF
# deliver keeps DLV_REPLY_KEEP (400) bytes of a reply per recipient
diag=$(cat "$T/diag")
is "${diag:0:300}" "$(printf 'smtp; 550 5.1.1 %s' "$LONG" | cut -c1-300)" "Diagnostic-Code unfolds to the reply as the server sent it"
between "${#diag}" 380 420 "with the 400 bytes of it that deliver keeps"
like "$(tr -d '\r' <"$F")" $'<bad2@example.com>: 550 5.1.1 no such user here: word' "the text part names the recipient and the reply"

is "$(send alice@pass.test bad3@example.com 30000 20000)" 250 "accepted: 30 KB of headers"
H=$(grep -o 'spf qid=[0-9.]*' "$T/smtpd.$S.log" | tail -1 | cut -d= -f2)
check "its DSN arrived" wait_until 15 eval 'grep -lq "Final-Recipient: rfc822; bad3@example.com" "$T"/senders/*.eml 2>/dev/null'
F=$(grep -l "Final-Recipient: rfc822; bad3@example.com" "$T"/senders/*.eml 2>/dev/null | head -1)
# the headers part: from its Content-Type to the closing boundary
$PY - "$F" >"$T/hdrpart" <<'PYEOF'
import sys
d = open(sys.argv[1], 'rb').read()
a = d.index(b'Content-Type: text/rfc822-headers\r\n\r\n') + len(b'Content-Type: text/rfc822-headers\r\n\r\n')
b = d.index(b'\r\n--=_mxhold_', a)
sys.stdout.buffer.write(d[a:b])   # the part, each line CRLF-ended
PYEOF
n=$(wc -c <"$T/hdrpart")
diag "headers part: $n bytes of about 30000"
check "at most 16 KiB of headers come back" [ "$n" -le 16384 ]
check "and more than 12 KB of them (cut near the bound, not at the start)" [ "$n" -gt 12000 ]
last=$(tr -d '\r' <"$T/hdrpart" | tail -1)
like "$last" $'^\tfolded-[0-9]{4} g+$' "the cut is after a whole field (its folded line ends the part)"
is "$(tr -d '\r' <"$T/hdrpart" | grep -c '^X-Filler')" "$(tr -d '\r' <"$T/hdrpart" | grep -c $'^\tfolded')" "every field has its folded line"
unlike "$(cat "$F")" 'BODYMARK' "no body either"
like "$(tr -d '\r' <"$F")" 'headers of your message are attached, at most the first 16384 bytes of them \(cut at a header field\)' "the DSN's text says the headers are cut"
is "$(grep -c 'Final-Recipient: rfc822; bad1@example.com' "$T"/senders/*.eml 2>/dev/null | awk -F: '{s += $NF} END {print s + 0}')" 0 "the forged sender's server got nothing"
dlv_grammar "$T/deliver.log"
done_testing
