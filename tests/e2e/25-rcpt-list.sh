#!/bin/bash
# recipients=list: the local parts of recipients/DOMAIN, compiled into
# config.cdb, are accepted (in any case), a catch-all accepts all, every
# other recipient gets 550 5.1.1 with reason=unknown-recipient; errors in
# the files name file and line; any keeps accepting everything.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/25-rcpt-lib.bash"

mkdir -p "$C/recipients"
printf 'postmaster\nAlice\n# a comment\n\nsales.team\n' >"$C/recipients/example.com"
printf '*\n' >"$C/recipients/example.org"
rc_conf 'example.com 127.0.0.1:9 recipients=list\nexample.org 127.0.0.1:9 recipients=list\nexample.net 127.0.0.1:9\n' || exit 1
like "$(mxhold-conf dump)" 'r:alice@example.com' "config.cdb holds the listed local parts, lower case"

PORT=$(free_port)
smtp_server "$PORT" "$C" cat
out=$(rcpt "$PORT" alice@example.com ALICE@Example.COM postmaster@example.com sales.team@example.com \
  bob@example.com alice.x@example.com anyone@example.org x@example.net)
is "$(code_of "$out" alice@example.com)" 250 "a listed local part is accepted"
is "$(code_of "$out" ALICE@Example.COM)" 250 "in any case (local part and domain)"
is "$(code_of "$out" sales.team@example.com)" 250 "a dotted local part is accepted"
is "$(code_of "$out" bob@example.com)" 550 "an unlisted local part gets 550"
is "$(code_of "$out" alice.x@example.com)" 550 "a prefix of a listed one is not listed"
is "$(code_of "$out" anyone@example.org)" 250 "a catch-all (*) accepts anyone"
is "$(code_of "$out" x@example.net)" 250 "recipients=any (the default) accepts anyone"
LOG=$T/smtpd.$PORT.log
wait_until 5 grep -q 'to=alice.x@example.com' "$LOG"
like "$(grep 'to=bob@example.com' "$LOG")" 'refused stage=rcpt .*reply="550 5.1.1 no such recipient here" reason=unknown-recipient basis=list' \
  "the refusal is logged: 550 5.1.1, reason=unknown-recipient, basis=list"

# a change takes effect at the next compile, for the next connection
echo bob >>"$C/recipients/example.com"
rc_compile
out=$(rcpt "$PORT" bob@example.com)
is "$(code_of "$out" bob@example.com)" 250 "a local part added and compiled is accepted on the next connection"

# errors: file and line
printf 'carol\ncarol@example.com\nCAROL\na b\n%s\n' "$(printf 'x%.0s' $(seq 65))" >"$C/recipients/example.com"
err=$(mxhold-conf check "$C" 2>&1); rc=$?
is "$rc" 100 "a bad recipients file: check exits 100"
like "$err" "$C/recipients/example.com:2: want a local part, without @domain" "an @ is an error, with file and line"
like "$err" "$C/recipients/example.com:3: duplicate local part, in any case \\(first on line 1\\)" "a duplicate in another case is an error naming the first line"
like "$err" "$C/recipients/example.com:4: want one local part on the line" "two words on a line are an error"
like "$err" "$C/recipients/example.com:5: local part longer than 64 bytes" "a local part over 64 bytes is an error"
rm "$C/recipients/example.com"
err=$(mxhold-conf check "$C" 2>&1)
like "$err" "$C/domains:1: recipients=list but no file $C/recipients/example.com" "a list domain without its file: an error at its domains line"
printf 'example.com 127.0.0.1:9 recipients=lots\nexample.net 127.0.0.1:9 verify_fail=maybe\nexample.org mx recipients=verify\n' >"$C/domains"
err=$(mxhold-conf check "$C" 2>&1)
like "$err" "domains:1: bad recipients value \\(want any, list, verify or learn\\)" "an unknown recipients value is an error"
like "$err" "domains:2: bad verify_fail value \\(want accept or defer\\)" "an unknown verify_fail value is an error"
like "$err" "domains:3: recipients=verify and learn need a route to the customer's server, not mx" "verify on an mx route is an error"
out=$(rcpt "$PORT" bob@example.com)
is "$(code_of "$out" bob@example.com)" 250 "a config that does not compile leaves the old one in force"
done_testing
