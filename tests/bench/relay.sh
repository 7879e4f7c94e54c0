#!/bin/bash
# tests/bench/relay.sh: the relay benchmark of issue 3 (not a test).
# smtp-source -> relay -> Postfix's smtp-sink, all on 127.0.0.1, for
#   - mxhold: tcpserver -c 100 -b 100 mxhold-smtpd mxhold-queue, mxhold-deliver
#     running in the background, example.com routed to the sink, and
#   - a private Postfix relay for example.com with relay_transport
#     smtp:[127.0.0.1]:SINKPORT,
# one relay at a time:
#   (a) end-to-end: BENCH_N messages of 5 KiB at concurrency 10 and 50; time
#       from the start of smtp-source to the N-th arrival at the sink;
#   (b) backlog: BENCH_BACKLOG messages queued while the sink is down (each
#       relay has tried them and deferred), then the sink starts and the
#       relay is told to flush (postqueue -f / mxhold-queuectl flush):
#       seconds until the last one arrived;
#   (c) latency: BENCH_LAT messages, one at a time, each on its own
#       connection; time from the 250 after DATA to its arrival at the sink.
# The sink's arrival times come from smtp-sink's own counter (bench-lib.sh
# sink_start). Parts whose mxhold binaries are missing are skipped, saying so.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench-lib.sh"

CONCS=${BENCH_CONCS:-10 50}
PARTS=${BENCH_PARTS:-a b c}     # which of (a) (b) (c) to run
part () { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
SINK=$(free_port)
SINKLOG=$T/sink.log

PF=$T/pf PFPORT=$(free_port)
pf_ok=1
pf_start "$PF" "$PFPORT" "$SINK" || pf_ok=0

MX=$T/mx MXPORT=$(free_port)
mx_ok=1
if ! have smtpd queue conf queuectl deliver remote; then
  mx_ok=0
  bdiag "mxhold binaries missing (built: $(cd "$BIN" 2>/dev/null && ls | tr '\n' ' ')): mxhold columns skipped"
elif ! mx_start "$MX" "$MXPORT" "$SINK"; then
  mx_ok=0
  bdiag "mxhold did not start: mxhold columns skipped"
else
  MX_TCP=$LASTPID
  mx_deliver_start "$MX" || { mx_ok=0; bdiag "mxhold-deliver did not start: mxhold columns skipped"; }
fi
systems=""
[ $pf_ok = 1 ] && systems="$systems pf"
[ $mx_ok = 1 ] && systems="$systems mx"

port_of () { if [ "$1" = pf ]; then echo "$PFPORT"; else echo "$MXPORT"; fi; }
flush_of () { if [ "$1" = pf ]; then pf_flush "$PF"; else mx_flush "$MX"; fi; }
queued_of () { if [ "$1" = pf ]; then pf_count "$PF"; else mx_count "$MX/q"; fi; }
# settled SYS: every queued message has been tried once and is waiting for
# its retry (Postfix: incoming/ and active/ empty; mxhold: new/ empty).
settled () {
  if [ "$1" = pf ]; then
    pf_settled "$PF"
  else
    [ -z "$(find "$MX/q/new" -type f 2>/dev/null | head -1)" ]
  fi
}
# cpu_of SYS: CPU ms used so far by the relay's processes (Postfix: master
# and its children; mxhold: tcpserver, deliver and their children)
cpu_of () { if [ "$1" = pf ]; then cpu_ms "$(pf_master "$PF")"; else cpu_ms "$MX_TCP" "$DELIVER_PID"; fi; }
# drained SYS: the relay's queue is empty
drained () {
  if [ "$1" = pf ]; then [ "$(pf_count_now "$PF")" -eq 0 ]; else [ "$(mx_count "$MX/q")" -eq 0 ]; fi
}

bdiag "relay: N=$BENCH_N, backlog $BENCH_BACKLOG, $BENCH_LAT latency samples, ${BENCH_SIZE} B messages"

# ---------------------------------------------------------------- (a)
# e2e SYS CONC: sets RATE (messages/s, "-" on failure) and NOTE
pids_of () { if [ "$1" = pf ]; then pf_master "$PF"; else echo "$MX_TCP $DELIVER_PID"; fi; }
e2e () {
  local sys=$1 c=$2 t0 t1 got c0 ok=1
  RATE=- NOTE="" CPU=- PSS=-
  sink_stop; sink_start "$SINK" "$SINKLOG" || return 0
  c0=$(cpu_of "$sys")
  # shellcheck disable=SC2046
  pss_start $(pids_of "$sys")
  t0=$(now)
  source_run "$(port_of "$sys")" "$BENCH_N" "$c"
  sink_wait "$SINKLOG" "$BENCH_N" "$BENCH_TIMEOUT" || ok=0
  pss_stop
  if [ $ok = 0 ]; then
    read -r got t1 <<<"$(sink_last "$SINKLOG")"
    NOTE="only $got of $BENCH_N arrived (the rate counts those)"
    [ "$got" -gt 0 ] && RATE=$(rate "$got" "$(elapsed "$t0" "$t1")")
    return 0
  fi
  t1=$(sink_time_of "$SINKLOG" "$BENCH_N")
  RATE=$(rate "$BENCH_N" "$(elapsed "$t0" "$t1")")
  bwait 30 drained "$sys" || NOTE="queue not empty 30 s after the run: $(queued_of "$sys") left"
  CPU=$(per_msg $(( $(cpu_of "$sys") - c0 )) "$BENCH_N")
  got=$(sink_count "$SINKLOG")
  [ "$got" -gt "$BENCH_N" ] && NOTE="$got arrivals for $BENCH_N messages (duplicates)"
  return 0
}

part a && table_head "relay (a): smtp-source -> relay -> smtp-sink, end to end (N=$BENCH_N, ${BENCH_SIZE} B)" \
  "concurrency" "postfix msg/s" "mxhold msg/s" "mxhold/postfix" "pf CPU ms/msg" "mx CPU ms/msg" "pf/mx CPU" "pf PSS MiB" "mx PSS MiB" "pf/mx PSS"
part a && for c in $CONCS; do
  pr=- mr=- pc=- mc=- pp=- mp=- notes=""
  for s in $systems; do
    e2e "$s" "$c"
    if [ $s = pf ]; then pr=$RATE pc=$CPU pp=$(kib_mib "$PSS"); else mr=$RATE mc=$CPU mp=$(kib_mib "$PSS"); fi
    [ -n "$NOTE" ] && notes="$notes|! $s: $NOTE"
  done
  row "$c" "$pr" "$mr" "$(ratio "$mr" "$pr")" "$pc" "$mc" "$(ratio "$pc" "$mc")" "$pp" "$mp" "$(ratio "$pp" "$mp")"
  [ -n "$notes" ] && echo "$notes" | tr '|' '\n' | grep . | while read -r l; do tnote "$l"; done
done

# ---------------------------------------------------------------- (b)
# backlog SYS: sets SECS (seconds from sink start to last arrival) and NOTE
backlog () {
  local sys=$1 t0 t1 q c0
  SECS=- NOTE="" CPU=-
  sink_stop
  bwait 30 drained "$sys" || { NOTE="queue not empty before the run"; return 0; }
  source_run "$(port_of "$sys")" "$BENCH_BACKLOG" 50
  q=$(queued_of "$sys")
  [ "$q" -eq "$BENCH_BACKLOG" ] || NOTE="queued $q of $BENCH_BACKLOG"
  bwait 120 settled "$sys" || NOTE="$NOTE; not every message tried before the sink came up"
  bdiag "backlog $sys: $q queued and deferred; sink up, flush"
  c0=$(cpu_of "$sys")
  t0=$(now)
  sink_start "$SINK" "$SINKLOG" || return 0
  flush_of "$sys" || NOTE="$NOTE; flush command failed"
  if ! sink_wait "$SINKLOG" "$q" "$BENCH_TIMEOUT"; then
    NOTE="$NOTE; only $(sink_count "$SINKLOG") of $q arrived (no time given)"
    return 0
  fi
  t1=$(sink_time_of "$SINKLOG" "$q")
  SECS=$(elapsed "$t0" "$t1")
  bwait 30 drained "$sys"
  CPU=$(per_msg $(( $(cpu_of "$sys") - c0 )) "$q")
  return 0
}

if part b; then
  table_head "relay (b): backlog of $BENCH_BACKLOG queued while the sink is down, then sink up + flush" \
    "" "postfix s" "mxhold s" "postfix/mxhold"
  ps_=- ms_=- pc=- mc=- notes=""
  for s in $systems; do
    backlog "$s"
    if [ $s = pf ]; then ps_=$SECS pc=$CPU; else ms_=$SECS mc=$CPU; fi
    [ -n "$NOTE" ] && notes="$notes|! $s: ${NOTE#; }"
  done
  row "seconds until all arrived" "$ps_" "$ms_" "$(ratio "$ps_" "$ms_")"
  row "messages/s" "$(rate "$BENCH_BACKLOG" "$ps_")" "$(rate "$BENCH_BACKLOG" "$ms_")" ""
  row "CPU ms/msg (flush to drained)" "$pc" "$mc" "$(ratio "$pc" "$mc")"
  [ -n "$notes" ] && echo "$notes" | tr '|' '\n' | grep . | while read -r l; do tnote "$l"; done
fi

# ---------------------------------------------------------------- (c)
cat >"$T/latency.py" <<'EOF'
# latency.py PORT SINKLOG COUNT TIMEOUT: one message at a time, each on its
# own connection; latency = arrival at the sink (its timestamp in SINKLOG)
# minus the moment the relay's 250 after DATA came back. Prints
# "p50_ms p99_ms max_ms lost".
import os, smtplib, sys, time
port, log, count, tmo = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
line = b"y" * 76 + b"\r\n"
body = b"Subject: latency probe\r\n\r\n" + line * (5120 // len(line))
f = open(log, "rb")
state = {"buf": b"", "n": 0, "t": 0.0}
def last_count():
    # the watcher appends whole lines, but a read may end inside one
    state["buf"] += f.read()
    *lines, state["buf"] = state["buf"].split(b"\n")
    for l in lines:
        a, b = l.split()
        state["n"], state["t"] = int(a), float(b)
    return state["n"], state["t"]
base, _ = last_count()
lat, lost = [], 0
for i in range(count):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("client.test")
    s.sendmail("sender@example.org", ["user@example.com"], body)
    t250 = time.time()
    s.quit()
    deadline = t250 + tmo
    while True:
        n, t = last_count()
        if n >= base + 1:
            base = n
            lat.append(t - t250)
            break
        if time.time() > deadline:
            lost += 1
            break
        time.sleep(0.001)
lat.sort()
def pct(p):
    if not lat:
        return "-"
    k = min(len(lat) - 1, max(0, int(round(p / 100.0 * len(lat) + 0.5)) - 1))
    return "%.1f" % (lat[k] * 1000)
print(pct(50), pct(99), "%.1f" % (lat[-1] * 1000) if lat else "-", lost)
EOF
# latency SYS: sets P50 P99 MAX LOST
latency () {
  local out
  P50=- P99=- MAX=- LOST=-
  sink_stop; sink_start "$SINK" "$SINKLOG" || return 0
  bwait 30 drained "$1" || bdiag "latency $1: queue not empty at start"
  fg timeout -k 5 "$BENCH_TIMEOUT" "$PY" "$T/latency.py" "$(port_of "$1")" "$SINKLOG" "$BENCH_LAT" 30 \
    >"$T/lat.out" 2>"$T/lat.err" || { bdiag "latency $1 failed: $(tail -1 "$T/lat.err")"; return 0; }
  out=$(cat "$T/lat.out")
  read -r P50 P99 MAX LOST <<<"$out"
}

if part c; then
  table_head "relay (c): latency, 250 after DATA -> arrival at the sink ($BENCH_LAT messages, one at a time)" \
    "" "postfix ms" "mxhold ms" "postfix/mxhold"
  declare -A L
  for s in $systems; do
    latency "$s"
    L[$s.p50]=$P50 L[$s.p99]=$P99 L[$s.max]=$MAX L[$s.lost]=$LOST
  done
  for k in p50 p99 max lost; do
    a=${L[pf.$k]:--} b=${L[mx.$k]:--} r=""
    [ $k = lost ] || r=$(ratio "$a" "$b")
    row "$k" "$a" "$b" "$r"
  done
fi

tnote "CPU ms/msg: user+system CPU of the relay's processes (Postfix: master and all its children;"
tnote "mxhold: tcpserver, deliver and all their children) per message; client and sink excluded"
[ $mx_ok = 1 ] || tnote "mxhold (smtpd, queue, conf, queuectl, deliver, remote) not built or not running: its column is empty"
sink_stop
pf_stop "$PF"
exit 0
