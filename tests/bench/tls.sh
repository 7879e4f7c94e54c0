#!/bin/bash
# tests/bench/tls.sh: inbound STARTTLS against plain SMTP (issue 11), in
# one run, beside a private Postfix with TLS on (not a test). The same
# Python client (tests/bench/tls-load.py: BENCH_TLS_N sessions, one 5 KiB
# message each, at concurrency 1 and 10) drives
#   - mxhold (tcpserver smtpd queue) with no tls/ folder in the config,
#     with tls/cert.pem and tls/key.pem (STARTTLS offered, not used), and
#     with STARTTLS used, smtpd starting mxhold-tls per session ("spawned")
#     or handing it to a child of the mxhold-tls server ("server", tls/server);
#   - Postfix with smtpd_tls_security_level=may, plain and STARTTLS.
# Prints msg/s and the relay's CPU per session, the ratios, and what one
# mxhold-tls start costs (exec, OpenSSL initialisation, key load).
# Run by tests/bench/run.sh; alone: B=build bash tests/bench/tls.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench-lib.sh"
source "$(dirname "$0")/../certs.sh"

TLS_N=${BENCH_TLS_N:-$(( BENCH_N / 5 < 100 ? 100 : BENCH_N / 5 ))}
CONCS=${BENCH_TLS_CONCS:-1 10}
LOAD=$(dirname "$0")/tls-load.py
DOWN=$(free_port)
PKI=$T/pki
make_certs "$PKI" || { bdiag "make_certs failed: $(tail -2 "$PKI/openssl.log")"; exit 1; }

mx_ok=1
have smtpd queue conf queuectl tls || { mx_ok=0; bdiag "mxhold binaries missing: mxhold rows skipped"; }
PF=$T/pf PFPORT=$(free_port)
pf_ok=1
pf_start "$PF" "$PFPORT" "$DOWN" \
  "smtpd_tls_security_level = may" "smtpd_tls_cert_file = $PKI/chain.pem" "smtpd_tls_key_file = $PKI/server.key" \
  "smtpd_tls_loglevel = 0" || pf_ok=0

# load PORT CONC MODE: sets SECS, OK (sessions that sent their message)
load () {
  local out
  out=$(timeout -k 5 "$BENCH_TIMEOUT" "$PY" "$LOAD" "$1" "$TLS_N" "$2" "$3" 2>"$T/load.err") || bdiag "load: $(tail -1 "$T/load.err")"
  read -r SECS OK FAILED <<<"${out:-- 0 0}"
  [ "${FAILED:-0}" = 0 ] || bdiag "load $3 on $1: $FAILED sessions failed"
}

# mx_row CONC MODE TLSDIR(0/1) [server]: a fresh config and tcpserver
# (with "server", a mxhold-tls -d too, named by tls/server, its CPU and
# its children's counted); sets RATE, CPU
mx_row () {
  local c=$1 mode=$2 tlsdir=$3 srv=${4:-} d=$T/mx.$1.$2.$3${4:-} port pid spid= c0 got via=spawn
  RATE=- CPU=-
  port=$(free_port)
  mx_conf "$d" "$DOWN" || return 0
  if [ "$tlsdir" = 1 ]; then
    mkdir "$d/tls" && cp "$PKI/chain.pem" "$d/tls/cert.pem" && cp "$PKI/server.key" "$d/tls/key.pem"
  fi
  if [ -n "$srv" ]; then
    via=server
    echo "$d/tls.sock" >"$d/tls/server"
    bg mxhold-tls -d "$d/tls.sock" -u "$(id -u)" "$d" 2>>"$T/tlsd.$port.log"
    spid=$LASTPID
    bwait 10 test -S "$d/tls.sock" || { bdiag "mxhold-tls -d did not start"; return 0; }
  fi
  MXHOLD_CONF=$d bg tcpserver -HRl0 -c 100 -b 100 127.0.0.1 "$port" mxhold-smtpd mxhold-queue 2>>"$T/smtpd.$port.log"
  pid=$LASTPID
  bwait 10 port_open "$port" || { bdiag "tcpserver on $port did not start"; return 0; }
  c0=$(cpu_ms "$pid" $spid)
  load "$port" "$c" "$mode"
  bwait 10 reaped "$pid"
  [ -z "$spid" ] || bwait 10 reaped "$spid"
  got=$(mx_count "$d/q")
  CPU=$(per_msg $(( $(cpu_ms "$pid" $spid) - c0 )) "$got")
  RATE=$(rate "$got" "$SECS")
  [ "$got" = "$TLS_N" ] || bdiag "mxhold $mode: $got of $TLS_N queued"
  [ "$mode" = tls ] && ! grep -q "info: starttls .*via=$via" "$T/smtpd.$port.log" && { bdiag "mxhold: no starttls via=$via line"; RATE=- CPU=-; }
  mx_stop_pid "$pid"
  [ -z "$spid" ] || mx_stop_pid "$spid"
}

# pf_row CONC MODE: sets RATE, CPU
pf_row () {
  local m c0 got
  RATE=- CPU=-
  pf_clear "$PF"
  m=$(pf_master "$PF"); c0=$(cpu_ms "$m")
  load "$PFPORT" "$1" "$2"
  got=$(pf_count "$PF")
  CPU=$(per_msg $(( $(cpu_ms "$m") - c0 )) "$got")
  RATE=$(rate "$got" "$SECS")
  [ "$got" = "$TLS_N" ] || bdiag "postfix $2: $got of $TLS_N queued"
}

# plus A B: A - B with a sign, or - if either is missing
plus () { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-") printf "%+.2f", a - b; else print "-" }'; }

# tls_start_ms K: CPU ms (user+system) of one mxhold-tls run up to "ready"
# and out: exec, OpenSSL's initialisation, the key pair read, no handshake
# (fd 0 is /dev/null: the handshake ends at once), averaged over K runs.
tls_start_ms () {
  local d=$T/mx.start
  mx_conf "$d" "$DOWN" >/dev/null || { echo -; return; }
  mkdir -p "$d/tls" && cp "$PKI/chain.pem" "$d/tls/cert.pem" && cp "$PKI/server.key" "$d/tls/key.pem"
  "$PY" - "$1" "$d" <<'PY'
import os, resource, subprocess, sys
k, conf = int(sys.argv[1]), sys.argv[2]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(k):
    rd, wr = os.pipe()
    if wr != 4:
        os.dup2(wr, 4)
        os.close(wr)
    p = subprocess.Popen(["mxhold-tls", "-t", "5", conf], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, pass_fds=(4,))
    os.close(4)
    if not os.read(rd, 100).startswith(b"ready"):
        sys.exit("mxhold-tls did not say ready")
    os.close(rd)
    p.wait()
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f" % ((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000 / k))
PY
}

bdiag "tls: $TLS_N sessions per row, concurrency $CONCS"
table_head "tls: inbound STARTTLS vs plain, same run (N=$TLS_N sessions, 1 x ${BENCH_SIZE} B message each)" \
  "relay, mode, concurrency" "msg/s" "CPU ms/session"
SUM=()
for c in $CONCS; do
  if [ $mx_ok = 1 ]; then
    mx_row "$c" plain 0; m0r=$RATE m0c=$CPU; row "mxhold plain, no tls/, c=$c" "$m0r" "$m0c"
    mx_row "$c" plain 1; m1r=$RATE m1c=$CPU; row "mxhold plain, tls/ offered, c=$c" "$m1r" "$m1c"
    mx_row "$c" tls 1;   m2r=$RATE m2c=$CPU; row "mxhold STARTTLS spawned, c=$c" "$m2r" "$m2c"
    mx_row "$c" tls 1 server; m3r=$RATE m3c=$CPU; row "mxhold STARTTLS via server, c=$c" "$m3r" "$m3c"
  else m0r=- m0c=- m1r=- m1c=- m2r=- m2c=- m3r=- m3c=-; fi
  if [ $pf_ok = 1 ]; then
    pf_row "$c" plain; p1r=$RATE p1c=$CPU; row "postfix plain (TLS on), c=$c" "$p1r" "$p1c"
    pf_row "$c" tls;   p2r=$RATE p2c=$CPU; row "postfix STARTTLS, c=$c" "$p2r" "$p2c"
  else p1r=- p1c=- p2r=- p2c=-; fi
  SUM+=("$c spawned|$(ratio "$m2r" "$m1r")|$(plus "$m2c" "$m1c")|$(ratio "$p2r" "$p1r")|$(plus "$p2c" "$p1c")|$(ratio "$m2r" "$p2r")|$(ratio "$p2c" "$m2c")")
  SUM+=("$c server|$(ratio "$m3r" "$m1r")|$(plus "$m3c" "$m1c")|$(ratio "$p2r" "$p1r")|$(plus "$p2c" "$p1c")|$(ratio "$m3r" "$p2r")|$(ratio "$p2c" "$m3c")")
  SUM+=("$c plain|-|-|-|-|$(ratio "$m1r" "$p1r")|$(ratio "$p1c" "$m1c")")
done
table_head "tls: ratios (> 1.00x in the last two: mxhold better than Postfix)" \
  "concurrency, mxhold mode" "mx TLS/plain" "mx TLS +CPU ms" "pf TLS/plain" "pf TLS +CPU ms" "mx/pf msg/s" "pf/mx CPU"
for r in "${SUM[@]}"; do IFS='|' read -r -a f <<<"$r"; row "${f[@]}"; done
if [ $mx_ok = 1 ]; then
  st=$(tls_start_ms 100)
  tnote "one mxhold-tls start (exec, OpenSSL init, EC P-256 key pair read), no handshake: $st ms CPU"
fi
tnote "CPU ms/session: user+system CPU of the relay's processes (mxhold: tcpserver, every smtpd,"
tnote "mxhold-tls and queue it reaped, and with the server mxhold-tls -d and its children; Postfix:"
tnote "master and all its children) per message queued. \"spawned\": smtpd starts a mxhold-tls per"
tnote "STARTTLS; \"server\": a child of the long-lived mxhold-tls -d does the session (tls/tls.md)."
tnote "The client (tls-load.py, the same for every row) is not counted. Certificate: EC P-256."
[ $pf_ok = 1 ] || tnote "Postfix did not start: its rows are empty"
exit 0
