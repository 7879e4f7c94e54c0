# tests/e2e/40-deliver-lib.bash: helpers for the delivery tests (40-59),
# sourced after ../lib.sh. Not a test itself (run.sh only runs *.sh).
SINK="$TOP/tests/e2e/40-sink.py"
C=$T/conf
Q=$T/queue
export MXHOLD_CONF=$C
unset MXHOLD_QUEUE

# s6-svscan leaves its supervisors running when lib.sh's cleanup TERMs it:
# take the service down and tell svscan to exit first.
_dlv_cleanup () {
  if [ -n "${SVSCAN_PID:-}" ]; then
    s6-svc -dx "$T/svc/deliver" 2>/dev/null
    s6-svscanctl -t "$T/svc" 2>/dev/null
    wait_until 5 eval '! kill -0 $SVSCAN_PID 2>/dev/null'
  fi
  _cleanup
}
trap _dlv_cleanup EXIT

# dlv_conf DOWNPORT [LIMIT VALUE]...: config $C, queue $Q, example.com and
# example.net routed to 127.0.0.1:DOWNPORT, the given limits, and small
# retry limits and timeouts where not given (lib.sh's mkconf).
dlv_conf () {
  local port=$1 d k
  shift
  local -a lim=("$@")
  for d in "retry_min 1" "retry_max 2" "timeout_connect 2" "timeout_remote 5"; do
    for ((k = 0 ; k < ${#lim[@]} - 1 ; k += 2)); do [ "${lim[k]}" = "${d%% *}" ] && continue 2; done
    lim+=(${d})
  done
  mkconf -q "$Q" -p "$port" "$C" "${lim[@]}"
}

# dlv_recompile: after editing $C files
dlv_recompile () { mxhold-conf compile "$C" >/dev/null || nok "mxhold-conf compile"; }

# dlv_start: mxhold-deliver under a real s6-svscan; its log (and its
# children's) in $T/deliver.log; extra environment (VAR=value ...) in
# $DLV_ENV, a shell line run before the exec (exec 3<FILE, say) in $DLV_PRE
dlv_start () {
  mkdir -p "$T/svc/deliver"
  cat >"$T/svc/deliver/run" <<EOR
#!/bin/sh
exec 2>>$T/deliver.log
MXHOLD_CONF=$C PATH=$BIN:\$PATH
export MXHOLD_CONF PATH
${DLV_PRE:-}
exec env ${DLV_ENV:-} mxhold-deliver
EOR
  chmod +x "$T/svc/deliver/run"
  if [ -z "${SVSCAN_PID:-}" ]; then
    bg s6-svscan "$T/svc"; SVSCAN_PID=$LASTPID
  else
    s6-svscanctl -a "$T/svc"
  fi
  wait_until 10 grep -q "info: started" "$T/deliver.log" || nok "deliver did not start"
}

# dlv_pid: pid of the running mxhold-deliver
dlv_pid () { s6-svstat -p "$T/svc/deliver" 2>/dev/null; }
# dlv_down: s6 sees deliver down (s6-svstat -o prints true or false, and
# exits 0 either way)
dlv_down () { [ "$(s6-svstat -o up "$T/svc/deliver" 2>/dev/null)" = false ]; }
# dlv_stop: s6-svc -d; waits until deliver said it stopped and s6 has
# reaped it (its sessions ended before it did)
dlv_stop () {
  local nstop   # not n: wait_until has a local n of its own
  nstop=$(logcount 'mxhold-deliver: info: stopped')
  s6-svc -d "$T/svc/deliver"
  wait_until 10 eval '[ "$(logcount "mxhold-deliver: info: stopped")" -gt "$nstop" ]' || nok "deliver did not log its stop"
  wait_until 10 dlv_down || nok "deliver is not down"
}

# sink_start PORT DIR [sink options]: the scripted downstream (40-sink.py)
sink_start () {
  local port=$1 dir=$2 host=127.0.0.1; shift 2
  [ "${1:-}" = --host ] && host=$2
  bg $PY "$SINK" "$port" "$dir" "$@"; SINK_PID=$LASTPID
  wait_until 10 port_open "$port" "$host" || nok "sink on $host $port did not start"
}
sink_stop () { kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; }

# inject SENDER RCPT... : queues one small message through mxhold-queue
# (body from $BODY if set); its id in $QID
inject () {
  local s=$1; shift
  local env=$T/env.$$ msg=$T/msg.$$
  { printf 'F%s\0' "$s"; for r in "$@"; do printf 'T%s\0' "$r"; done; printf '\0'; } >"$env"
  if [ -n "${BODY:-}" ]; then cp "$BODY" "$msg"; else
    printf 'Received: from test\r\nFrom: <%s>\r\nSubject: test %s\r\nMessage-ID: <%s.%s@test>\r\n\r\nhello\r\n.leading dot\r\n' "$s" "$RANDOM" "$RANDOM" "$$" >"$msg"
  fi
  MXHOLD_SPF=${SPF:-pass} mxhold-queue <"$msg" 1<"$env" 2>>"$T/queue.log"
}

# inject_many N SENDER RCPT: N messages fast (one mxhold-queue each)
inject_many () {
  local n=$1 s=$2 r=$3 i
  { printf 'F%s\0T%s\0\0' "$s" "$r"; } >"$T/env.many"
  printf 'Received: from test\r\nSubject: bulk\r\n\r\nbulk body\r\n' >"$T/msg.many"
  for i in $(seq 1 "$n"); do
    MXHOLD_SPF=pass mxhold-queue <"$T/msg.many" 1<"$T/env.many" 2>>"$T/queue.log" || echo "inject $i failed" >>"$T/queue.log"
  done
}

# sink_count DIR: messages the sink stored; sink_rcpts DIR: recipient deliveries
sink_count () { find "$1" -name '*.eml' 2>/dev/null | wc -l; }
sink_rcpts () { [ -f "$1/log" ] && awk '{n += split($4, a, ",")} END {print n+0}' "$1/log" || echo 0; }
# count_at_least N CMD...: CMD prints a number >= N
count_at_least () { local n=$1; shift; [ "$("$@")" -ge "$n" ]; }
queue_empty () { [ -d "$Q/new" ] && [ "$(queue_count "$Q")" -eq 0 ]; }
logcount () { grep -c -- "$1" "$T/deliver.log" 2>/dev/null || true; }

# dlv_qid: the id of the message queued last (mxhold-queue's "queued" line
# in $T/queue.log, with or without "qid=")
dlv_qid () { grep -oE 'queued (qid=)?[0-9]+\.[0-9]+\.[0-9]+' "$T/queue.log" | tail -1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+'; }

# dlv_grammar FILE...: every line of mxhold-deliver and mxhold-remote in
# the logs (any line but those of mxhold-queue, which runs for the DSNs
# and writes to the same log) parses with the one grammar of doc/log.md
# (tests/log_grammar.py); and there is at least one
dlv_grammar () {
  local out f n=0
  : >"$T/grammar.log"
  for f in "$@"; do grep -avE '^(mxhold-)?queue: ' "$f" >>"$T/grammar.log"; done
  n=$(grep -cE '^mxhold-(deliver|remote): ' "$T/grammar.log")
  if [ "$n" -gt 0 ] && out=$($PY "$TOP/tests/log_grammar.py" "$T/grammar.log" 2>&1); then
    ok "the logs parse with the log grammar ($(echo "$out" | grep -o '[0-9]* lines' | head -1))"
  else
    nok "the logs parse with the log grammar: $(echo "$out" | grep '^not ok' | head -3)"
  fi
}
