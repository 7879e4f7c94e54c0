#!/bin/bash
# Through the real pipeline: tcpserver + mxhold-smtpd + mxhold-queue (queue
# path from config.cdb), then mxhold-queuectl list/show read what arrived.
source "$(dirname "$0")/../lib.sh"
for p in mxhold-smtpd mxhold-conf mxhold-queue mxhold-queuectl; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
unset MXHOLD_QUEUE
C=$T/conf Q=$T/spool
mkdir -p "$C"
echo relay.test >"$C/me"; echo "$Q" >"$C/queue"
printf 'example.com 127.0.0.1:9\n' >"$C/domains"; : >"$C/limits"; : >"$C/clients"
mxhold-conf compile "$C" >/dev/null || nok "conf compile"
MXHOLD_CONF=$C mxhold-queuectl init >/dev/null || nok "queuectl init (config from \$MXHOLD_CONF)"
port=$(free_port)
smtp_server "$port" "$C"

out=$(swaks --server 127.0.0.1:$port --from sender@example.org --to user@example.com \
  --header 'Subject: queue e2e' --body 'hello through the pipeline' 2>&1)
like "$out" '<[-~] +250 2\.0\.0 .*queued as [0-9.]+' "swaks: 250 queued"
id=$(printf '%s' "$out" | sed -n 's/.*queued as \([0-9.]*\).*/\1/p' | head -1)
check "id in the reply is a file in new/" test -f "$Q/new/$id"
list=$(mxhold-queuectl -c "$C" list)
like "$list" "^$id age=[0-9]+s size=[0-9]+ from=<sender@example.org> in=new" "list shows the message"
like "$list" "to=<user@example.com> queued attempts=0 next=now" "list shows the recipient"
show=$(mxhold-queuectl -c "$C" show "$id")
like "$show" "^client 127\\.0\\.0\\.1$" "show: client from \$TCPREMOTEIP"
like "$show" "^Subject: queue e2e$" "show: message headers"
like "$show" "^Received: " "show: smtpd's Received header"
head -1 "$Q/new/$id" | grep -qx 'mxhold 1' && ok "file starts with the format line" || nok "file starts with the format line"
check "message part ends with CRLF" sh -c "tail -c 2 '$Q/new/$id' | od -An -c | grep -q '\\\\r  *\\\\n'"

# smtplib: 5 messages on one connection, 3 recipients each
$PY - "$port" >"$T/py.out" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
for i in range(5):
    s.sendmail("p@example.org", ["a@example.com", "b@example.com", "c@EXAMPLE.COM"],
               "Subject: py %d\r\n\r\n%s\r\n" % (i, ("x" * 70 + "\r\n") * (20 * i)))
s.quit()
print("sent")
PY
is "$(cat "$T/py.out")" "sent" "smtplib: 5 messages accepted"
is "$(queue_count "$Q")" 6 "6 messages queued"
st=$(mxhold-queuectl -c "$C" stats)
like "$st" "domain example.com queued=16 " "stats: 16 recipients for example.com"
is "$(find "$Q/tmp" -type f | wc -l)" 0 "nothing left in tmp/"
done_testing
