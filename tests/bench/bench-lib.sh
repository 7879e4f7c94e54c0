# tests/bench/bench-lib.sh: sourced by tests/bench/*.sh (bash), after
# tests/lib.sh (which gives bg, free_port, port_open, smtp_server, queue_count,
# and the temp dir $T, removed on exit).
#
# Parts:
#   pf_start DIR PORT DOWNPORT [LINE...]  a private Postfix relay for
#                                example.com/.net on 127.0.0.1:PORT, forwarding
#                                to 127.0.0.1:DOWNPORT (LINE: more main.cf lines)
#   pf_stop DIR                  stops it (also done on exit, for every instance)
#   pf_count DIR                 messages in its queue (all queues)
#   pf_flush DIR / pf_clear DIR  postqueue -f / postsuper -d ALL
#   sink_start PORT LOG          Postfix's smtp-sink on 127.0.0.1:PORT; every
#                                arrival appends "COUNT UNIXTIME" to LOG
#   sink_stop / sink_count LOG / sink_time_of LOG N
#   mx_start / mx_stop           mxhold inbound (tcpserver smtpd queue), deliver
#   now, rate N SECS, ratio A B  arithmetic helpers (awk)
#   have PROG...                 are these mxhold binaries built?
#   row ... / table_head ...     aligned table output; every table line also
#                                goes to $BENCH_OUT if set (run.sh collects them)
#
# Environment: BENCH_N (messages per throughput run, default 1000),
# BENCH_BACKLOG (default 2*BENCH_N), BENCH_LAT (latency samples, default
# BENCH_N/25 clamped to 20..200), BENCH_SIZE (payload bytes, default 5120),
# BENCH_TIMEOUT (seconds any one phase may take, default 600 + BENCH_BACKLOG/5),
# BENCH_PARTS (relay.sh: which of "a b c" to run).

BENCH_N=${BENCH_N:-1000}
BENCH_BACKLOG=${BENCH_BACKLOG:-$((BENCH_N * 2))}
if [ -z "${BENCH_LAT:-}" ]; then
  BENCH_LAT=$((BENCH_N / 25))
  [ "$BENCH_LAT" -lt 20 ] && BENCH_LAT=20
  [ "$BENCH_LAT" -gt 200 ] && BENCH_LAT=200
fi
BENCH_SIZE=${BENCH_SIZE:-5120}
# generous: filling the backlog at 15 msg/s (a loaded machine) takes N/15 s
BENCH_TIMEOUT=${BENCH_TIMEOUT:-$((600 + BENCH_BACKLOG / 5))}
BENCH_FROM=sender@example.org
BENCH_TO=user@example.com
SMTP_SOURCE=/usr/sbin/smtp-source
SMTP_SINK=/usr/sbin/smtp-sink
_pf_dirs=""

# Run a snapshot of the binaries: others rebuild build/bin while a long run
# goes on, and an exec of a half-written binary fails ("access denied").
if [ -d "$BIN" ] && [ "${BENCH_NO_SNAPSHOT:-0}" != 1 ]; then
  mkdir -p "$T/bin" && cp -p "$BIN"/mxhold-* "$T/bin/" 2>/dev/null
  BIN=$T/bin
  PATH="$T/bin:$PATH"
fi
# The relaycheck engineer's private-Postfix helper, if it is there.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/postfix-lib.sh"

# Everything started here is stopped on exit, also after INT/TERM/HUP.
_bench_cleanup () {
  local d p
  trap '' INT TERM HUP
  # our processes first (quick), then the Postfix instances (slower)
  for p in $_pids; do kill -TERM "$p" 2>/dev/null; done
  for d in $_pf_dirs; do pf_stop "$d" >/dev/null 2>&1; done
  _cleanup
}
trap _bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# bwait SECS CMD...: polls CMD every 0.05 s until it succeeds; 1 after SECS
# seconds of wall time (lib.sh's wait_until counts polls, which stretches
# when each poll is slow on a loaded machine).
bwait () {
  local end=$((SECONDS + $1)); shift
  while :; do
    "$@" 2>/dev/null && return 0
    [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.05
  done
}
bdiag () { echo "# $*" >&2; }
now () { date +%s.%N; }
# rate N SECS -> messages/s with one decimal
rate () { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "-" }'; }
# ratio A B -> A/B as "1.23x", "-" if either is missing
ratio () {
  case "$1$2" in *-*|"") echo "-"; return ;; esac
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'
}
# elapsed T0 T1 -> seconds, 2 decimals
elapsed () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# have PROG...: 0 if every build/bin/mxhold-PROG exists
have () {
  local p
  for p in "$@"; do [ -x "$BIN/mxhold-$p" ] || return 1; done
}

# Table output. table_head TITLE COL...; row COL... (first column wide).
_tab () { printf '%-34s' "$1"; shift; printf ' %14s' "$@"; printf '\n'; }
table_head () {
  local title=$1; shift
  { echo; echo "## $title"; _tab "$@"; } | _tee_out
}
row () { _tab "$@" | _tee_out; }
tnote () { echo "   $*" | _tee_out; }
_tee_out () { if [ -n "${BENCH_OUT:-}" ]; then tee -a "$BENCH_OUT"; else cat; fi; }

# ---------------------------------------------------------------- Postfix

# The settings that make a Postfix instance the same relay as mxhold's
# mkconf config: relays example.com and example.net only, to
# [127.0.0.1]:DOWNPORT; the loopback client is not in mynetworks (no
# open-relay shortcut); fsync as Postfix's default; process limit 150 so 50
# parallel sessions are not capped; anvil's per-client limits off (mxhold runs
# no rate limiter in the bench).
_pf_settings () {
  printf '%s\n' "mynetworks = 192.0.2.1/32" "relay_domains = example.com example.net" \
    "relay_transport = smtp:[127.0.0.1]:$1" "default_transport = error:no route" \
    "message_size_limit = 20971520" "default_process_limit = 150" \
    "smtpd_client_connection_count_limit = 0" "smtpd_client_connection_rate_limit = 0" \
    "smtpd_client_message_rate_limit = 0" "smtpd_client_recipient_rate_limit = 0"
}

# pf_start DIR PORT DOWNPORT [main.cf line...]: a private Postfix relay
# (config, queue, data and log under DIR) listening on 127.0.0.1:PORT, by
# tests/e2e/postfix-lib.sh; the extra lines (tls.sh's smtpd_tls_*) are added.
pf_start () {
  local d=$1 port=$2 down=$3 l
  local -a set=()
  shift 3
  while IFS= read -r l; do set+=("$l"); done < <(_pf_settings "$down")
  _pf_dirs="$_pf_dirs $d"
  postfix_start "$d" "$port" "${set[@]}" "$@"
}

# pf_stop DIR: stops the instance and waits (bounded) for its master to go.
pf_stop () {
  local d=$1 pid
  # master writes its pid file a moment after `postfix start` returns
  bwait 3 test -s "$d/spool/pid/master.pid" || return 0
  pid=$(tr -dc 0-9 <"$d/spool/pid/master.pid")
  postfix_stop "$d"
  [ -n "$pid" ] && ! bwait 15 _gone "$pid" && kill -KILL "$pid" 2>/dev/null
  _pf_dirs=$(echo "$_pf_dirs" | tr ' ' '\n' | grep -vxF "$d" | tr '\n' ' ')
}
_gone () { ! kill -0 "$1" 2>/dev/null; }

# pf_count DIR: messages in the queue (every queue Postfix has). Postfix
# moves a file between incoming/, active/ and deferred/ by rename, so a
# walk can see one twice or miss it: count distinct queue ids, and first
# wait (bounded) until qmgr has nothing in flight.
pf_count () {
  bwait 60 pf_settled "$1" || bdiag "postfix $1: still busy, the count may be off"
  pf_count_now "$1"
}
# pf_count_now DIR: the same without waiting
pf_count_now () {
  find "$1/spool/maildrop" "$1/spool/incoming" "$1/spool/active" \
       "$1/spool/deferred" "$1/spool/hold" "$1/spool/corrupt" -type f -printf '%f\n' 2>/dev/null \
    | sort -u | wc -l
}
# pf_settled DIR: nothing in maildrop/, incoming/ or active/
pf_settled () {
  [ -z "$(find "$1/spool/maildrop" "$1/spool/incoming" "$1/spool/active" -type f 2>/dev/null | head -1)" ]
}
pf_flush () { postqueue -c "$1/etc" -f; }
pf_clear () { postsuper -c "$1/etc" -d ALL >/dev/null 2>&1; }

# ---------------------------------------------------------------- CPU

# cpu_ms PID...: CPU milliseconds (user + system) used so far by each PID and
# all its descendants, alive or already reaped (a process's cutime/cstime
# holds its waited-for children). Take it before and after a run: the
# difference is the CPU the run cost, a figure a busy machine disturbs far
# less than wall time.
cpu_ms () {
  "$PY" - "$@" <<'EOF'
import os, sys
hz = os.sysconf("SC_CLK_TCK")
kids, ticks = {}, {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        st = open("/proc/%s/stat" % p).read()
    except OSError:
        continue
    f = st[st.rindex(")") + 2:].split()
    kids.setdefault(f[1], []).append(p)          # field 4: ppid
    ticks[p] = sum(int(x) for x in f[11:15])     # utime stime cutime cstime
total, todo, seen = 0, [a for a in sys.argv[1:] if a in ticks], set()
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    total += ticks.get(p, 0)
    todo += kids.get(p, [])
print(total * 1000 // hz)
EOF
}
# per_msg MS N -> milliseconds per message, 2 decimals
per_msg () { awk -v a="$1" -v n="$2" 'BEGIN { if (n > 0 && a != "") printf "%.2f", a / n; else print "-" }'; }
pf_master () { tr -dc 0-9 <"$1/spool/pid/master.pid" 2>/dev/null; }

# ---------------------------------------------------------------- the sink

# sink_start PORT LOG: smtp-sink -c on 127.0.0.1:PORT under a small Python
# watcher that timestamps each change of its "mesg=" counter (the counter
# moves when "." arrives) and appends "COUNT UNIXTIME" to LOG. The sink dies
# with its watcher (PR_SET_PDEATHSIG), the watcher is stopped on exit.
sink_start () {
  local port=$1 log=$2
  [ -f "$T/sinkwatch.py" ] || cat >"$T/sinkwatch.py" <<'EOF'
import ctypes, os, signal, subprocess, sys, time
sink, port, log = sys.argv[1], sys.argv[2], sys.argv[3]
def child():
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
p = subprocess.Popen([sink, "-c", "-u", "nobody", "127.0.0.1:" + port, "1024"],
                     stdout=subprocess.PIPE, preexec_fn=child, bufsize=0)
def stop(*_):
    p.terminate(); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
out = open(log, "a", buffering=1)
last, buf = 0, b""
while True:
    chunk = p.stdout.read(4096)
    if not chunk:
        break
    t = time.time()
    buf += chunk
    *recs, buf = buf.split(b"\r")
    for r in recs:
        for f in r.split():
            if f.startswith(b"mesg="):
                n = int(f[5:])
                if n != last:
                    last = n
                    out.write("%d %.6f\n" % (n, t))
EOF
  : >"$log"
  bg /usr/bin/python3 "$T/sinkwatch.py" "$SMTP_SINK" "$port" "$log"
  SINK_PID=$LASTPID
  bwait 10 port_open "$port" || { bdiag "smtp-sink on $port did not start"; return 1; }
}
sink_stop () {
  [ -n "${SINK_PID:-}" ] || return 0
  kill -TERM "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; _pids=${_pids/ $SINK_PID/}; SINK_PID=""
}
# sink_count LOG: messages arrived so far (since this sink started)
sink_count () { local l; l=$(tail -n 1 "$1" 2>/dev/null); echo "${l%% *}" | sed 's/^$/0/'; }
# sink_time_of LOG N: unix time at which the N-th message arrived ("" if not yet)
sink_time_of () { awk -v n="$2" '$1 >= n { print $2; exit }' "$1"; }
_sink_has () { [ "$(sink_count "$1")" -ge "$2" ]; }
# sink_wait LOG N SECS: wait until N messages arrived; 1 when SECS have
# passed, or when nothing arrived for BENCH_STALL seconds (default 60: a
# relay that refused or lost messages would otherwise cost the whole SECS).
sink_wait () {
  local log=$1 n=$2 end=$((SECONDS + $3)) last=-1 cur since=$SECONDS
  while :; do
    cur=$(sink_count "$log")
    [ "$cur" -ge "$n" ] && return 0
    [ "$cur" != "$last" ] && { last=$cur; since=$SECONDS; }
    [ "$SECONDS" -ge "$end" ] && return 1
    [ $((SECONDS - since)) -ge "${BENCH_STALL:-60}" ] && return 1
    sleep 0.1
  done
}
# sink_last LOG: "COUNT UNIXTIME" of the last arrival ("0 0" if none)
sink_last () { tail -n 1 "$1" 2>/dev/null | grep . || echo "0 0"; }

# ---------------------------------------------------------------- mxhold

# mx_conf DIR DOWNPORT: lib.sh's mkconf (queue at DIR/q), example.com and
# example.net routed to 127.0.0.1:DOWNPORT.
mx_conf () {
  mkconf -p "$2" "$1" || { bdiag "mkconf $1 failed"; return 1; }
}

# mx_start DIR PORT DOWNPORT: config DIR (mx_conf), queue DIR/q, and the
# inbound chain `tcpserver -c 100 -b BACKLOG 127.0.0.1 PORT mxhold-smtpd
# mxhold-queue` (as lib.sh's smtp_server, plus -b). BACKLOG is
# BENCH_TCP_BACKLOG, default 100: tcpserver's own default listen backlog is
# 20, and with 50 clients connecting at once the kernel then drops SYNs
# (TcpExtListenOverflows) and each dropped client waits 1-3 s to retry:
# mxhold measured 22 msg/s at concurrency 50 that way, 55 with -b 100.
# LASTPID is tcpserver's pid; its log is $T/smtpd.PORT.log.
mx_start () {
  local d=$1 port=$2 down=$3
  mx_conf "$d" "$down" || return 1
  MXHOLD_CONF=$d bg tcpserver -HRl0 -c 100 -b "${BENCH_TCP_BACKLOG:-100}" 127.0.0.1 "$port" \
    mxhold-smtpd mxhold-queue 2>>"$T/smtpd.$port.log"
  bwait 10 port_open "$port" || { bdiag "tcpserver on $port did not start"; return 1; }
}
# mx_deliver_start DIR: mxhold-deliver in the background (logs to DIR/deliver.log)
mx_deliver_start () {
  local d=$1
  MXHOLD_CONF=$d bg mxhold-deliver 2>>"$d/deliver.log"
  DELIVER_PID=$LASTPID
  # up when it logs its start; an exit before that is the failure
  bwait 10 _dlv_started "$d/deliver.log" "$DELIVER_PID"
  alive "$DELIVER_PID" && grep -q 'info: started' "$d/deliver.log" \
    || { bdiag "mxhold-deliver did not start:"; tail -5 "$d/deliver.log" | sed 's/^/#   /' >&2; return 1; }
}
_dlv_started () { grep -q 'info: started' "$1" || ! alive "$2"; }
# reaped PID: PID has no child process left (tcpserver's sessions all ended)
reaped () { ! pgrep -P "$1" >/dev/null; }
# mx_count QUEUEDIR: messages queued (new/ and mess/; distinct ids, as
# deliver renames new/ID to mess/HH/ID while we look)
mx_count () {
  find "$1/new" "$1/mess" -type f -printf '%f\n' 2>/dev/null | sort -u | wc -l
}
mx_flush () { MXHOLD_CONF=$1 mxhold-queuectl -c "$1" flush >/dev/null; }
# mx_stop_pid PID: stop one process started with bg
mx_stop_pid () { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; _pids=${_pids/ $1/}; }

# ---------------------------------------------------------------- the source

# fg CMD...: run CMD in the background and wait for it, so that a TERM or
# INT to this script is acted on at once (bash runs traps only between
# foreground commands) and the cleanup stops CMD too. Returns CMD's status.
fg () {
  local rc
  bg "$@"
  wait "$LASTPID"; rc=$?
  _pids=${_pids/ $LASTPID/}     # done: never signal a pid that may be reused
  return $rc
}

# source_run PORT N CONC [MPC]: smtp-source sends N messages of BENCH_SIZE bytes,
# CONC sessions in parallel, one message per session; sets SRC_SECS to the
# seconds it took. Bounded by BENCH_TIMEOUT. Its errors go to $T/source.log.
# -A: a refused message does not end the run (the queue count shows it).
# With a 4th argument MPC > 1, MPC messages per session (smtp-source -d,
# which keeps a session going while messages are left): N/(CONC*MPC) runs of
# CONC sessions and CONC*MPC messages each, one after the other.
source_run () {
  local port=$1 n=$2 c=$3 mpc=${4:-1} t0 t1 rc=0 left batch
  t0=$(now)
  if [ "$mpc" -le 1 ]; then
    fg timeout -k 5 "$BENCH_TIMEOUT" "$SMTP_SOURCE" -A -s "$c" -m "$n" -l "$BENCH_SIZE" \
      -f "$BENCH_FROM" -t "$BENCH_TO" -M client.test "127.0.0.1:$port" >>"$T/source.log" 2>&1
    rc=$?
  else
    left=$n
    while [ "$left" -gt 0 ] && [ "$rc" -eq 0 ]; do
      batch=$((c * mpc)); [ "$batch" -gt "$left" ] && batch=$left
      fg timeout -k 5 "$BENCH_TIMEOUT" "$SMTP_SOURCE" -A -d -s "$c" -m "$batch" -l "$BENCH_SIZE" \
        -f "$BENCH_FROM" -t "$BENCH_TO" -M client.test "127.0.0.1:$port" >>"$T/source.log" 2>&1
      rc=$?
      left=$((left - batch))
    done
  fi
  t1=$(now)
  [ $rc -eq 0 ] || bdiag "smtp-source to $port exited $rc (last errors below)"
  tail -n 3 "$T/source.log" | grep . | sed 's/^/#   /' >&2
  : >"$T/source.log"
  SRC_SECS=$(elapsed "$t0" "$t1")
}

# ---------------------------------------------------------------- memory

# pss_start PID...: samples, every 0.25 s until pss_stop, the total PSS of
# each PID's process tree (smaps_rollup of every descendant alive at the
# sample): the relay's memory under load, a page shared by k processes
# counted 1/k in each, so once in the total. pss_stop (not in a subshell:
# it waits for the sampler) sets PSS (the largest total, KiB), PSS_MEDIAN
# and PSS_PROCS (processes at the largest), "-" without a sample.
pss_start () {
  [ -f "$T/pss.py" ] || cat >"$T/pss.py" <<'EOF'
import os, signal, sys, time
out, roots = sys.argv[1], sys.argv[2:]
samples = []
def stop(*_):
    if not samples:
        sample()
    with open(out, "w") as f:
        if samples:
            v = sorted(t for t, _ in samples)
            mx = max(samples)
            f.write("%d %d %d\n" % (mx[0], v[len(v) // 2], mx[1]))
        else:
            f.write("- - -\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
def tree():
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            st = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        kids.setdefault(st[st.rindex(")") + 2:].split()[1], []).append(p)
    todo, seen = list(roots), []
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += kids.get(p, [])
    return seen
def sample():
    total, n = 0, 0
    for p in tree():
        try:
            for l in open("/proc/%s/smaps_rollup" % p):
                if l.startswith("Pss:"):
                    total += int(l.split()[1])
                    n += 1
                    break
        except OSError:
            pass
    if n:
        samples.append((total, n))
while True:
    sample()
    time.sleep(0.25)
EOF
  bg "$PY" "$T/pss.py" "$T/pss.out" "$@"
  PSS_PID=$LASTPID
}
pss_stop () {
  kill -TERM "$PSS_PID" 2>/dev/null; wait "$PSS_PID" 2>/dev/null; _pids=${_pids/ $PSS_PID/}
  PSS=- PSS_MEDIAN=- PSS_PROCS=-
  [ -s "$T/pss.out" ] && read -r PSS PSS_MEDIAN PSS_PROCS <"$T/pss.out"
  rm -f "$T/pss.out"
}
# kib_mib KIB -> MiB, one decimal
kib_mib () { awk -v k="$1" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.1f", k / 1024 }'; }
