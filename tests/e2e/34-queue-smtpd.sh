#!/bin/bash
# Through the real pipeline: tcpserver + mxhold-smtpd + mxhold-queue (queue
# path from config.cdb), then mxhold-queuectl list/show read what arrived;
# the writer's log lines, queued and aborted, in the server's log.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/30-queue-lib.bash"
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
like "$list" "^message qid=$id in=new arrived=[^ ]+ age=[0-9]+s bytes=[0-9]+ from=sender@example.org rcpts=1" "list shows the message"
like "$list" "rcpt qid=$id index=0 to=user@example.com state=queued attempts=0 next=now" "list shows the recipient"
show=$(mxhold-queuectl -c "$C" show "$id")
like "$show" " client=127\\.0\\.0\\.1 " "show: client from \$TCPREMOTEIP"
like "$show" "^header text=\"Subject: queue e2e\"$" "show: message headers"
like "$show" "^header text=\"Received: " "show: smtpd's Received header"
head -1 "$Q/new/$id" | grep -qx 'mxhold 1' && ok "file starts with the format line" || nok "file starts with the format line"
check "message part ends with CRLF" sh -c "tail -c 2 '$Q/new/$id' | od -An -c | grep -q '\\\\r  *\\\\n'"
L=$T/smtpd.$port.log
stored=$($PY -c 'import sys; d=open(sys.argv[1],"rb").read(); print(len(d) - d.index(b"\n\n") - 2)' "$Q/new/$id")
like "$(cat "$L")" "^mxhold-queue: info: queued qid=$id from=sender@example.org rcpts=1 bytes=$stored\$" "queued line: qid, from, rcpts, bytes as stored ($stored)"

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
like "$st" "domain domain=example.com queued=16 " "stats: 16 recipients for example.com"
is "$(find "$Q/tmp" -type f | wc -l)" 0 "nothing left in tmp/"

# smtpd gives a message up: over the size limit at DATA, and a client that
# goes away inside DATA. The writer says aborted (info), with smtpd's qid.
echo "size 1K" >"$C/limits"
mxhold-conf compile "$C" >/dev/null || nok "recompile with size 1K"
$PY - "$port" >"$T/py.out" 2>&1 <<'PY'
import smtplib, socket, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.test")
s.mail("big@example.org")          # no SIZE=: the size is found at DATA
s.rcpt("a@example.com")
code, _ = s.data("Subject: big\r\n\r\n" + ("y" * 70 + "\r\n") * 100)
s.quit()
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 20)
f = c.makefile("rb")
f.readline()
for line in (b"HELO client.test", b"MAIL FROM:<gone@example.org>", b"RCPT TO:<a@example.com>", b"DATA"):
    c.sendall(line + b"\r\n")
    while True:
        r = f.readline()
        if r[3:4] != b"-": break
c.sendall(b"Subject: half\r\n\r\nhalf a message")
c.close()
print(code)
PY
is "$(cat "$T/py.out")" "552" "over the size limit at DATA: 552"
check "two aborted messages logged" wait_until 10 sh -c "[ \$(grep -c '^mxhold-queue: info: aborted qid=[0-9.]* reason=no-envelope\$' '$L') = 2 ]"
unlike "$(cat "$L")" '^mxhold-queue: fatal' "no fatal line from the writer"
n=0
for q in $(sed -n 's/^mxhold-queue: info: aborted qid=\([0-9.]*\) .*/\1/p' "$L"); do
  grep -v '^mxhold-queue: ' "$L" | grep -q "qid=$q " && n=$((n + 1))
done
is "$n" 2 "each aborted line carries the qid smtpd logged for that transaction"
is "$(queue_count "$Q")" 6 "nothing more queued"
grep '^mxhold-queue: ' "$L" >"$T/qlog"
qlog_grammar
done_testing
