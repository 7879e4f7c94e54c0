#!/bin/bash
# smtpd: every command's reply, the ESMTP extensions, the sequence rules,
# and one message through swaks to a qmail-queue filter (envelope,
# Received header, environment, file descriptors, log line).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" || exit 1
# the server starts with fds 3, 5 and 7 open (as if make check ran from a
# shell that held them): none of them may reach the child
exec 3</dev/null 5</dev/null 7</dev/null
start "$CATCHILD"
exec 3<&- 5<&- 7<&-

out=$(talk "$PORT" <<'S'
R
S NOOP\r\n
R
S MAIL FROM:<a@b.example>\r\n
R
S EHLO client.example\r\n
R
S HELO client.example\r\n
R
S HELO\r\n
R
S RCPT TO:<u@example.com>\r\n
R
S DATA\r\n
R
S MAIL FROM:<a@b.example>\r\n
R
S MAIL FROM:<c@d.example>\r\n
R
S DATA\r\n
R
S RSET\r\n
R
S VRFY someone\r\n
R
S HELP\r\n
R
S XYZZY\r\n
R
S EXPN list\r\n
R
S STARTTLS\r\n
R
S DATA\r\n
R
S QUIT\r\n
R
E
S
)
mapfile -t r <<<"$out"
is "${r[0]}" "220 relay.test ESMTP mxhold" "greeting"
is "${r[1]}" "250 2.0.0 Ok" "NOOP before HELO"
like "${r[2]}" "^503 5\.5\.1 " "MAIL before HELO: 503 5.5.1"
is "${r[3]}" "250-relay.test hello | 250-PIPELINING | 250-8BITMIME | 250-CHUNKING | 250-SMTPUTF8 | 250-DSN | 250-SIZE 20971520 | 250 ENHANCEDSTATUSCODES" "EHLO advertises PIPELINING 8BITMIME CHUNKING SMTPUTF8 DSN SIZE ENHANCEDSTATUSCODES"
is "${r[4]}" "250 relay.test" "HELO"
like "${r[5]}" "^501 5\.5\.4 " "HELO without a name: 501"
like "${r[6]}" "^503 5\.5\.1 " "RCPT before MAIL: 503"
like "${r[7]}" "^503 5\.5\.1 " "DATA before MAIL: 503"
is "${r[8]}" "250 2.1.0 Ok" "MAIL"
like "${r[9]}" "^503 5\.5\.1 " "nested MAIL: 503"
like "${r[10]}" "^554 5\.5\.1 " "DATA without a recipient: 554 5.5.1"
is "${r[11]}" "250 2.0.0 Ok" "RSET"
like "${r[12]}" "^252 2\.1\.5 " "VRFY: 252 2.1.5"
like "${r[13]}" "^214 2\.0\.0 " "HELP: 214 2.0.0"
like "${r[14]}" "^500 5\.5\.2 " "unknown command: 500 5.5.2"
like "${r[15]}" "^500 5\.5\.2 " "EXPN: 500 5.5.2"
like "${r[16]}" "^502 5\.5\.1 " "STARTTLS without a tls/ folder in the config: 502 5.5.1, not advertised"
like "${r[17]}" "^503 5\.5\.1 " "DATA after RSET: 503"
like "${r[18]}" "^221 2\.0\.0 " "QUIT: 221 2.0.0"
is "${r[19]}" "EOF" "closed after QUIT"

out=$(talk "$PORT" <<'S'
R
S EHLO c\r\n
R
S MAIL FROM:<>\r\n
R
S RCPT TO:<Someone@EXAMPLE.COM.>\r\n
R
S RCPT TO:<postmaster@example.net>\r\n
R
S RCPT TO:<x@example.org>\r\n
R
S RSET\r\n
R
S MAIL FROM:<a b@c>\r\n
R
S MAIL FROM:a@b.example\r\n
R
S MAIL FROM:<a@b.example> XFOO=1\r\n
R
S MAIL FROM:<a@b.example> SIZE=x\r\n
R
S MAIL FROM:<a@b.example> BODY=8BITMIME SIZE=100\r\n
R
S RCPT TO:<a..b@example.com>\r\n
R
S RCPT TO:<>\r\n
R
S RCPT TO:<a@example.com> XFOO=1\r\n
R
S QUIT\r\n
R
S
)
mapfile -t r <<<"$out"
is "${r[2]}" "250 2.1.0 Ok" "null sender <> accepted"
is "${r[3]}" "250 2.1.5 Ok" "domain matched any case, trailing dot tolerated"
is "${r[4]}" "250 2.1.5 Ok" "postmaster at a customer domain"
like "${r[5]}" "^550 5\.7\.1 " "other domain: 550 5.7.1"
like "${r[7]}" "^501 5\.1\.7 " "MAIL syntax error: 501 5.1.7"
like "${r[8]}" "^501 5\.1\.7 " "MAIL without brackets: 501 5.1.7"
like "${r[9]}" "^555 5\.5\.4 " "unknown MAIL parameter: 555 5.5.4"
like "${r[10]}" "^501 5\.1\.7 " "bad SIZE value: 501"
is "${r[11]}" "250 2.1.0 Ok" "MAIL with BODY and SIZE"
like "${r[12]}" "^501 5\.1\.3 " "RCPT syntax error: 501 5.1.3"
like "${r[13]}" "^501 5\.1\.3 " "RCPT <>: 501 5.1.3"
like "${r[14]}" "^555 5\.5\.4 " "RCPT parameter: 555 5.5.4"

# one message with swaks
catclear
sw=$(swaks --server 127.0.0.1 --port "$PORT" --helo client.example --from 'sender@origin.example' \
  --to 'rcpt@example.com' --header 'Subject: basic' --body 'hello there' 2>&1)
like "$sw" "<- +250 2\.0\.0 Ok: queued as [0-9]+\.[0-9]{6}\.[0-9]+" "swaks: 250 queued as QID"
qid=$(printf '%s\n' "$sw" | sed -n 's/.*queued as \([0-9.]*\).*/\1/p')
m=$CATDIR/msg.$qid
check "child got the message under MXHOLD_QID" test -f "$m"
is "$(tr '\0' '|' <"$CATDIR/env.$qid")" "Fsender@origin.example|Trcpt@example.com||" "envelope F..\\0T..\\0\\0 on fd 1"
is "$(cat "$CATDIR/fds.$qid")" "0 1 2 4 10 " "child has fds 0 1 2 4 only (10: its own shell's script)"
envv=$(cat "$CATDIR/envvars.$qid")
like "$envv" "MXHOLD_HELO=client.example" "MXHOLD_HELO"
like "$envv" "MXHOLD_MAILFROM=sender@origin.example" "MXHOLD_MAILFROM"
like "$envv" "MXHOLD_QID=$qid" "MXHOLD_QID"
hdr=$(head -3 "$m" | tr -d '\r')
like "$hdr" "^Received: from client\.example \(\[127\.0\.0\.1\]\)
	by relay\.test \(mxhold\) with ESMTP id $qid
	for <rcpt@example\.com>; [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} \+0000$" "Received header first (RFC 5321 4.4)"
check "CRLF line ends in the stored message" grep -q $'^hello there\r$' "$m"
# size=: the client's text as stored, without our Received lines (3)
size=$(( $(wc -c <"$m") - $(head -3 "$m" | wc -c) ))
wait_until 5 grep -q " accepted qid=$qid " "$T/smtpd.$PORT.log"
is "$(grep " qid=$qid " "$T/smtpd.$PORT.log")" "mxhold-smtpd: info: accepted qid=$qid client=127.0.0.1 helo=client.example from=sender@origin.example rcpts=1 size=$size" "log line: accepted, with the size as received"

# two recipients: no "for" clause, both in the envelope
catclear
$PY - "$PORT" <<'P'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.sendmail("", ["a@example.com", "b@example.net"], b"Subject: two\r\n\r\nx\r\n")
s.quit()
P
m=$(catmsg)
is "$(tr '\0' '|' <"${m/msg./env.}")" "F|Ta@example.com|Tb@example.net||" "null sender and two recipients in the envelope"
unlike "$(head -3 "$m")" "for <" "no 'for' with two recipients"

# the recipient's domain is stored as it is looked up: lower case, no
# trailing dot (downstream MTAs need not accept "example.com."); the local
# part is kept as sent
catclear
$PY - "$PORT" <<'P'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("c"); s.mail("a@b.example"); s.rcpt("Someone@EXAMPLE.COM."); s.rcpt("Other@Example.Net")
s.data(b"Subject: case\r\n\r\nx\r\n"); s.quit()
P
is "$(tr '\0' '|' <"$(ls "$CATDIR"/env.* | head -1)")" "Fa@b.example|TSomeone@example.com|TOther@example.net||" "envelope: recipient domains lower case, trailing dot dropped"
done_testing
