#!/bin/bash
# 50 clients at once, each sending 10 messages on its connection, through
# tcpserver, smtpd and the real queue writer: all 500 queued, each once.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" || exit 1
Q=$CONF/q
start
[ -x "$BIN/mxhold-queue" ] || { nok "mxhold-queue not built"; exit 1; }
t0=$(date +%s.%N)
$PY - "$PORT" >"$T/replies" <<'P'
import smtplib, sys, threading
port = int(sys.argv[1])
res = []
def client(c):
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        s.ehlo("client%d.example" % c)
        for m in range(10):
            s.mail("sender%d@origin.example" % c)
            s.rcpt("rcpt%d@example.com" % c)
            code, text = s.data(("Subject: c%d m%d\r\nMessage-ID: <c%d.m%d@origin.example>\r\n\r\n" % (c, m, c, m) + "text\r\n" * 100).encode())
            res.append("%d c%d m%d" % (code, c, m))
        s.quit()
    except Exception as e:
        res.append("ERR c%d %r" % (c, e))
ts = [threading.Thread(target=client, args=(c,)) for c in range(50)]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(res))
P
t1=$(date +%s.%N)
is "$(grep -c '^250 ' "$T/replies")" 500 "500 messages got 250"
is "$(grep -vc '^250 ' "$T/replies")" 0 "no other reply or error"
is "$(queue_count "$Q")" 500 "500 messages in the queue"
ids=$(grep -h '^Message-ID:' "$Q"/new/* 2>/dev/null | tr -d '\r' | sort)
is "$(sort -u <<<"$ids" | wc -l)" 500 "500 distinct messages"
is "$(uniq -d <<<"$ids" | wc -l)" 0 "none queued twice"
diag "500 messages from 50 parallel clients in $(echo "$t1 - $t0" | bc) s"
done_testing
