#!/bin/bash
# 79: mxhold-queuectl metrics FILE against the queue's actual content:
# example.com delivered by a real sink, example.net routed to a port nobody
# listens on (deferred, stays queued), a relay refusal in smtpd. The file
# is written atomically, in the Prometheus text format, and its figures
# are those of the queue (queuectl stats) and of the deliver log.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/76-proxy-lib.bash"

P=$(free_port)
dlv_conf "$P" retry_min 60 retry_max 60
sed -i 's/^example\.net .*/example.net 127.0.0.1:9/' "$C/domains"
dlv_recompile
sink_start "$P" "$T/mbox" --reject '^nobody@'
dlv_start
inject a@sender.org x1@example.com
inject a@sender.org x2@example.com
check "two messages to example.com delivered" wait_until 15 queue_empty
inject s@example.com nobody@example.com
check "a refused recipient bounced, its DSN delivered" wait_until 15 eval 'queue_empty && [ "$(logcount "delivered qid=[0-9.]* from=\"\" ")" -ge 1 ]'
inject b@sender.org y@example.net z@EXAMPLE.net
check "the example.net message deferred" wait_until 15 eval '[ "$(logcount "status=deferred")" -ge 2 ]'
sp=$(free_port)
smtp_server "$sp" "$C"
$PY - "$sp" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo("client.test")
s.mail("c@sender.org")
print(s.rcpt("someone@elsewhere.test")[0])
s.quit()
PYEOF

mxhold-queuectl metrics "$T/m.prom"
check "the file is there, no tmp file left" test -f "$T/m.prom" -a ! -e "$T/m.prom.tmp"
m=$(cat "$T/m.prom")
stats=$(mxhold-queuectl stats)
is "$(printf '%s\n' "$m" | grep '^mxhold_queue_messages ')" "mxhold_queue_messages $(queue_count "$Q")" "messages: as many as the queue holds ($(queue_count "$Q"))"
is "$(printf '%s\n' "$m" | grep '^mxhold_queue_recipients{domain="example.net"}')" 'mxhold_queue_recipients{domain="example.net"} 2' "example.net: 2 recipients pending (one in upper case)"
like "$stats" "domain (domain=)?example.net queued=2 " "as queuectl stats counts them"
is "$(printf '%s\n' "$m" | grep -c '^mxhold_queue_recipients{domain="example.com"}')" 0 "example.com: nothing pending"
is "$(printf '%s\n' "$m" | grep '^mxhold_queue_deferred_recipients{domain="example.net"}')" 'mxhold_queue_deferred_recipients{domain="example.net"} 2' "both tried and deferred"
arr=$(grep -h '^arrived ' "$Q"/mess/*/* | awk '{print $2}' | sort -n | head -1)
now=$(date +%s)
age=$(printf '%s\n' "$m" | awk '$1 == "mxhold_queue_oldest_seconds" {print $2}')
between "$age" $((now - arr - 5)) $((now - arr + 5)) "oldest age matches the oldest arrived line ($age s)"
like "$m" 'mxhold_queue_deferred_oldest_seconds\{domain="example\.net"\} [0-9]+' "per-domain age of the oldest deferral"
is "$(printf '%s\n' "$m" | grep '^mxhold_delivered_total{domain="example.com"}')" 'mxhold_delivered_total{domain="example.com"} 2' "deliveries counted per domain"
is "$(printf '%s\n' "$m" | grep '^mxhold_bounced_total{domain="example.com"}')" 'mxhold_bounced_total{domain="example.com"} 1' "the bounce counted"
is "$(printf '%s\n' "$m" | grep '^mxhold_delivered_total{domain="-dsn"}')" 'mxhold_delivered_total{domain="-dsn"} 1' "the DSN's delivery counted as domain=\"-dsn\", not its recipient's domain"
is "$(printf '%s\n' "$m" | awk -F' ' '/^mxhold_deferred_total\{domain="example.net"\}/ {print $2}')" "$(logcount 'status=deferred')" "deferrals counted as deliver logged them"
is "$(printf '%s\n' "$m" | grep '^mxhold_refusals_total{program="smtpd",reason="relay"}')" 'mxhold_refusals_total{program="smtpd",reason="relay"} 1' "smtpd's relay refusal counted by reason"
is "$(printf '%s\n' "$m" | grep -c '^# TYPE mxhold_delivered_total counter$')" 1 "one TYPE line per family"
bad=$(printf '%s\n' "$m" | grep -vE '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? [0-9]+)$' | head -3)
is "$bad" "" "every line in the Prometheus text format"
# the file is replaced whole: an open reader keeps the old one
exec 7<"$T/m.prom"
inject b@sender.org w@example.net
mxhold-queuectl metrics "$T/m.prom"
like "$(cat <&7)" "mxhold_queue_messages 1" "a reader of the old file still reads the old file"
exec 7<&-
like "$(cat "$T/m.prom")" "mxhold_queue_messages 2" "the new file has the new message"
mxhold-queuectl metrics - | grep -q '^mxhold_queue_messages 2$'
check "metrics - writes to stdout" test $? = 0
# a file that is no message: counted, and the output stays the format
: >"$Q/new/1700000000.000001.1"
out=$(mxhold-queuectl metrics -)
like "$out" "
mxhold_queue_unreadable_messages 1
" "an empty file in new/ is counted as unreadable"
is "$(printf '%s\n' "$out" | grep -vE '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? [0-9]+)$' | head -3)" "" "and metrics - prints nothing but the format (no unreadable line of list's)"
rm -f "$Q/new/1700000000.000001.1"
done_testing
