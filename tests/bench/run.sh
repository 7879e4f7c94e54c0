#!/bin/sh
# tests/bench/run.sh [NAME...]: `make bench`. Runs every benchmark script in
# tests/bench/ (inbound.sh, relay.sh, spf.sh, ratelimit.sh, then any other
# *.sh but this one and bench-lib.sh), or only those whose name contains a
# NAME, each bounded by BENCH_SCRIPT_SECS (default 7200). A script prints its
# tables on stdout and its progress on stderr (lines starting with "#").
# At the end the tables of every script are printed again, together, and
# saved to $B/bench/results.txt. Exit 1 if a script failed.
# BENCH_N (default 1000: a few minutes) is the messages per throughput run;
# issue 18's figures are from BENCH_N=3000 BENCH_CONCS="10 50" (README.md).
B=${B:-build}
BENCH_N=${BENCH_N:-1000}
export BENCH_N
top=$(cd "$(dirname "$0")/../.." && pwd)
export MXHOLD_TOP="$top" MXHOLD_BIN="$top/$B/bin" B
export PATH="$top/$B/bin:$PATH"
limit=${BENCH_SCRIPT_SECS:-7200}
here=$top/tests/bench
mkdir -p "$top/$B/bench"
res=$top/$B/bench/results.txt
out=$(mktemp)
trap 'rm -f "$out" "$out.1"' EXIT

want () {
  [ $# -le 1 ] && return 0
  n=$1; shift
  for p in "$@"; do case "$n" in *"$p"*) return 0 ;; esac; done
  return 1
}

scripts=""
for s in startcost inbound relay spf ratelimit deliver-rss; do
  [ -f "$here/$s.sh" ] && scripts="$scripts $s"
done
for f in "$here"/*.sh; do
  s=$(basename "$f" .sh)
  case " $scripts run bench-lib " in *" $s "*) continue ;; esac
  scripts="$scripts $s"
done

{
  echo "# mxhold benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# BENCH_N=$BENCH_N (messages per throughput run); numbers are noisy on a shared machine"
} >"$out"
cat "$out"
# A quick run (BENCH_N below the full 5000) scales the other scripts' own
# knobs down too, unless they are set.
# deliver-rss.sh takes its queue size as an argument (default 100000).
dlv_n=""
if [ "$BENCH_N" -lt 5000 ]; then
  : "${BENCH_RL_N:=$(( BENCH_N < 100 ? 100 : BENCH_N ))}" "${BENCH_RL_ROUNDS:=1}" "${BENCH_RL_KEYS:=100000}"
  export BENCH_RL_N BENCH_RL_ROUNDS BENCH_RL_KEYS
  : "${BENCH_RD_N:=$(( BENCH_N < 100 ? 100 : BENCH_N ))}" "${BENCH_RD_ROUNDS:=1}"
  export BENCH_RD_N BENCH_RD_ROUNDS
  : "${BENCH_MT_N:=$(( BENCH_N * 10 ))}"
  export BENCH_MT_N
  dlv_n=$(( BENCH_N * 20 ))
fi

# A script runs in the background so that TERM/INT/HUP to this one can be
# passed on (a script cleans up after itself on TERM: Postfix, tcpserver...).
child=""
stop () { [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"; exit "$1"; }
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop 129' HUP
failed=""
for s in $scripts; do
  want "$s" "$@" || continue
  echo
  echo "=== $s"
  start=$(date +%s)
  args=""
  [ "$s" = deliver-rss ] && args=$dlv_n
  timeout --foreground -k 60 "$limit" bash "$here/$s.sh" $args >"$out.1" &
  child=$!
  wait "$child"
  rc=$?
  child=""
  cat "$out.1"
  { echo; echo "=== $s ($(( $(date +%s) - start )) s, exit $rc)"; cat "$out.1"; } >>"$out"
  [ "$rc" -eq 0 ] || failed="$failed $s"
done
cp "$out" "$res"
echo
echo "================ summary (also in $B/bench/results.txt)"
cat "$out"
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
