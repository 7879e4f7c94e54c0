#!/bin/bash
# smtpd never relays: every trick that hides another destination in a
# recipient for a customer domain gets 550 5.7.1, and nothing is queued.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" errors 1000 || exit 1
start "$CATCHILD"

tricks=(
  'user%victim.example@example.com|percent hack'
  'victim.example!user@example.com|bang path'
  '@example.com:user@victim.example|source route to another host'
  '@relay.example:user@example.com|source route via a customer'
  '"user@victim.example"@example.com|quoted local part hiding an @'
  '"user%victim.example"@example.com|quoted percent hack'
  'user@victim.example@example.com|extra @'
  'user@example.com@victim.example|extra @ after the customer domain'
  'user@[127.0.0.1]|address literal'
  'user@[IPv6:::1]|IPv6 address literal'
  'user@example.com!victim.example|trailing bang garbage'
  'user@example.com,victim.example|trailing comma garbage'
  'user@example.com.victim.example|customer domain as a prefix'
  'user@victim.example|another domain'
  'user@example.com.evil|customer domain plus a label'
  'user@xexample.com|customer domain as a suffix'
  'user@example.com:25|domain with a port'
)
script="R
S EHLO c\\r\\n
R
S MAIL FROM:<a@b.example>\\r\\n
R"
for t in "${tricks[@]}"; do script="$script
S RCPT TO:<${t%%|*}>\\r\\n
R"; done
script="$script
S RCPT TO:<user@example.com>victim.example\\r\\n
R
S RCPT TO:<user@example.com> victim.example\\r\\n
R
S QUIT\\r\\n
R"
mapfile -t r < <(talk "$PORT" <<<"$script")
i=3
for t in "${tricks[@]}"; do
  like "${r[$i]}" "^550 5\.7\.1 " "${t#*|}: <${t%%|*}> refused with 550 5.7.1"
  i=$((i + 1))
done
like "${r[$i]}" "^550 5\.7\.1 " "garbage glued after the >: 550 5.7.1"
like "${r[$((i + 1))]}" "^555 5\.5\.4 " "a word after the path: unsupported parameter"
# each refused with its own line, the recipient as sent
LOG=$T/smtpd.$PORT.log
wait_until 5 grep -q ' disconnect .* reason=quit$' "$LOG"
is "$(grep -c ' refused stage=rcpt .* reply="550 5\.7\.1 relaying denied" reason=relay$' "$LOG")" $((${#tricks[@]} + 1)) "one refused line per relay attempt, reason=relay"
check "the percent hack's line names it" grep -qF ' from=a@b.example to=user%victim.example@example.com reply=' "$LOG"

# the same through a real client, and nothing reaches the queue
catclear
sw=$(swaks --server 127.0.0.1 --port "$PORT" --from a@b.example --to 'user%victim.example@example.com' --body x 2>&1)
like "$sw" "<\*\* +550 5\.7\.1 " "swaks: percent hack refused"
$PY - "$PORT" <<'P'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("c")
for r in ("a!b@example.com", "x@[192.0.2.1]", "x@victim.example"):
    code, msg = s.rcpt(r) if s.mail("a@b.example")[0] == 250 else (0, b"")
    print("ok -" if code == 550 and msg.startswith(b"5.7.1") else "not ok -", "smtplib:", r, "refused", code)
    s.rset()
s.quit()
P
is "$(catcount)" 0 "nothing queued"
done_testing
