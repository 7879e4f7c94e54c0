# 45-deliver-loadfail: a message deliver cannot read when it takes it in
# (here the open of mess/HH/ID fails once with EMFILE, injected by strace)
# is not forgotten until the next restart: it is retried and delivered.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

P=$(free_port)
dlv_conf "$P"
sink_start "$P" "$T/mbox"
dlv_start
ID=1795800000.000001.$$
HH=$($PY -c "
h = 2166136261
for c in b'$ID': h = ((h ^ c) * 16777619) & 0xffffffff
print('%02x' % (h % 64))")
bg strace -qq -p "$(dlv_pid)" -P "$Q/mess/$HH/$ID" -e trace=openat -e inject=openat:error=EMFILE:when=1 -o "$T/strace.log"
STRACE=$LASTPID
traced () { ! grep -q '^TracerPid:[[:space:]]*0$' "/proc/$(dlv_pid)/status"; }
check "strace is attached to deliver" wait_until 10 traced
MXHOLD_QID=$ID inject snd@example.net lf@example.com
check "the take-in failed once (EMFILE), logged with the message's path and why" wait_until 10 grep -q "mxhold-deliver: warning: load-failed qid=$ID path=$Q/mess/$HH/$ID reason=retry-later error=\"Too many open files\"" "$T/deliver.log"
kill "$STRACE" 2>/dev/null; wait "$STRACE" 2>/dev/null
check "retried without a restart: delivered" wait_until 25 grep -q "delivered qid=$ID from=snd@example.net to=lf@example.com .*status=delivered" "$T/deliver.log"
check "queue empty" wait_until 5 queue_empty
is "$(grep -c 'lf@example.com' "$T/mbox/log" 2>/dev/null)" 1 "arrived once"
dlv_grammar "$T/deliver.log"
done_testing
