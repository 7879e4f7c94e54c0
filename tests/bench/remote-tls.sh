#!/bin/bash
# tests/bench/remote-tls.sh: outbound TLS (issue 11), not a test. The
# customer's server is a private Postfix offering STARTTLS (the test PKI of
# tests/certs.sh; it discards what it takes). Each relay gets a backlog of
# BENCH_TLS_N messages of BENCH_SIZE bytes for example.com (smtp-source at
# concurrency 10, outbound held back), then lets it go; time from the
# release to the last arrival downstream, and the relay's CPU over that
# span, for
#   - mxhold: mxhold-deliver stopped while the mail comes in, then started;
#     example.com routed to the server with tls=none (plain), then tls=may;
#   - mxhold-remote alone, one session per message (one process, one
#     connection, one handshake, one message, QUIT: what Postfix does with
#     TLS), BENCH_TLS_SESS times in a row, tls=none then tls=may: the CPU
#     of those processes (getrusage of the children) per session;
#   - Postfix as the relay: defer_transports = smtp while the mail comes
#     in, then postqueue -f; smtp_tls_security_level = none, then may
#     (Postfix 3.7 does not reuse a TLS connection unless
#     smtp_tls_connection_reuse is set: one handshake per message).
# One run, side by side. CPU per TLS session = (CPU with TLS - CPU plain) /
# the TLS sessions the relay logged (mxhold-remote's "tls" lines, Postfix's
# "TLS connection established to"): what one handshake and the encryption
# of its messages cost.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench-lib.sh"
source "$TOP/tests/certs.sh"

N=${BENCH_TLS_N:-$(( BENCH_N < 1000 ? BENCH_N : 1000 ))}
make_certs "$T/pki" || { bdiag "make_certs failed: $(tail -2 "$T/pki/openssl.log")"; exit 1; }
DS=$T/ds DSPORT=$(free_port)
_pf_dirs="$_pf_dirs $DS"
postfix_start "$DS" "$DSPORT" "smtpd_tls_cert_file = $T/pki/chain.pem" "smtpd_tls_key_file = $T/pki/server.key" \
  "smtpd_tls_security_level = may" "smtpd_tls_loglevel = 1" "default_process_limit = 150" \
  "smtpd_client_connection_count_limit = 0" "smtpd_client_connection_rate_limit = 0" \
  "smtpd_client_message_rate_limit = 0" "smtpd_client_recipient_rate_limit = 0" \
  || { bdiag "the downstream Postfix did not start"; exit 1; }
arrived () { grep -c 'status=sent' "$DS/maillog" 2>/dev/null || true; }
_arrived_at_least () { [ "$(arrived)" -ge "$1" ]; }
bdiag "remote-tls: N=$N, ${BENCH_SIZE} B messages, downstream Postfix with STARTTLS on $DSPORT"

# run SYS MODE: sets SECS RATE CPU (ms, whole run) SESS (TLS sessions) NOTE
run () {
  local sys=$1 mode=$2 d=$T/$1-$2 port t0 t1 c0 base
  SECS=- RATE=- CPU=- SESS=- NOTE=""
  port=$(free_port)
  base=$(arrived)
  if [ "$sys" = mx1 ]; then
    one_sessions "$d" "$mode"
    return 0
  fi
  if [ "$sys" = mx ]; then
    mx_start "$d" "$port" "$DSPORT" || { NOTE="mxhold did not start"; return 0; }
    local tcp=$LASTPID
    sed -i "s/\$/ tls=$mode/" "$d/domains"
    mxhold-conf compile "$d" >/dev/null || { NOTE="compile failed"; return 0; }
    source_run "$port" "$N" 10
    [ "$(mx_count "$d/q")" -eq "$N" ] || NOTE="queued $(mx_count "$d/q") of $N"
    t0=$(now)
    mx_deliver_start "$d" || { NOTE="deliver did not start"; return 0; }
    c0=$(cpu_ms "$DELIVER_PID")
    bwait "$BENCH_TIMEOUT" _arrived_at_least $((base + N)) || NOTE="$NOTE only $(( $(arrived) - base )) of $N arrived"
    t1=$(now)
    # the sessions end (session_idle), deliver reaps them: their CPU is counted
    bwait 30 eval '[ "$(mx_count "$d/q")" -eq 0 ]'
    bwait 30 reaped "$DELIVER_PID"
    CPU=$(( $(cpu_ms "$DELIVER_PID") - c0 ))
    SESS=$(grep -c 'mxhold-remote: info: tls ' "$d/deliver.log")
    mx_stop_pid "$DELIVER_PID"
    mx_stop_pid "$tcp"
  else
    local -a set=() l
    while IFS= read -r l; do set+=("$l"); done < <(_pf_settings "$DSPORT")
    _pf_dirs="$_pf_dirs $d"
    postfix_start "$d" "$port" "${set[@]}" "defer_transports = smtp" \
      "smtp_tls_security_level = $mode" "smtp_tls_loglevel = 1" || { NOTE="postfix relay did not start"; return 0; }
    source_run "$port" "$N" 10
    bwait 120 pf_settled "$d"
    [ "$(pf_count_now "$d")" -eq "$N" ] || NOTE="queued $(pf_count_now "$d") of $N"
    c0=$(cpu_ms "$(pf_master "$d")")
    t0=$(now)
    pf_flush "$d" || NOTE="$NOTE flush failed"
    bwait "$BENCH_TIMEOUT" _arrived_at_least $((base + N)) || NOTE="$NOTE only $(( $(arrived) - base )) of $N arrived"
    t1=$(now)
    bwait 30 eval '[ "$(pf_count_now "$d")" -eq 0 ]'
    CPU=$(( $(cpu_ms "$(pf_master "$d")") - c0 ))
    SESS=$(grep -c 'TLS connection established to' "$d/maillog")
    pf_stop "$d"
  fi
  SECS=$(elapsed "$t0" "$t1")
  RATE=$(rate "$N" "$SECS")
  return 0
}

# one_sessions DIR MODE: mxhold-remote run K times by hand, one message
# each; sets SECS RATE CPU (ms, all K) SESS (TLS sessions) NOTE
K=${BENCH_TLS_SESS:-$(( N < 200 ? N : 200 ))}
one_sessions () {
  local d=$1 mode=$2 f t0 t1 out
  mkconf -q "$d/q" -p "$DSPORT" "$d" >/dev/null || { NOTE="mkconf failed"; return 0; }
  sed -i "s/\$/ tls=$mode/" "$d/domains"
  mxhold-conf compile "$d" >/dev/null || { NOTE="compile failed"; return 0; }
  printf 'F%s\0T%s\0\0' "$BENCH_FROM" "$BENCH_TO" >"$d/env"
  { printf 'Subject: one session\r\n\r\n'; head -c "$BENCH_SIZE" /dev/zero | tr '\0' y | fold -w 76 | sed 's/$/\r/'; } >"$d/msg"
  MXHOLD_CONF=$d MXHOLD_SPF=pass mxhold-queue <"$d/msg" 1<"$d/env" 2>>"$d/remote.log"
  f=$(find "$d/q/new" -type f | head -1)
  [ -n "$f" ] || { NOTE="no message queued"; return 0; }
  t0=$(now)
  out=$(MXHOLD_CONF=$d "$PY" - "$K" "$(basename "$f") $f 0 $BENCH_TO" "127.0.0.1:$DSPORT" 2>>"$d/remote.log" <<'PYEOF'
import resource, subprocess, sys
k, batch, route = int(sys.argv[1]), sys.argv[2] + "\n", sys.argv[3]
ok = 0
for i in range(k):
    r = subprocess.run(["mxhold-remote", route, "example.com"], input=batch.encode(), capture_output=True)
    sys.stderr.write(r.stderr.decode("utf-8", "replace"))
    ok += b" d " in r.stdout
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(ok, int((u.ru_utime + u.ru_stime) * 1000))
PYEOF
)
  t1=$(now)
  read -r ok CPU <<<"$out"
  [ "${ok:-0}" -eq "$K" ] || NOTE="${ok:-0} of $K delivered"
  SESS=$(grep -c 'mxhold-remote: info: tls ' "$d/remote.log")
  SECS=$(elapsed "$t0" "$t1")
  RATE=$(rate "$K" "$SECS")
}

declare -A R C S
notes=""
for sys in pf mx mx1; do
  for mode in none may; do
    bdiag "remote-tls: $sys tls=$mode"
    run "$sys" "$mode"
    R[$sys$mode]=$RATE C[$sys$mode]=$CPU S[$sys$mode]=$SESS
    [ -n "$NOTE" ] && notes="$notes|! $sys tls=$mode: $NOTE"
  done
done
# CPU ms per TLS session: the extra CPU of the TLS run over the plain one
per_sess () { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0 && a != "-" && b != "-") printf "%.2f", (a - b) / n; else print "-" }'; }

pm () { per_msg "${C[$1]}" "$N"; }
pm1 () { per_msg "${C[$1]}" "$K"; }
table_head "remote-tls: backlog of $N to a Postfix with STARTTLS, plain vs tls=may (one run)" \
  "" "postfix" "mxhold" "mxhold/postfix" "mxhold 1/sess" "mx1/postfix"
row "plain msg/s" "${R[pfnone]}" "${R[mxnone]}" "$(ratio "${R[mxnone]}" "${R[pfnone]}")" "${R[mx1none]}" "$(ratio "${R[mx1none]}" "${R[pfnone]}")"
row "tls=may msg/s" "${R[pfmay]}" "${R[mxmay]}" "$(ratio "${R[mxmay]}" "${R[pfmay]}")" "${R[mx1may]}" "$(ratio "${R[mx1may]}" "${R[pfmay]}")"
row "tls/plain msg/s" "$(ratio "${R[pfmay]}" "${R[pfnone]}")" "$(ratio "${R[mxmay]}" "${R[mxnone]}")" "" "$(ratio "${R[mx1may]}" "${R[mx1none]}")" ""
row "plain CPU ms/msg" "$(pm pfnone)" "$(pm mxnone)" "$(ratio "$(pm pfnone)" "$(pm mxnone)")" "$(pm1 mx1none)" "$(ratio "$(pm pfnone)" "$(pm1 mx1none)")"
row "tls=may CPU ms/msg" "$(pm pfmay)" "$(pm mxmay)" "$(ratio "$(pm pfmay)" "$(pm mxmay)")" "$(pm1 mx1may)" "$(ratio "$(pm pfmay)" "$(pm1 mx1may)")"
row "TLS sessions" "${S[pfmay]}" "${S[mxmay]}" "" "${S[mx1may]}" ""
ps=$(per_sess "${C[pfmay]}" "${C[pfnone]}" "${S[pfmay]}")
ms=$(per_sess "${C[mxmay]}" "${C[mxnone]}" "${S[mxmay]}")
m1=$(per_sess "${C[mx1may]}" "${C[mx1none]}" "${S[mx1may]}")
row "CPU ms per TLS session" "$ps" "$ms" "" "$m1" "$(ratio "$ps" "$m1")"
tnote "CPU per TLS session: (CPU with TLS - CPU plain) / sessions. mxhold's reused sessions carry ~N/sessions messages"
tnote "each; the \"mxhold 1/sess\" column is mxhold-remote alone, $K sessions of one message (its CPU only, no deliver):"
tnote "compare it with Postfix, which makes one TLS session per message (its CPU: smtp, qmgr, tlsmgr, ...)"
[ -n "$notes" ] && echo "$notes" | tr '|' '\n' | grep . | while read -r l; do tnote "$l"; done
exit 0
