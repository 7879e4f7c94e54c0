# 58-deliver-bounceslots: bounces do not starve customer mail (issue 17,
# item 4). Three senders' domains (SPF +all, so their bounces are owed)
# have their MX at a tarpit: a server that accepts and never says a word.
# Through the whole relay (client -> tcpserver -> mxhold-smtpd ->
# mxhold-spfcheck -> mxhold-queue -> mxhold-deliver), with concurrency 2
# and concurrency_bounce 2:
# - the bounce sessions never exceed concurrency_bounce (the tarpit sees 2
#   at most, the third DSN waits);
# - while both bounce slots hang in the tarpit, mail for the customer is
#   delivered at once (its own slots);
# - a bounce session gives up after timeout_bounce (3 s), not
#   timeout_remote (30 s).
# tinydns on a loopback address serves the MX records; the MX hosts are on
# 127.x, so mxhold-remote runs with the TEST ONLY MXHOLD_TEST_MX_LOOPBACK=1
# (deliver/remote_guard.h).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

pick () { local n; for n in $(seq 1 40); do a=127.58.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)); ! ss -lntu | grep -q " $a:" && { echo "$a"; return; }; done; }
DNS=$(pick); PIT=$(pick)
mkdir -p "$T/dns"
{
  echo ".example:$DNS:a"
  for d in t1 t2 t3; do
    echo "@$d.example::mx.$d.example:10"
    echo "+mx.$d.example:$PIT"
    echo "'$d.example:v=spf1 +all:300"
  done
} >"$T/dns/data"
(cd "$T/dns" && tinydns-data) || nok "tinydns-data"
bg env IP="$DNS" ROOT="$T/dns" UID=0 GID=0 tinydns 2>"$T/tinydns.log"
dnsq_mx () { $PY -c "import dnslib; q=dnslib.DNSRecord.question('t1.example','MX'); print(dnslib.DNSRecord.parse(q.send('$DNS',53,timeout=1)))" 2>/dev/null | grep -q mx.t1; }
check "tinydns answers on $DNS" wait_until 5 dnsq_mx
export DNSCACHEIP=$DNS

# the tarpit: accepts, never answers; the connections open now in $T/pit.now,
# the most at once in $T/pit.max, one line per connection in $T/pit.log
bg $PY -c '
import socket, sys, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 25)); s.listen(16)
d = sys.argv[2]; now = [0, 0]; lock = threading.Lock()
def put(name, v):
    open(d + "/" + name + ".tmp", "w").write("%d\n" % v)
    import os; os.rename(d + "/" + name + ".tmp", d + "/" + name)
put("pit.now", 0); put("pit.max", 0)
def hold(c):
    with lock:
        now[0] += 1; now[1] = max(now[1], now[0]); put("pit.now", now[0]); put("pit.max", now[1])
        open(d + "/pit.log", "a").write("%.3f open\n" % time.time())
    while c.recv(4096):
        pass
    with lock:
        now[0] -= 1; put("pit.now", now[0])
        open(d + "/pit.log", "a").write("%.3f closed\n" % time.time())
while True:
    c, _ = s.accept()
    threading.Thread(target=hold, args=(c,), daemon=True).start()
' "$PIT" "$T"
wait_until 10 port_open 25 "$PIT" || nok "tarpit did not start"

PD=$(free_port); S=$(free_port)
dlv_conf "$PD" concurrency 2 concurrency_bounce 2 timeout_bounce 3 timeout_remote 30 timeout_connect 5
sink_start "$PD" "$T/down" --reject '^bad'
DLV_ENV="DNSCACHEIP=$DNS MXHOLD_TEST_MX_LOOPBACK=1" dlv_start
smtp_server "$S" "$C" mxhold-spfcheck mxhold-queue

send () {
  $PY - "$S" "$1" "$2" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='client.example', timeout=30)
try:
    s.sendmail(sys.argv[2], [sys.argv[3]], ('From: <%s>\r\nSubject: slots\r\n\r\nhello\r\n' % sys.argv[2]).encode())
    print('250')
except smtplib.SMTPException as e:
    print('refused', e)
s.quit()
PYEOF
}
pit_now () { cat "$T/pit.now" 2>/dev/null || echo 0; }

for d in t1 t2 t3; do
  is "$(send "snd@$d.example" "bad.$d@example.com")" 250 "$d: accepted"
done
check "three bounces, three DSNs queued" wait_until 15 eval '[ "$(grep -c "info: dsn qid=[0-9.]* to=snd@t[123].example rcpts=1" "$T/deliver.log")" -eq 3 ]'
check "two bounce sessions hang in the tarpit" wait_until 10 eval '[ "$(pit_now)" -eq 2 ]'
t0=$(date +%s%N)
is "$(send alice@t1.example good@example.com)" 250 "customer mail accepted while both bounce slots hang"
check "and delivered at once (5 s at most), beside the hanging bounces" \
  wait_until 5 grep -q "delivered qid=[0-9.]* from=alice@t1.example to=good@example.com .*status=delivered" "$T/deliver.log"
t1=$(date +%s%N)
diag "customer mail delivered $(( (t1 - t0) / 1000000 )) ms after it was sent; tarpit connections then: $(pit_now)"
check "the bounces still hung meanwhile" [ "$(pit_now)" -ge 1 ]
check "a bounce session gives up after timeout_bounce (3 s), deferred" \
  wait_until 15 grep -q "deferred qid=[0-9.]* from=\"\" to=snd@t[123].example host=mx.t[123].example\[$PIT\]:25 .*status=deferred" "$T/deliver.log"
# each tarpit connection's life: at most timeout_bounce, well under timeout_remote
life=$($PY - "$T/pit.log" <<'PYEOF'
import sys
opens, lives = [], []
for l in open(sys.argv[1]):
    t, what = l.split()
    if what == "open": opens.append(float(t))
    elif opens: lives.append(float(t) - opens.pop(0))
print("%.1f" % max(lives) if lives else "none")
PYEOF
)
diag "longest tarpit connection: $life s"
check "no tarpit connection lasted past 10 s (timeout_remote is 30)" $PY -c "import sys; sys.exit(not ('$life' != 'none' and float('$life') < 10))"
check "the third DSN got its turn too" wait_until 20 eval '[ "$(grep -c "deferred qid=[0-9.]* from=\"\" to=snd@t[123].example .*status=deferred" "$T/deliver.log" | head -1)" -ge 3 ] && grep -q "to=snd@t1.example .*status=deferred" "$T/deliver.log" && grep -q "to=snd@t2.example .*status=deferred" "$T/deliver.log" && grep -q "to=snd@t3.example .*status=deferred" "$T/deliver.log"'
is "$(cat "$T/pit.max")" 2 "the tarpit never saw more than concurrency_bounce (2) sessions at once"
dlv_grammar "$T/deliver.log"
done_testing
