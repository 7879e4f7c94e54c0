#!/bin/bash
# tests/bench/inbound.sh: the inbound benchmark of issue 2 (not a test).
# smtp-source sends BENCH_N messages of 5 KiB (one per session, from
# sender@example.org to user@example.com) at concurrency 1, 10 and 50 to
#   - mxhold: tcpserver -c 100 -b 100 127.0.0.1 PORT mxhold-smtpd mxhold-queue
#     (-b: bench-lib.sh mx_start says why), with
#     a config like mkconf's (bench-lib.sh mx_conf) routing example.com to a
#     port where nothing listens, and no deliver running; and
#   - a private Postfix configured as the same relay (relay_domains, relay
#     transport to the same dead port, fsync on as Postfix does by default),
# so both only queue. Prints messages/s for both and mxhold/Postfix. Then the
# peak RSS (VmHWM) of one mxhold-smtpd process for one 5 KiB message and for
# one 20 MB message. In the same loop, the floor of the chain's shape
# (tests/bench/floor.c, compiled here): `tcpserver ... floor`, an SMTP
# responder that does nothing else, and `tcpserver ... floor floor -d`, the
# same plus one posix_spawn'd child per message that reads the message and
# exits (the qmail-queue interface with a queue that stores nothing). What
# mxhold cannot go below while it keeps tcpserver and a queue process. And
# `floor -l`: pre-forked long-lived workers that store each message
# in-process with mxhold-queue's fsyncs, the architecture doc/design.md ("The pipeline") does
# not take, measured so its price can be weighed.
# Run by tests/bench/run.sh; alone: B=build bash tests/bench/inbound.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench-lib.sh"

CONCS=${BENCH_CONCS:-1 10 50}
DOWN=$(free_port)        # nothing listens here: both relays only queue

PF=$T/pf PFPORT=$(free_port)
pf_ok=1
pf_start "$PF" "$PFPORT" "$DOWN" || pf_ok=0

mx_ok=1
if ! have smtpd queue conf queuectl; then
  mx_ok=0
  bdiag "mxhold binaries missing ($(cd "$BIN" 2>/dev/null && ls | tr '\n' ' ')): mxhold columns skipped"
fi

# mx_run CONC [MPC]: a fresh config and queue, a fresh tcpserver, one
# smtp-source run (MPC messages per connection, default 1); sets SECS, GOT
# (messages queued), CPU and PSS (the largest total PSS of tcpserver and its
# sessions during the run, KiB). No subshell: the processes it starts must
# stay known to the cleanup.
mx_run () {
  local c=$1 mpc=${2:-1} d=$T/mx.$1.${2:-1} port pid c0
  port=$(free_port)
  SECS=- GOT=0 CPU=- PSS=-
  mx_start "$d" "$port" "$DOWN" || return 0
  pid=$LASTPID
  c0=$(cpu_ms "$pid")
  pss_start "$pid"
  source_run "$port" "$BENCH_N" "$c" "$mpc"; SECS=$SRC_SECS
  pss_stop
  GOT=$(mx_count "$d/q")
  bwait 10 reaped "$pid"        # the last sessions exit and are reaped
  CPU=$(per_msg $(( $(cpu_ms "$pid") - c0 )) "$GOT")
  mx_stop_pid "$pid"
  [ "$GOT" = "$BENCH_N" ] && return 0
  grep -E 'fatal|warning| refused ' "$T/smtpd.$port.log" 2>/dev/null | grep -v 'reason=talked-early' \
    | head -n 6 | sed 's/^/#   smtpd log: /' >&2
}

# pf_run CONC [MPC]: an empty Postfix queue, one smtp-source run; sets SECS,
# GOT, CPU, PSS (master and all its children).
pf_run () {
  local m c0
  PSS=-
  pf_clear "$PF"
  m=$(pf_master "$PF"); c0=$(cpu_ms "$m")
  pss_start "$m"
  source_run "$PFPORT" "$BENCH_N" "$1" "${2:-1}"; SECS=$SRC_SECS
  pss_stop
  GOT=$(pf_count "$PF")         # waits until qmgr has deferred them all
  CPU=$(per_msg $(( $(cpu_ms "$m") - c0 )) "$GOT")
}

# The floor programs: static, like smtpd and mxhold-queue.
FLOOR=$T/floor
fl_ok=1
cc -O2 -static -o "$FLOOR" "$(dirname "$0")/floor.c" 2>"$T/floor.cc" \
  || { fl_ok=0; bdiag "floor.c did not compile: $(head -1 "$T/floor.cc")"; }

# fl_run CONC ARG...: tcpserver ... $FLOOR ARG..., one smtp-source run
# (FL_MPC messages per connection, default 1); sets SECS and CPU (ms/msg).
# Nothing is queued: every session that ended (smtp-source exit 0) counts.
fl_run () {
  local c=$1 port pid c0; shift
  port=$(free_port)
  SECS=- CPU=-
  bg tcpserver -HRl0 -c 100 -b "${BENCH_TCP_BACKLOG:-100}" 127.0.0.1 "$port" "$FLOOR" "$@" 2>>"$T/floor.$port.log"
  pid=$LASTPID
  bwait 10 port_open "$port" || { bdiag "floor tcpserver on $port did not start"; return 0; }
  c0=$(cpu_ms "$pid")
  source_run "$port" "$BENCH_N" "$c" "${FL_MPC:-1}"; SECS=$SRC_SECS
  bwait 10 reaped "$pid"
  CPU=$(per_msg $(( $(cpu_ms "$pid") - c0 )) "$BENCH_N")
  mx_stop_pid "$pid"
}
# pre_run CONC: floor -l (pre-forked workers accepting on a port,
# each message stored in-process with mxhold-queue's fsyncs), one
# smtp-source run; sets PRATE, PCPU and checks every message was stored.
# The other architecture, measured so the filer can weigh it.
pre_run () {
  local c=$1 port pid c0 q=$T/pre.$1
  port=$(free_port)
  PRATE=- PCPU=-
  mkdir -p "$q/tmp" "$q/new"
  bg "$FLOOR" -l "$port" 100 "$q" 2>>"$T/pre.log"
  pid=$LASTPID
  bwait 10 port_open "$port" || { bdiag "floor -l on $port did not start"; return 0; }
  c0=$(sched_ms "$pid")
  source_run "$port" "$BENCH_N" "$c"
  # every 250 was sent after the fsyncs: the files are all there
  bwait 10 eval '[ "$(ls "$q/new" | wc -l)" -ge "$BENCH_N" ]'
  PCPU=$(per_msg $(( $(sched_ms "$pid") - c0 )) "$BENCH_N")
  PRATE=$(rate "$BENCH_N" "$SRC_SECS")
  mx_stop_pid "$pid"
  [ "$(ls "$q/new" | wc -l)" = "$BENCH_N" ] || { bdiag "floor -l stored $(ls "$q/new" | wc -l) of $BENCH_N"; PRATE=-; }
}
# sched_ms PID: CPU ms of PID and its live children from /proc/*/schedstat
# (nanoseconds on the CPU, exact); /proc/*/stat's tick-sampled times read
# near zero for 100 workers that each run in short bursts.
sched_ms () {
  local p t=0 r
  for p in "$1" $(pgrep -P "$1"); do
    r=$(cut -d' ' -f1 "/proc/$p/schedstat" 2>/dev/null) && t=$((t + r))
  done
  echo $((t / 1000000))
}
FLOOR_ROWS=()

bdiag "inbound: N=$BENCH_N messages of $BENCH_SIZE bytes per run, concurrency $CONCS"
table_head "inbound: smtp-source -> relay, queue only (N=$BENCH_N, ${BENCH_SIZE} B, fsync on)" \
  "concurrency" "postfix msg/s" "mxhold msg/s" "mxhold/postfix" "pf CPU ms/msg" "mx CPU ms/msg" "pf/mx CPU" "pf PSS MiB" "mx PSS MiB" "pf/mx PSS"
for c in $CONCS; do
  pr=- mr=- pc=- mc=- pp=- mp=- pnote="" mnote=""
  if [ $pf_ok = 1 ]; then
    pf_run "$c"
    pr=$(rate "$GOT" "$SECS") pc=$CPU pp=$(kib_mib "$PSS")
    [ "$GOT" = "$BENCH_N" ] || pnote="postfix queued $GOT of $BENCH_N"
  fi
  if [ $mx_ok = 1 ]; then
    mx_run "$c"
    [ "$SECS" = - ] || mr=$(rate "$GOT" "$SECS")
    mc=$CPU mp=$(kib_mib "$PSS")
    [ "$GOT" = "$BENCH_N" ] || mnote="mxhold queued $GOT of $BENCH_N"
  fi
  row "$c" "$pr" "$mr" "$(ratio "$mr" "$pr")" "$pc" "$mc" "$(ratio "$pc" "$mc")" "$pp" "$mp" "$(ratio "$pp" "$mp")"
  if [ $fl_ok = 1 ]; then
    fl_run "$c"; f1r=$(rate "$BENCH_N" "$SECS") f1c=$CPU
    fl_run "$c" "$FLOOR" -d; f2r=$(rate "$BENCH_N" "$SECS") f2c=$CPU
    pre_run "$c"
    FLOOR_ROWS+=("$c|$pr|$mr|$f1r|$f2r|$(ratio "$mr" "$f2r")|$(ratio "$f2r" "$pr")|$PRATE|$(ratio "$PRATE" "$pr")|$pc|$mc|$f1c|$f2c|$PCPU")
  fi
  [ -n "$pnote" ] && tnote "! $pnote (the rate counts those queued)"
  [ -n "$mnote" ] && tnote "! $mnote (the rate counts those queued)"
done
[ $mx_ok = 1 ] || tnote "mxhold not built yet: its column is empty"
tnote "CPU ms/msg: user+system CPU of the relay's processes (Postfix: master and all its"
tnote "children; mxhold: tcpserver and all its children) per message queued, client excluded"
tnote "PSS MiB: the largest total PSS of those processes during the run (sampled every 0.25 s)"

# The same with MPC_N messages per connection (smtp-source -d, in runs of
# CONC sessions x MPC_N messages), at BENCH_MPC_CONCS (default 10).
MPC_N=${BENCH_MPC:-10}
MPC_CONCS=${BENCH_MPC_CONCS:-10}
table_head "inbound: $MPC_N messages per connection (smtp-source -d; N=$BENCH_N, ${BENCH_SIZE} B)" \
  "concurrency" "postfix msg/s" "mxhold msg/s" "mxhold/postfix" "floor+child" "mx/floor+child" "pf CPU ms/msg" "mx CPU ms/msg" "pf/mx CPU"
for c in $MPC_CONCS; do
  pr=- mr=- pc=- mc=- fr=- notes=""
  if [ $pf_ok = 1 ]; then
    pf_run "$c" "$MPC_N"; pr=$(rate "$GOT" "$SECS") pc=$CPU
    [ "$GOT" = "$BENCH_N" ] || notes="postfix queued $GOT of $BENCH_N"
  fi
  if [ $mx_ok = 1 ]; then
    mx_run "$c" "$MPC_N"
    [ "$SECS" = - ] || mr=$(rate "$GOT" "$SECS")
    mc=$CPU
    [ "$GOT" = "$BENCH_N" ] || notes="$notes mxhold queued $GOT of $BENCH_N"
  fi
  if [ $fl_ok = 1 ]; then
    FL_MPC=$MPC_N fl_run "$c" "$FLOOR" -d; fr=$(rate "$BENCH_N" "$SECS")
  fi
  row "$c" "$pr" "$mr" "$(ratio "$mr" "$pr")" "$fr" "$(ratio "$mr" "$fr")" "$pc" "$mc" "$(ratio "$pc" "$mc")"
  [ -n "$notes" ] && tnote "! $notes (the rate counts those queued)"
done

if [ ${#FLOOR_ROWS[@]} -gt 0 ]; then
  table_head "inbound: the floor of the chain's shape, and the other architecture, same run (tests/bench/floor.c)" \
    "concurrency" "postfix msg/s" "mxhold msg/s" "floor msg/s" "floor+child" "mx/floor+child" "floor+child/pf" "prefork msg/s" "prefork/pf" "pf CPU ms/msg" "mx CPU ms/msg" "floor CPU" "floor+child CPU" "prefork CPU"
  for r in "${FLOOR_ROWS[@]}"; do IFS='|' read -r -a f <<<"$r"; row "${f[@]}"; done
  tnote "floor: tcpserver + a static SMTP responder that does nothing else; floor+child: plus one"
  tnote "posix_spawn'd static child per message reading it (a queue that stores nothing)."
  tnote "mxhold's chain (tcpserver, smtpd, queue writer) cannot cost less CPU than floor+child."
  tnote "prefork: the other architecture (floor -l): 100 pre-forked workers accept and serve session"
  tnote "after session, each message written and fsynced in-process as mxhold-queue does; no"
  tnote "tcpserver, no exec, no child. Its CPU comes from /proc/*/schedstat of the live workers."
fi

# For comparison, Postfix's smtpd processes of this instance (they live on
# for max_idle after the run): the largest VmHWM, and how many there are.
pf_smtpd_rss () {
  local p hwm max=0 n=0
  for p in $(pgrep -x smtpd); do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "127.0.0.1:$PFPORT" || continue
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null)
    [ -n "$hwm" ] || continue
    n=$((n + 1)); [ "$hwm" -gt "$max" ] && max=$hwm
  done
  echo "$max $n"
}
[ $pf_ok = 1 ] && read -r PF_HWM PF_NSMTPD <<<"$(pf_smtpd_rss)"
pf_stop "$PF"

# ------------------------------------------------------------ smtpd RSS
# One session at a time; after the 250 for the message (before QUIT) the
# client reads VmHWM (peak RSS) and VmRSS of the tcpserver child, which is
# mxhold-smtpd (tcpserver forks, the child execs smtpd).
cat >"$T/rss.py" <<'EOF'
import os, smtplib, sys
port, tcpserver, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
line = b"x" * 76 + b"\r\n"
body = b"Subject: rss probe\r\n\r\n" + line * (size // len(line))
s = smtplib.SMTP("127.0.0.1", port, timeout=120)
s.ehlo("client.test")
s.sendmail("sender@example.org", ["user@example.com"], body)
f = {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        st = open("/proc/%s/status" % p).read()
    except OSError:
        continue
    d = dict(l.split(":", 1) for l in st.splitlines() if ":" in l)
    if d.get("PPid", "").strip() == tcpserver:
        f = d
s.quit()
k = lambda n: f.get(n, "- kB").split()[0]
print(k("VmHWM"), k("VmRSS"), k("RssAnon"), k("RssFile"), f.get("Name", "-").strip())
EOF
table_head "inbound: RSS of one mxhold-smtpd session after its 250 (KiB; target: peak <= 1024)" \
  "message" "VmHWM (peak)" "VmRSS" "RssAnon" "RssFile"
if [ $mx_ok = 1 ]; then
  d=$T/mx.rss port=$(free_port)
  if mx_start "$d" "$port" "$DOWN"; then
    pid=$LASTPID
    for sz in "$BENCH_SIZE" 20000000; do
      if fg timeout 300 "$PY" "$T/rss.py" "$port" "$pid" "$sz" >"$T/rss.out" 2>"$T/rss.err"; then
        out=$(cat "$T/rss.out")
      else
        out="- - - - -"; bdiag "rss probe failed: $(tail -1 "$T/rss.err")"
      fi
      read -r hwm rss anon file name <<<"$out"
      [ "$name" = mxhold-smtpd ] || bdiag "rss probe: the tcpserver child was '$name', not mxhold-smtpd"
      row "1 x $sz B" "$hwm" "$rss" "$anon" "$file"
    done
    mx_stop_pid "$pid"
  else
    row "-" "mxhold did not start"
  fi
else
  row "-" "mxhold not built"
fi
[ -n "${PF_HWM:-}" ] && [ "${PF_NSMTPD:-0}" -gt 0 ] && \
  tnote "for comparison: Postfix smtpd, largest VmHWM of its $PF_NSMTPD smtpd processes after the runs: $PF_HWM KiB"
tnote "RssFile is mostly shared pages of libc and the binary; RssAnon is the process's own memory"
exit 0
