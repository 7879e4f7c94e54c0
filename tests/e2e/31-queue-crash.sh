#!/bin/bash
# mxhold-queue under faults and kill -9: disk full, I/O errors, a kill at
# the entry of every syscall it makes, random kills of a slow writer.
# Invariant: exit 0 => the complete message is in new/; whatever the exit,
# nothing partial is ever in new/. A kill may leave a tmp/ file: the sweep
# removes it once it is older than 36 hours, never before.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/30-queue-lib.bash"
qinit
envfile "$T/env" 'sender@example.org' 'a@example.com'
head -c 5000 /dev/urandom >"$T/small"
head -c 300000 /dev/urandom >"$T/large"

# faults: SYSCALL ERRNO WHEN MSG -> 111, nothing in new/, nothing in tmp/
fault () {
  local sc=$1 err=$2 when=$3 m=$4 rc
  rm -f "$Q"/new/* "$Q"/tmp/*
  strace -f -o /dev/null -e inject="$sc:error=$err:when=$when" mxhold-queue <"$m" 1<"$T/env" 2>"$T/qerr"; rc=$?
  cat "$T/qerr" >>"$T/qlog"
  is "$rc" 111 "$sc $err ($(basename "$m")): exit 111"
  is "$(newcount)/$(tmpcount)" 0/0 "$sc $err ($(basename "$m")): nothing in new/ or tmp/"
}
fault writev ENOSPC 1 "$T/small"
like "$(cat "$T/qerr")" "^mxhold-queue: fatal: unable-write qid=([0-9.]+) path=$Q/tmp/\\1 error=\"No space left on device\"\$" "ENOSPC error line: what, qid, path, error"
fault writev ENOSPC 1 "$T/large"
fault write ENOSPC 1 "$T/large"
fault splice ENOSPC 1 "$T/large"
fault copy_file_range ENOSPC 1 "$T/large"
fault fsync EIO 1 "$T/small"
like "$(cat "$T/qerr")" "^mxhold-queue: fatal: unable-fsync qid=([0-9.]+) path=$Q/tmp/\\1 error=\"Input/output error\"\$" "fsync error line"
fault fsync ENOSPC 1 "$T/large"
fault renameat2 EIO 1 "$T/small"
like "$(cat "$T/qerr")" "^mxhold-queue: fatal: unable-publish qid=([0-9.]+) path=$Q/tmp/\\1 error=\"Input/output error\"\$" "rename error line"
# calls the dynamic loader makes come first: find the ordinal of ours
nth () {
  strace -o "$T/trace" -e trace="$1" mxhold-queue <"$T/small" 1<"$T/env" 2>/dev/null
  grep -E "^$1\(" "$T/trace" | grep -n -E -m1 -- "$2" | cut -d: -f1
}
fault openat ENOSPC "$(nth openat O_CREAT)" "$T/small"
fault close EIO "$(nth close '^close\(([5-9]|[1-9][0-9])\)')" "$T/small"
fault read EIO "$(nth read '^read\(0,')" "$T/small"
like "$(cat "$T/qerr")" '^mxhold-queue: fatal: unable-read-message qid=[0-9.]+ error="Input/output error"$' "message read error line"
fault read EIO "$(nth read '^read\(1,')" "$T/small"
like "$(cat "$T/qerr")" '^mxhold-queue: fatal: unable-read-envelope qid=[0-9.]+ error="Input/output error"$' "envelope read error line"

# the new/ directory fsync fails: the message is in new/ (rename done), but
# durability is not known, so exit 111 and the client retries (a duplicate
# at worst: doc/design.md, "Crash safety")
rm -f "$Q"/new/* "$Q"/tmp/*
strace -f -o /dev/null -e inject=fsync:error=EIO:when=2 mxhold-queue <"$T/small" 1<"$T/env" 2>"$T/qerr"
is "$?" 111 "dir fsync EIO: exit 111"
like "$(cat "$T/qerr")" "^mxhold-queue: fatal: unable-fsync qid=[0-9.]+ path=$Q/new error=\"Input/output error\"\$" "dir fsync error line names new/"
cat "$T/qerr" >>"$T/qlog"
check "dir fsync EIO: what is in new/ is complete" all_new_complete "$T/small"

# a small real filesystem that fills up, if this machine lets us mount one
mkdir -p "$T/mnt"
if mount -t tmpfs -o size=1m tmpfs "$T/mnt" 2>/dev/null; then
  MXHOLD_QUEUE=$T/mnt/q mxhold-queuectl -q "$T/mnt/q" init >/dev/null
  # the free-space floor off (queue_free_min 0): this is about ENOSPC
  # itself (59-queue-space tests the floor)
  mkconf -q "$T/mnt/q" "$T/conf0" queue_free_min 0
  export MXHOLD_CONF=$T/conf0
  head -c 2000000 /dev/urandom >"$T/huge"
  MXHOLD_QUEUE=$T/mnt/q mxhold-queue <"$T/huge" 1<"$T/env" 2>"$T/qerr"; rc=$?
  cat "$T/qerr" >>"$T/qlog"
  is "$rc" 111 "full tmpfs: exit 111"
  is "$(find "$T/mnt/q/new" "$T/mnt/q/tmp" -type f | wc -l)" 0 "full tmpfs: nothing left"
  MXHOLD_QUEUE=$T/mnt/q mxhold-queue <"$T/small" 1<"$T/env" 2>/dev/null
  is "$?" 0 "full tmpfs: space came back, small message queued"
  umount "$T/mnt"
  unset MXHOLD_CONF
else
  diag "no tmpfs mount here; ENOSPC covered by injection only"
fi

# kill -9 at the entry of each syscall, N-th call, small and large messages
runs=0 zero=0 killed=0 bad=0
for m in "$T/small" "$T/large"; do
  # how many times the writer makes each call for this message: kill at each
  strace -f -c -o "$T/counts" mxhold-queue <"$m" 1<"$T/env" 2>/dev/null
  for sc in read openat getpid writev write splice copy_file_range fsync close renameat2 exit_group; do
    calls=$(awk -v s="$sc" '$NF == s { print ($4 ~ /^[0-9]+$/) ? $4 : 1 }' "$T/counts")
    [ -n "$calls" ] || continue
    [ "$calls" -gt 12 ] && calls=12
    for n in $(seq 1 "$calls"); do
      rm -f "$Q"/new/*
      { strace -f -o /dev/null -e inject="$sc:signal=KILL:when=$n" mxhold-queue <"$m" 1<"$T/env"; } 2>/dev/null; rc=$?
      runs=$((runs + 1))
      [ "$rc" = 0 ] && zero=$((zero + 1)) || killed=$((killed + 1))
      c=$(newcount)
      if ! all_new_complete "$m"; then bad=$((bad + 1)); diag "partial file after kill at $sc#$n"; fi
      if [ "$rc" = 0 ] && [ "$c" != 1 ]; then bad=$((bad + 1)); diag "exit 0 but $c files after $sc#$n"; fi
    done
  done
done
diag "kill points: $runs runs, $killed killed, $zero exit 0"
is "$bad" 0 "kill -9 at every syscall entry: never partial, exit 0 means queued"
check "some kills happened" test "$killed" -gt 20

# random kills of a writer fed slowly in chunks
$PY - "$Q" "$T/large" >"$T/rand.out" <<'PY'
import os, random, subprocess, sys, time, signal
q, msgf = sys.argv[1], sys.argv[2]
msg = open(msgf, "rb").read()
env = b"Fsender@example.org\0Ta@example.com\0\0"
bad = runs = done = 0
for i in range(40):
    for f in os.listdir(q + "/new"): os.unlink(q + "/new/" + f)
    r, w = os.pipe()
    p = subprocess.Popen(["mxhold-queue"], stdin=subprocess.PIPE, stdout=r, stderr=subprocess.DEVNULL)
    os.close(r)
    killat = time.time() + random.uniform(0, 0.08)
    try:
        for k in range(0, len(msg), 16384):
            p.stdin.write(msg[k:k+16384]); p.stdin.flush()
            time.sleep(0.002)
            if time.time() > killat: break
        else:
            p.stdin.close()
            os.write(w, env)
    except BrokenPipeError:
        pass
    if time.time() > killat or random.random() < 0.5:
        p.send_signal(signal.SIGKILL)
    os.close(w)
    try: p.stdin.close()
    except Exception: pass
    rc = p.wait()
    runs += 1
    files = os.listdir(q + "/new")
    for f in files:
        d = open(q + "/new/" + f, "rb").read()
        if d[d.index(b"\n\n") + 2:] != msg: bad += 1
    if rc == 0:
        done += 1
        if len(files) != 1: bad += 1
    elif len(files) not in (0, 1): bad += 1
print("runs=%d exit0=%d bad=%d" % (runs, done, bad))
PY
r=$(cat "$T/rand.out")
diag "random kills: $r"
like "$r" 'bad=0$' "random kill -9 of a slow writer: never partial"

# the sweep: old tmp/ files go, young ones stay
for f in "$Q"/tmp/*; do [ -e "$f" ] && touch -d '40 hours ago' "$f"; done
left=$(tmpcount)
touch "$Q/tmp/young.1"; touch -d '35 hours ago' "$Q/tmp/young.2"
out=$(mxhold-queuectl -q "$Q" sweep)
is "$(tmpcount)" 2 "sweep removed the $left stale tmp/ files left by kills, kept the young"
check "young tmp/ kept" test -f "$Q/tmp/young.1" -a -f "$Q/tmp/young.2"
qlog_grammar
done_testing
