#!/bin/bash
# tests/bench/startcost.sh: issue 18's breakdown (not a test). What one start
# of each program of the inbound chain costs, apart from the network, the
# client and the disk's fsync: each program is started BENCH_SC_N times
# (default 1000) one after the other with a trivial input by
# tests/bench/startcost.c (posix_spawn, wait4), which gives
#   - CPU per start: user+system of the child and the children it reaped;
#   - minor page faults per start;
#   - at the point where the program's own work ends (its exit, or its exec
#     of the next program), under ptrace: RSS, PSS, PSS of anonymous memory,
#     PSS of files, and RSS of its own binary (what of the file it touched).
# A program that execs or spawns the next one (ratelimit, spfcheck; smtpd's
# queue child) is given a drain (static, reads fd 0 and 1, exits) as the
# next; the "net" columns take the drain's own cost away. smtpd is
# also run with one session of BENCH_SC_MSGS (10) messages: its cost per
# message is the difference from a session with none, divided, net of the
# child. Reference rows: a static glibc program that does nothing but read
# its input (startcost -d), and the same built static with musl if musl-gcc
# is there (then that one is the "next" program).
# Run by tests/bench/run.sh; alone: B=build bash tests/bench/startcost.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench-lib.sh"
N=${BENCH_SC_N:-1000}
M=${BENCH_SC_MSGS:-10}
SRC=$(dirname "$0")/startcost.c
SC=$T/startcost
cc -O2 -static -o "$SC" "$SRC" 2>"$T/sc.cc" || { bdiag "startcost.c did not compile: $(head -1 "$T/sc.cc")"; exit 1; }
# The price of one fault on this machine: measured (a fresh anonymous page,
# in a loop), unless BENCH_FAULT_US says (issue 18 used 13).
read -r FAULT_US _ <<<"$("$SC" -p)"
[ -n "${BENCH_FAULT_US:-}" ] && FAULT_US=$BENCH_FAULT_US
DRAIN="$SC -d"
have smtpd queue conf queuectl || { bdiag "mxhold binaries missing"; exit 1; }

# A config like the bench's (mkconf), a limit no run of N reaches, a TLS pair.
C=$T/conf
mkconf -l 'connections unlimited\nburst unlimited\n' "$C" >/dev/null || { bdiag "mkconf failed"; exit 1; }
if have tls; then
  source "$TOP/tests/certs.sh"
  make_certs "$T/pki" && mkdir -p "$C/tls" && cp "$T/pki/chain.pem" "$C/tls/cert.pem" \
    && cp "$T/pki/server.key" "$C/tls/key.pem" && chmod 600 "$C/tls/key.pem" || bdiag "no TLS pair: mxhold-tls skipped"
fi
export MXHOLD_CONF=$C TCPREMOTEIP=127.0.0.1 TCPLOCALIP=127.0.0.1 TCPREMOTEPORT=40000 TCPLOCALPORT=25 PROTO=TCP
# the message and its envelope (qmail-queue's fds 0 and 1)
line=$(printf 'x%.0s' $(seq 76))
{ printf 'Received: from client.test ([127.0.0.1]) by relay.test (mxhold)\r\nSubject: startcost\r\n\r\n'
  for _ in $(seq $((BENCH_SIZE / 78))); do printf '%s\r\n' "$line"; done; } >"$T/msg"
printf 'Fsender@example.org\0Tuser@example.com\0\0' >"$T/env"
# smtpd sessions: none (QUIT at once) and M messages
printf 'QUIT\r\n' >"$T/s0"
{ printf 'EHLO client.test\r\n'
  for _ in $(seq "$M"); do
    printf 'MAIL FROM:<sender@example.org>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n'
    tail -n +2 "$T/msg"; printf '.\r\n'
  done
  printf 'QUIT\r\n'; } >"$T/sM"
printf 'EHLO client.test\r\nQUIT\r\n' >"$T/sE"

declare -A CPU FLT MEM
# measure KEY PROG... (startcost options first): CPU[KEY] FLT[KEY] MEM[KEY]
measure () {
  local key=$1 out mem; shift
  local opts=()
  while [ "${1#-}" != "$1" ]; do
    if [ "$1" = -a ]; then opts+=(-a); shift; else opts+=("$1" "$2"); shift 2; fi
  done
  CPU[$key]=- FLT[$key]=- MEM[$key]="- - - - -"
  out=$("$SC" -n "$N" "${opts[@]}" "$@" 2>"$T/err.$key") \
    || { bdiag "$key: $(tail -1 "$T/err.$key")"; return 0; }
  read -r c _ _ f _ <<<"$out"
  CPU[$key]=$c FLT[$key]=$f
  mem=$("$SC" -m "${opts[@]}" "$@" 2>>"$T/err.$key") && MEM[$key]=$mem
}
bdiag "startcost: $N starts per program, smtpd sessions of $M messages, load $(cut -d' ' -f1-3 /proc/loadavg)"
measure glibc -f 0="$T/msg" -f 1="$T/env" $DRAIN
CPU[drain]=${CPU[glibc]} FLT[drain]=${FLT[glibc]}
# With musl-gcc the next program is a static musl drain: less to take away.
if command -v musl-gcc >/dev/null; then
  printf '%s\n' '#include <unistd.h>' \
    'int main (void) { char b[65536] ; while (read(0, b, sizeof b) > 0) ; while (read(1, b, sizeof b) > 0) ; return 0 ; }' >"$T/drain.c"
  if musl-gcc -O2 -static -o "$T/drain-musl" "$T/drain.c" 2>/dev/null; then
    measure drain -f 0="$T/msg" -f 1="$T/env" "$T/drain-musl"
    DRAIN=$T/drain-musl
  fi
fi
measure ratelimit -f 2="$T/rl.log" "$BIN/mxhold-ratelimit" -f "$T/rl.state" $DRAIN
measure smtpd-quit -f 0="$T/s0" -f 2="$T/smtpd.log" "$BIN/mxhold-smtpd" $DRAIN
measure smtpd-ehlo -f 0="$T/sE" -f 2="$T/smtpd.log" "$BIN/mxhold-smtpd" $DRAIN
measure smtpd-msgs -f 0="$T/sM" -f 2="$T/smtpd.log" "$BIN/mxhold-smtpd" $DRAIN
have spfcheck && MXHOLD_HELO='[127.0.0.1]' MXHOLD_MAILFROM='' \
  measure spfcheck -f 0="$T/msg" -f 1="$T/env" -f 2="$T/spf.log" "$BIN/mxhold-spfcheck" $DRAIN
measure queue -f 0="$T/msg" -f 1="$T/env" -f 2="$T/queue.log" "$BIN/mxhold-queue"
have rcptcheck && measure rcptcheck -a -f 2="$T/rcpt.log" "$BIN/mxhold-rcptcheck" user@example.com
[ -f "$C/tls/key.pem" ] && measure tls -a -f 3=/dev/null -f 4=/dev/null -f 2="$T/tls.log" "$BIN/mxhold-tls" -t 5 "$C"

# net KEY: CPU and faults of KEY less the drain's (the next program it ran)
sub () { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", a - b }'; }
ms () { awk -v a="$1" 'BEGIN { if (a == "-") print "-"; else printf "%.3f", a / 1000 }'; }
fshare () { awk -v f="$1" -v c="$2" -v u="$FAULT_US" 'BEGIN { if (f == "-" || c == "-" || c <= 0) print "-"; else printf "%.0f%%", 100 * f * u / c }'; }
prow () {   # prow LABEL KEY SUBTRACT(0|1) WHEN
  local k=$2 c f
  c=${CPU[$k]:--} f=${FLT[$k]:--}
  if [ "$3" = 1 ]; then c=$(sub "$c" "${CPU[drain]}"); f=$(sub "$f" "${FLT[drain]}"); fi
  read -r rss pss pa pf bin <<<"${MEM[$k]:-- - - - -}"
  row "$1" "$4" "$(ms "$c")" "$f" "$(fshare "$f" "$c")" "$rss" "$pss" "$pa" "$pf" "$bin"
  NET_CPU[$k]=$c NET_FLT[$k]=$f
}
declare -A NET_CPU NET_FLT
table_head "startcost: one start of each program, trivial input ($N starts each; load $(cut -d' ' -f1-3 /proc/loadavg))" \
  "program" "runs" "CPU ms/start" "faults/start" "faults x ${FAULT_US}us" "RSS KiB" "PSS KiB" "PSS anon" "PSS file" "binary RSS"
prow "(static glibc nop: startcost -d)" glibc 0 "reference"
[ "$DRAIN" = "$T/drain-musl" ] && prow "(static musl nop: the next prog)" drain 0 "reference"
prow "mxhold-ratelimit (net of next)" ratelimit 1 "per connection"
prow "mxhold-smtpd, QUIT at once" smtpd-quit 0 "per connection"
prow "mxhold-smtpd, EHLO + QUIT" smtpd-ehlo 0 "per connection"
have spfcheck && prow "mxhold-spfcheck (net of next)" spfcheck 1 "per message"
prow "mxhold-queue (5 KiB, fsync)" queue 0 "per message"
have rcptcheck && prow "mxhold-rcptcheck (exit 100)" rcptcheck 0 "per cold RCPT"
[ -n "${CPU[tls]:-}" ] && prow "mxhold-tls (key load, no peer)" tls 0 "per STARTTLS"
# smtpd per message: (session of M - EHLO session) / M, less one drain start
pm_c=$(awk -v a="${CPU[smtpd-msgs]}" -v b="${CPU[smtpd-ehlo]}" -v d="${CPU[drain]}" -v m="$M" \
  'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", (a - b) / m - d }')
pm_f=$(awk -v a="${FLT[smtpd-msgs]}" -v b="${FLT[smtpd-ehlo]}" -v d="${FLT[drain]}" -v m="$M" \
  'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", (a - b) / m - d }')
row "mxhold-smtpd, each message (net)" "per message" "$(ms "$pm_c")" "$pm_f" "$(fshare "$pm_f" "$pm_c")" "-" "-" "-" "-" "-"
# the chain, one message per connection (what smtp-source's default does):
# ratelimit + smtpd (EHLO session) + its message + spfcheck + queue
sum=$(awk -v a="${NET_CPU[ratelimit]}" -v b="${NET_CPU[smtpd-ehlo]}" -v c="$pm_c" -v d="${NET_CPU[spfcheck]:-0}" -v e="${NET_CPU[queue]}" \
  'BEGIN { if (a == "-" || b == "-" || c == "-" || d == "-" || e == "-") print "-"; else printf "%.1f", a + b + c + d + e }')
fsum=$(awk -v a="${NET_FLT[ratelimit]}" -v b="${NET_FLT[smtpd-ehlo]}" -v c="$pm_f" -v d="${NET_FLT[spfcheck]:-0}" -v e="${NET_FLT[queue]}" \
  'BEGIN { if (a == "-" || b == "-" || c == "-" || d == "-" || e == "-") print "-"; else printf "%.1f", a + b + c + d + e }')
row "chain, 1 message per connection" "per message" "$(ms "$sum")" "$fsum" "$(fshare "$fsum" "$sum")" "-" "-" "-" "-" "-"
tnote "CPU: user+system from wait4 (the child and what it reaped), mean of $N starts one after the other."
tnote "faults x ${FAULT_US}us: the share of that CPU the minor faults explain at ${FAULT_US} us each (measured"
tnote "here: startcost -p, one fresh anonymous page; BENCH_FAULT_US to set it); faults carry to other"
tnote "machines, microseconds do not. The rest of a glibc start is mostly CPUID (trapped by the"
tnote "hypervisor, ~6 us each here; glibc's start runs it dozens of times, musl's never). Memory: one"
tnote "run under ptrace, read at the entry of its exit or exec (/proc/PID/smaps_rollup, smaps)."
tnote "chain = ratelimit + smtpd (EHLO, QUIT) + smtpd's per-message + spfcheck + queue; tcpserver's"
tnote "fork and the network are not in it (see inbound.sh's floor for those)."
exit 0
