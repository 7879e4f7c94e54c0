# 40-deliver-basic: mxhold-deliver under s6 hands queued mail to a real
# downstream through mxhold-remote: one copy per message, byte-exact body
# (dot-stuffing undone by the downstream), the log line format, the 452
# carry-over (60 recipients, downstream takes 10 per message: one
# session), SIZE honoured, and the queue-to-downstream latency (# diag).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

P=$(free_port)
dlv_conf "$P"
sink_start "$P" "$T/mbox" --rcpt-max 10 --size 100000
dlv_start

inject a@sender.org x@example.com y@example.net
check "one message with two recipients delivered and removed" wait_until 10 queue_empty
is "$(sink_count "$T/mbox")" 1 "downstream got exactly one copy"
is "$(sed -n 2p "$T/mbox/1.eml" | tr -d "\r")" "X-Sink-To: x@example.com,y@example.net" "both recipients in one transaction"
like "$(cat "$T/mbox/1.eml")" $'\n\\.leading dot' "a line starting with a dot arrives intact (stuffed, then unstuffed)"
L=$(grep 'status=delivered' "$T/deliver.log" | head -1)
like "$L" '^mxhold-deliver: info: delivered qid=[0-9]+\.[0-9]+\.[0-9]+ from=a@sender.org to=x@example.com host=127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+ reply="250 2\.0\.0 queued as 1" delay=[0-9]+\.[0-9]{3} attempts=1 status=delivered$' "log line format"
check "the message's removal logged" grep -q "mxhold-deliver: info: removed qid=[0-9.]* reason=settled" "$T/deliver.log"
like "$(grep 'mxhold-remote: info: connect ' "$T/deliver.log" | head -1)" "^mxhold-remote: info: connect host=127\.0\.0\.1 ip=127\.0\.0\.1 port=$P\$" "remote logs its connection"

# 60 recipients, 10 per transaction: 6 transactions, one session
R=""; for i in $(seq 1 60); do R="$R r$i@example.com"; done
inject b@sender.org $R
check "60 recipients delivered" wait_until 15 queue_empty
is "$(sink_rcpts "$T/mbox")" 62 "every recipient delivered exactly once"
is "$(grep -c ' b@sender.org ' "$T/mbox/log")" 6 "six transactions of at most 10"
is "$(awk '$3 == "b@sender.org" {print $1}' "$T/mbox/log" | sort -u | wc -l | tr -d ' ')" 1 "all in one SMTP session"

# SIZE: the downstream takes 100000 bytes; a bigger message bounces, with a DSN
# to the sender (example.net is a customer domain, so it comes to the same sink)
head -c 150000 /dev/zero | tr '\0' 'a' | fold -w 70 | sed 's/$/\r/' >"$T/big.body"
{ printf 'Received: from test\r\nSubject: big\r\n\r\n'; cat "$T/big.body"; } >"$T/big"
BODY=$T/big inject s@example.net big@example.com
check "oversized message settled" wait_until 10 queue_empty
check "logged as bounced with the SIZE reason" grep -q 'bounced qid=[0-9.]* from=s@example.net to=big@example.com .*reply="552 5\.3\.4 message size .* status=bounced' "$T/deliver.log"
check "the DSN logged" grep -q 'mxhold-deliver: info: dsn qid=[0-9.]* to=s@example.net rcpts=1$' "$T/deliver.log"
check "the DSN's own delivery logged with the null sender as from=\"\"" wait_until 10 grep -q 'delivered qid=[0-9.]* from="" to=s@example.net ' "$T/deliver.log"
check "DSN for it reached the sender's server" wait_until 10 grep -Eq '^[0-9]+ [0-9]+  s@example.net ' "$T/mbox/log"
unlike "$(grep big@example.com "$T/mbox/log")" . "the big message itself never went downstream"

# latency: from the queue id's time (mxhold-queue took the message) to
# the downstream's 250, one message at a time
for i in $(seq 1 10); do
  inject l@sender.org lat$i@example.com
  wait_until 5 grep -q " lat$i@example.com " "$T/mbox/log"
done
lat=$($PY - "$T/queue.log" "$T/mbox/log" <<'PYEOF'
import sys, re
ids = re.findall(r'queued (?:qid=)?(\d+)\.(\d+)\.\d+', open(sys.argv[1]).read())[-10:]
arr = {}
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) >= 6 and f[3].startswith('lat'):
        arr[f[3]] = float(f[5])
ms = []
for k, (s, us) in enumerate(ids):
    t = arr.get('lat%d@example.com' % (k + 1))
    if t is not None:
        ms.append(int((t - (int(s) + int(us) / 1e6)) * 1000))
ms.sort()
print("p50=%d all=%s" % (ms[len(ms) // 2], ms) if ms else "p50=none")
PYEOF
)
diag "queue-to-downstream latency over 10 messages (queue id time to the downstream's 250, ms): $lat"
dlv_grammar "$T/deliver.log"
done_testing
