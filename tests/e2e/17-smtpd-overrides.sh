#!/bin/bash
# smtpd's limits from the config's overrides: a client line in `clients`
# (recipients=2) and a domain's size= in `domains` (lowers the limit for
# messages to it).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" || exit 1
printf 'example.com 127.0.0.1:9\nexample.net 127.0.0.1:9 size=1000\n' >"$CONF/domains"
echo "127.0.0.0/8 recipients=2" >"$CONF/clients"
mxhold-conf compile "$CONF" >/dev/null || nok "compile"
start "$CATCHILD"
r=$(talk "$PORT" <<'S'
R
S EHLO c\r\n
R
S MAIL FROM:<a@b.example>\r\n
R
S RCPT TO:<a@example.com>\r\n
R
S RCPT TO:<b@example.com>\r\n
R
S RCPT TO:<c@example.com>\r\n
R
S RSET\r\n
R
S MAIL FROM:<a@b.example> SIZE=2000\r\n
R
S RCPT TO:<a@example.com>\r\n
R
S RCPT TO:<a@example.net>\r\n
R
S DATA\r\n
R
S Subject: small enough for example.com\r\n\r\nx\r\n.\r\n
R
S MAIL FROM:<a@b.example>\r\n
R
S RCPT TO:<a@example.net>\r\n
R
S DATA\r\n
R
Z 1500
S .\r\n
R
S QUIT\r\n
R
S
)
mapfile -t l <<<"$r"
is "${l[4]}" "250 2.1.5 Ok" "second recipient (clients: recipients=2)"
is "${l[5]}" "452 4.5.3 Too many recipients" "third recipient refused by the client's limit"
is "${l[8]}" "250 2.1.5 Ok" "SIZE=2000 to a domain without its own limit"
like "${l[9]}" "^552 5\.3\.4 " "SIZE=2000 to a domain with size=1000: 552 5.3.4 at RCPT"
like "${l[11]}" "^250 2\.0\.0 " "message to the other recipient queued"
like "${l[15]}" "^552 5\.3\.4 " "1500 bytes to the size=1000 domain: 552 5.3.4 after the dot"
done_testing
