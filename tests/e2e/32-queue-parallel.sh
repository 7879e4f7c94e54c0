#!/bin/bash
# 100 writers at once -> 100 distinct complete files; the writer wakes a
# subscriber of Q/trigger with 'n'; with nobody listening it still exits 0.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/30-queue-lib.bash"
qinit
envfile "$T/env" 'sender@example.org' 'a@example.com'
mkdir -p "$T/m"
for i in $(seq 1 100); do
  { printf 'Subject: message %d\r\n\r\n' "$i"; head -c $((i * 997)) /dev/urandom; } >"$T/m/$i"
done
pids=""
for i in $(seq 1 100); do
  ( mxhold-queue <"$T/m/$i" 1<"$T/env" 2>/dev/null; echo $? >"$T/m/$i.rc" ) &
  pids="$pids $!"
done
for p in $pids; do wait "$p"; done
is "$(cat "$T"/m/*.rc | sort | uniq -c | awk '{print $1":"$2}')" "100:0" "100 writers: all exit 0"
is "$(newcount)" 100 "100 files in new/"
is "$(ls "$Q/new" | sort -u | wc -l)" 100 "100 distinct ids"
good=$($PY - "$Q/new" "$T/m" <<'PY'
import os, sys
good = 0
for f in os.listdir(sys.argv[1]):
    d = open(os.path.join(sys.argv[1], f), "rb").read()
    body = d[d.index(b"\n\n") + 2:]
    i = body.split(b"\r\n", 1)[0].decode().replace("Subject: message ", "")
    good += body == open(os.path.join(sys.argv[2], i), "rb").read()
print(good)
PY
)
is "$good" 100 "every file holds its own message, byte-exact"
is "$(tmpcount)" 0 "no tmp/ leftovers"

# the same with MXHOLD_QID all equal: publishing never overwrites
qinit
pids=""
for i in $(seq 1 30); do
  ( MXHOLD_QID=1795800000.000001.1 mxhold-queue <"$T/m/$i" 1<"$T/env" 2>/dev/null; echo $? >"$T/m/$i.rc" ) &
  pids="$pids $!"
done
for p in $pids; do wait "$p"; done
is "$(newcount)" 30 "30 writers given the same MXHOLD_QID: 30 files"

# wake-up: a subscriber on the trigger fifodir sees 'n'
qinit
bg s6-ftrig-wait -t 10000 "$Q/trigger" n >"$T/woke"
waiter=$LASTPID
wait_until 5 sh -c "ls '$Q/trigger' | grep -q ." || nok "subscriber fifo did not appear"
mxhold-queue <"$T/m/1" 1<"$T/env" 2>/dev/null
is "$?" 0 "queued with a subscriber"
wait "$waiter"; is "$?:$(cat "$T/woke")" "0:n" "subscriber woken with 'n'"
done_testing
