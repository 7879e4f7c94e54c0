#!/bin/bash
# smtpd's limits: recipients, messages per connection, SIZE at MAIL,
# errors in a row, command and data timeouts, talking before the greeting,
# overlong command lines.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" || exit 1
start "$CATCHILD"

# 51 recipients: the 51st gets 452 4.5.3, the message goes to the first 50
script="R
S EHLO c\\r\\n
R
S MAIL FROM:<a@b.example>\\r\\n
R"
for i in $(seq 1 51); do script="$script
S RCPT TO:<u$i@example.com>\\r\\n
R"; done
script="$script
S DATA\\r\\n
R
S Subject: many\\r\\n\\r\\nx\\r\\n.\\r\\n
R
S QUIT\\r\\n
R"
mapfile -t r < <(talk "$PORT" <<<"$script")
is "${r[52]}" "250 2.1.5 Ok" "50th recipient accepted"
is "${r[53]}" "452 4.5.3 Too many recipients" "51st recipient: 452 4.5.3"
like "${r[55]}" "^250 2\.0\.0 " "message to 50 recipients queued"
is "$(tr '\0' '\n' <"$(catmsg | sed 's/msg\./env./')" | grep -c '^T')" 50 "envelope has 50 recipients"

# 51 messages on one connection: MAIL 51 gets 421 4.7.0 (never 5xx), then close
catclear
script="R
S EHLO c\\r\\n
R"
for i in $(seq 1 50); do script="$script
S MAIL FROM:<a@b.example>\\r\\nRCPT TO:<u@example.com>\\r\\nDATA\\r\\n
RN 3
S n $i\\r\\n.\\r\\n
R"; done
script="$script
S MAIL FROM:<a@b.example>\\r\\n
R
E"
mapfile -t r < <(talk "$PORT" <<<"$script")
is "$(printf '%s\n' "${r[@]}" | grep -c '^250 2\.0\.0 Ok: queued')" 50 "50 messages on one connection queued"
is "${r[202]}" "421 4.7.0 too many messages, reconnect" "51st MAIL: 421 4.7.0"
is "${r[203]}" "EOF" "closed after 421"
is "$(catcount)" 50 "50 stored"

# SIZE at MAIL (RFC 1870): the limit is inclusive
r=$(talk "$PORT" <<'S'
R
S EHLO c\r\n
R
S MAIL FROM:<a@b.example> SIZE=20971521\r\n
R
S MAIL FROM:<a@b.example> SIZE=20971520\r\n
R
S
)
like "$(sed -n 3p <<<"$r")" "^552 5\.3\.4 " "MAIL SIZE=20971521: 552 5.3.4"
is "$(sed -n 4p <<<"$r")" "250 2.1.0 Ok" "MAIL SIZE=20971520 accepted"

# too many errors in a row: the 10th bad command is followed by 421
script="R
S EHLO c\\r\\n
R"
for i in $(seq 1 9); do script="$script
S BOGUS $i\\r\\n
R"; done
script="$script
S MAIL FROM:<a@b.example>\\r\\n
R"
for i in $(seq 1 10); do script="$script
S BOGUS $i\\r\\n
R"; done
script="$script
R
E"
mapfile -t r < <(talk "$PORT" <<<"$script")
is "${r[11]}" "250 2.1.0 Ok" "9 errors, then a good command (MAIL; not NOOP, see 21-abuse-idle) resets the count"
like "${r[21]}" "^500 5\.5\.2 " "10th error in a row answered"
is "${r[22]}" "421 4.7.0 too many errors, closing connection" "then 421 4.7.0"
is "${r[23]}" "EOF" "and closed"

# overlong command line: 500 5.5.2, the rest of the line dropped, session goes on
l1017=$(head -c 1017 /dev/zero | tr '\0' a)
script="R
S EHLO c\\r\\n
R
S NOOP $l1017\\r\\n
R
S NOOP ${l1017}a\\r\\nNOOP\\r\\n
RN 2
S MAIL FROM:<a@b.example> $l1017$l1017 RCPT TO:<u@example.com>\\r\\n
R
S QUIT\\r\\n
R"
r=$(talk "$PORT" <<<"$script")
is "$(sed -n 3p <<<"$r")" "250 2.0.0 Ok" "command line of 1024 bytes with CRLF accepted"
is "$(sed -n 4p <<<"$r")" "500 5.5.2 line too long" "1025 bytes: 500 5.5.2"
is "$(sed -n 5p <<<"$r")" "250 2.0.0 Ok" "the next command still works"
is "$(sed -n 6p <<<"$r")" "500 5.5.2 line too long" "long MAIL line: nothing of it is executed"
like "$(sed -n 7p <<<"$r")" "^221 " "session continues to QUIT"

# timeouts
C2=$T/c2
smconf "$C2" timeout_command 1 timeout_data 1 || exit 1
CONF=$C2 start "$CATCHILD"
catclear
t0=$(date +%s)
r=$(talk "$PORT" <<'S'
R
R
E
S
)
like "$(sed -n 2p <<<"$r")" "^421 4\.4\.2 " "idle at a command: 421 4.4.2"
is "$(sed -n 3p <<<"$r")" "EOF" "closed after the command timeout"
r=$(talk "$PORT" <<'S'
R
S EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 4
S Subject: half\r\n\r\nbody
R
E
S
)
like "$(sed -n 6p <<<"$r")" "^421 4\.4\.2 " "idle inside DATA: 421 4.4.2"
is "$(sed -n 7p <<<"$r")" "EOF" "closed after the data timeout"
is "$(catcount)" 0 "nothing queued after a DATA timeout"

# greet_pause: a client that talks first is refused
C3=$T/c3
smconf "$C3" greet_pause 1 || exit 1
CONF=$C3 start "$CATCHILD"
r=$(talk "$PORT" <<'S'
S EHLO early\r\n
R
E
S
)
like "$(sed -n 1p <<<"$r")" "^554 5\.5\.0 " "talked before the greeting: 554 5.5.0"
is "$(sed -n 2p <<<"$r")" "EOF" "and closed"
sw=$(swaks --server 127.0.0.1 --port "$PORT" --from a@b.example --to u@example.com --body x 2>&1)
like "$sw" "<- +250 2\.0\.0 Ok: queued" "a patient client is served after the pause"
done_testing
