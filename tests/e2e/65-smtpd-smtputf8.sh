#!/bin/bash
# smtpd's SMTPUTF8 (RFC 6531) through the real queue writer: Python
# smtplib with SMTPUTF8 sends UTF-8 addresses and an IDNA domain
# (bücher.example, whose A-label xn--bcher-kva.example is the customer
# domain); the queue file is marked and holds the A-label form; without
# SMTPUTF8 a UTF-8 address is 553 5.6.7; malformed UTF-8 (overlong,
# surrogate, above U+10FFFF, stray or cut sequences) is 501; a U-label
# that is no customer domain is relaying; an A-label over 63 bytes is 501.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
mkconf -p 9 -d "example.com example.net xn--bcher-kva.example" "$CONF" || exit 1
Q=$CONF/q
start
LOG=$T/smtpd.$PORT.log
newest () { ls -t "$Q"/new/* 2>/dev/null | head -1; }

r=$($PY - "$PORT" <<'P'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.test")
print("ext", s.has_extn("smtputf8"))
msg = "From: Jörg <jörg@bücher.example>\r\nSubject: Grüße\r\n\r\nHallo Müller\r\n".encode()
try:
    s.sendmail("jörg@bücher.example", ["müller@example.com", "user@BüCHER.example"], msg, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    print("sent")
except smtplib.SMTPException as e:
    print("failed", e)
s.quit()
P
)
like "$r" "ext True" "EHLO advertises SMTPUTF8 (smtplib sees it)"
like "$r" "sent" "smtplib with SMTPUTF8: UTF-8 sender and recipients accepted"
m=$(newest)
check "the queue file is marked smtputf8" grep -qx "smtputf8 1" "$m"
is "$(grep -a '^from ' "$m")" "from jörg@xn--bcher-kva.example" "the sender's U-label domain stored as its A-label, the UTF-8 local part kept"
is "$(grep -a '^to ' "$m" | tr '\n' ' ')" "to müller@example.com to user@xn--bcher-kva.example " "the U-label recipient matched xn--bcher-kva.example (ASCII letters lower-cased) and is stored so"
check "the Received line says UTF8SMTP (RFC 6531 4.3)" grep -aq "with UTF8SMTP id" "$m"
check "the header's UTF-8 is kept" grep -aq "^Subject: Grüße" "$m"
like "$(grep 'accepted' "$LOG" | tail -1)" " smtputf8=1( |$)" "accepted logs smtputf8=1"
n=$(queue_count "$Q")

# without SMTPUTF8, and malformed UTF-8 with it (raw bytes: smtplib cannot send them)
r=$(talk "$PORT" <<'S'
R
S EHLO c\r\n
R
S MAIL FROM:<j\xc3\xb6rg@example.net>\r\n
R
S MAIL FROM:<a@example.net>\r\nRCPT TO:<m\xc3\xbcller@example.com>\r\nRCPT TO:<u@b\xc3\xbccher.example>\r\nRSET\r\n
RN 4
S MAIL FROM:<a@example.net> SMTPUTF8\r\n
R
S RCPT TO:<\xc0\xafx@example.com>\r\nRCPT TO:<\xed\xa0\x80x@example.com>\r\nRCPT TO:<\xf4\x90\x80\x80x@example.com>\r\nRCPT TO:<\x80x@example.com>\r\nRCPT TO:<x\xc3@example.com>\r\nRCPT TO:<u@b\xc0\xafcher.example>\r\n
RN 6
S RCPT TO:<u@b\xc3\xbccher.invalid>\r\nRCPT TO:<u@\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc.example>\r\nRCPT TO:<u@xn--bcher-kva.example>\r\nQUIT\r\n
RN 4
S
)
like "$(sed -n 3p <<<"$r")" "^553 5\.6\.7 " "UTF-8 sender without SMTPUTF8: 553 5.6.7"
like "$(sed -n 5p <<<"$r")" "^553 5\.6\.7 " "UTF-8 recipient without SMTPUTF8: 553 5.6.7"
like "$(sed -n 6p <<<"$r")" "^553 5\.6\.7 " "U-label recipient domain without SMTPUTF8: 553 5.6.7"
like "$(sed -n 8p <<<"$r")" "^250 " "MAIL with SMTPUTF8"
is "$(sed -n 9,14p <<<"$r" | cut -c1-9 | tr '\n' ' ')" "501 5.1.3 501 5.1.3 501 5.1.3 501 5.1.3 501 5.1.3 501 5.1.3 " \
  "overlong, surrogate, above U+10FFFF, stray continuation, cut sequence, overlong in a domain: 501 5.1.3 each"
like "$(sed -n 15p <<<"$r")" "^550 5\.7\.1 " "a U-label domain that is no customer's: relaying denied"
like "$(sed -n 16p <<<"$r")" "^501 5\.1\.3 " "a U-label whose A-label would be over 63 bytes: 501"
like "$(sed -n 17p <<<"$r")" "^250 " "the A-label itself is a customer domain"
like "$(grep 'reason=smtputf8' "$LOG" | head -1)" "stage=mail .*reply=\"553 5\.6\.7 " "refused reason=smtputf8 logged"
like "$(grep 'to="\\xc0' "$LOG" | head -1)" "reason=syntax" "the malformed address is logged escaped, reason=syntax"
is "$(queue_count "$Q")" "$n" "nothing more queued"

r=$(talk "$PORT" <<'S'
R
S EHLO c\r\nMAIL FROM:<\xed\xa0\x80@example.net> SMTPUTF8\r\nMAIL FROM:<a@b> SMTPUTF8=yes\r\nQUIT\r\n
RN 4
S
)
like "$(sed -n 3p <<<"$r")" "^501 5\.1\.7 " "a surrogate in the sender: 501 5.1.7"
like "$(sed -n 4p <<<"$r")" "^501 5\.1\.7 " "SMTPUTF8=value: 501"
done_testing
