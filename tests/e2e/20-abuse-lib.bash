# tests/e2e/20-abuse-lib.bash: helpers for the abuse-resistance tests
# (20-24), sourced after ../lib.sh. Not a test itself (run.sh only runs
# *.sh). Every test goes through the real inbound chain:
#   tcpserver -> mxhold-ratelimit -> mxhold-smtpd -> mxhold-spfcheck -> mxhold-queue
# with the suite's DNS server answering SPF (tests/spf/dnsserver.py).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$TOP/tests/spf/e2e-lib.sh"
for p in mxhold-ratelimit mxhold-smtpd mxhold-spfcheck mxhold-queue mxhold-conf mxhold-queuectl; do
  [ -x "$BIN/$p" ] || { nok "$p is not built yet"; exit 1; }
done
unset MXHOLD_QUEUE
C=$T/conf
Q=$C/q

# ab_setup [LIMITS [CLIENTS]]: the DNS server, and a config in $C (queue
# $Q, ratelimit's state in it) with LIMITS and CLIENTS as the files' text
# (printf %b). Call again to change the config (recompiled in place).
ab_setup () {
  [ -n "${DNSCACHEIP:-}" ] || spf_dns "$HERE/20-abuse-zone.yml" || exit 1
  mkconf -q "$Q" -p 9 -d example.com -l "${1:-}" -c "${2:-}" "$C" || exit 1
}

# ab_start [ADDR]: tcpserver on ADDR (default 127.0.0.1) and a free port
# running the whole chain over $C; sets PORT and AB_LOG (its stderr).
ab_start () {
  local addr=${1:-127.0.0.1}
  PORT=$(free_port)
  AB_LOG=$T/ab.$PORT.log
  MXHOLD_CONF=$C bg tcpserver -HRl0 -c 100 -b 100 "$addr" "$PORT" \
    mxhold-ratelimit mxhold-smtpd mxhold-spfcheck mxhold-queue 2>>"$AB_LOG"
  AB_PID=$LASTPID
  wait_until 10 port_open "$PORT" "$addr" || nok "tcpserver on $addr $PORT did not start"
}

# ab_talk [READ_TIMEOUT]: 10-smtpd-talk.py against $PORT (script on stdin)
ab_talk () { $PY "$HERE/10-smtpd-talk.py" "$PORT" "$@"; }

# ab_match 'PROG EVENT TERM...': the log lines of $AB_LOG that match
# (tests/log_grammar.py --match); ab_has: whether one does
ab_match () { $PY "$TOP/tests/log_grammar.py" --match "$1" "$AB_LOG"; }
ab_has () { ab_match "$1" >/dev/null; }

# ab_grammar: every line of $AB_LOG in doc/log.md's grammar
ab_grammar () {
  local out rc
  out=$($PY "$TOP/tests/log_grammar.py" "$AB_LOG"); rc=$?
  is "$rc" 0 "every line logged is in doc/log.md's grammar"
  [ "$rc" = 0 ] || printf '%s\n' "$out" | head -5 | sed 's/^/# /'
}
