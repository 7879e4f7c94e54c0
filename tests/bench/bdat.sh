#!/bin/bash
# tests/bench/bdat.sh: mxhold-remote's DATA against its BDAT (RFC 3030
# CHUNKING) to a real Postfix downstream (not a test). N messages of SIZE
# bytes are queued once with mxhold-queue, then mxhold-remote delivers
# them all in batches of 50 over one kept connection to a private Postfix
# (postfix-lib.sh: smtpd, cleanup, the discard transport), REPEAT times
# per client; the client is picked by the binary: DATA_REMOTE (a
# mxhold-remote that speaks DATA only, e.g. one built before CHUNKING)
# against $BIN/mxhold-remote, which uses BDAT when Postfix offers
# CHUNKING. Prints, per message size, the median wall time and CPU
# (user+sys) of mxhold-remote for each.
#   BENCH_N (200) BENCH_SIZES ("5120 1048576") BENCH_REPEAT (5)
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/e2e/postfix-lib.sh"
N=${BENCH_N:-200}
SIZES=${BENCH_SIZES:-5120 1048576}
REPEAT=${BENCH_REPEAT:-5}
if [ -z "${DATA_REMOTE:-}" ] || [ ! -x "$DATA_REMOTE" ]; then
  echo "# bdat.sh: skipped: set DATA_REMOTE to a DATA-only mxhold-remote (one built before CHUNKING)"
  exit 0
fi
PF=$T/pf PFPORT=$(free_port)
postfix_start "$PF" "$PFPORT" "message_size_limit = 0" || { echo "# postfix did not start"; exit 1; }
C=$T/c
mkconf -p "$PFPORT" "$C" || exit 1

# queue N messages of SIZE bytes (lines of 78 bytes + CRLF, every tenth
# starting with a dot, so DATA has dots to stuff); prints the batch file
fill () {
  local size=$1 q=$C/q b=$T/batch.$1 i
  $PY - "$size" >"$T/msg.$size" <<'P'
import sys
n = int(sys.argv[1])
out, i = [b"Subject: bench\r\n\r\n"], 0
while sum(map(len, out)) < n:
    out.append((b"." if i % 10 == 0 else b"x") + b"y" * 77 + b"\r\n")
    i += 1
sys.stdout.buffer.write(b"".join(out))
P
  printf 'Fsender@example.org\0Tuser@example.com\0\0' >"$T/env"
  : >"$b"
  rm -f "$C"/q/new/*
  for ((i = 0 ; i < N ; i++)); do
    MXHOLD_CONF=$C mxhold-queue <"$T/msg.$size" 1<"$T/env" 2>>"$T/queue.log" || { echo "# queue failed: $(tail -1 "$T/queue.log")" >&2; exit 1; }
  done
  i=0
  for f in $(grep -l "^Subject: bench" "$C"/q/new/* | head -"$N"); do
    echo "$(basename "$f") $f 0 user@example.com"
    i=$((i + 1))
    [ $((i % 50)) = 0 ] && echo
  done >>"$b"
  echo "$b"
}

# run REMOTE BATCH: one mxhold-remote over the whole batch file; prints
# "WALL_S CPU_S" (CPU: its user + system time)
run () {
  local remote=$1 batch=$2
  MXHOLD_CONF=$C /usr/bin/time -f "%e %U %S" -o "$T/time" "$remote" 127.0.0.1:"$PFPORT" example.com <"$batch" >"$T/results" 2>>"$T/remote.log"
  local bad
  bad=$(grep -vc '^\.$\| d ' "$T/results")
  [ "$bad" = 0 ] || echo "# $bad results not delivered: $(grep -v '^\.$\| d ' "$T/results" | head -1)" >&2
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$T/time"
}
median () { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '%-10s %10s %10s %10s %10s %s\n' size "DATA s" "BDAT s" "DATA cpu" "BDAT cpu" "(medians of $REPEAT, $N messages)"
for size in $SIZES; do
  batch=$(fill "$size")
  : >"$T/d" ; : >"$T/b"
  for ((r = 0 ; r < REPEAT ; r++)); do
    run "$DATA_REMOTE" "$batch" >>"$T/d"
    run "$BIN/mxhold-remote" "$batch" >>"$T/b"
  done
  $PY -c 'import smtplib, sys; s = smtplib.SMTP("127.0.0.1", int(sys.argv[1])); s.ehlo("x"); sys.exit(0 if s.has_extn("chunking") else 1)' "$PFPORT" \
    || echo "# postfix does not offer CHUNKING"
  grep -q "stage=bdat\|stage=data" "$T/remote.log" && { echo "# remote failures:"; grep "stage=" "$T/remote.log" | head -3; }
  printf '%-10s %10s %10s %10s %10s\n' "$size" "$(cut -d' ' -f1 "$T/d" | median)" "$(cut -d' ' -f1 "$T/b" | median)" \
    "$(cut -d' ' -f2 "$T/d" | median)" "$(cut -d' ' -f2 "$T/b" | median)"
done
postfix_stop "$PF"
