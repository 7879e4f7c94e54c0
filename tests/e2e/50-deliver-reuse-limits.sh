# 50-deliver-reuse-limits: the edges of session reuse. A session carries
# at most DLV_REUSE_MAX (100) messages; at the global concurrency limit an
# idle session of one route makes room for another route at once; a
# remote that says "." before all its results is a protocol error (its
# recipients are deferred, then delivered once).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
SINK="$TOP/tests/e2e/50-reuse-sink.py"
conns () { grep -c ' open ' "$1/conns" 2>/dev/null || echo 0; }
got () { grep -c . "$1/log" 2>/dev/null || echo 0; }

# 1. DLV_REUSE_MAX: 250 messages, one session at a time
P=$(free_port)
dlv_conf "$P" session_idle 30 concurrency_host 1
sink_start "$P" "$T/s1"
dlv_start
$PY "$TOP/tests/e2e/40-fill.py" "$Q" 250 --rcpt 'm{n}@example.com'
s6-ftrig-notify "$Q/trigger" n
check "250 messages delivered" wait_until 40 queue_empty
is "$(awk '{print $4}' "$T/s1/log" | sort -u | wc -l | tr -d ' ')" 250 "each once"
per=$(awk '{n[$1]++} END {for (c in n) print n[c]}' "$T/s1/log" | sort -n | tr '\n' ' ')
diag "messages per connection: $per"
check "no connection carried more than 100 messages plus one batch" [ "$(echo $per | tr ' ' '\n' | tail -1)" -le 149 ]
check "so more than one connection ($(conns "$T/s1"))" [ "$(conns "$T/s1")" -ge 2 ]

# 2. concurrency 1: an idle session of example.com gives way to example.net
sink_stop
P2=$(free_port)
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "$P" "$P2" >"$C/domains"
echo "concurrency 1" >>"$C/limits"
dlv_recompile
n0=$(logcount 'config-reloaded')
check "config reloaded" wait_until 5 eval '[ "$(logcount "config-reloaded")" -gt "$n0" ]'
sink_start "$P" "$T/s2a"
bg $PY "$SINK" "$P2" "$T/s2b"
wait_until 10 port_open "$P2" || nok "second sink did not start"
inject s@sender.org a1@example.com
check "example.com delivered" wait_until 10 grep -q ' a1@example.com ' "$T/s2a/log"
# idle: its remote said "." and waits in read(2) on its stdin, a pipe
remote_idle () {
  local p
  for p in $(pgrep -P "$(dlv_pid)" -x mxhold-remote); do
    grep -q '^0 0x0 ' "/proc/$p/syscall" 2>/dev/null && return 0
    grep -q 'pipe_read' "/proc/$p/wchan" 2>/dev/null && return 0
  done
  return 1
}
check "its session is idle (remote waits on its stdin)" wait_until 10 remote_idle
check "and deliver has its result" wait_until 5 grep -q 'to=a1@example.com .*status=delivered' "$T/deliver.log"
t0=$(date +%s%N)
inject s@sender.org b1@example.net
check "example.net delivered while the idle example.com session would wait 30 s" wait_until 5 grep -q ' b1@example.net ' "$T/s2b/log"
diag "example.net took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "the idle example.com connection was closed to make room" wait_until 5 grep -q ' close ' "$T/s2a/conns"

# 3. a remote that says "." before its results
dlv_stop
mkdir -p "$T/fake"
cat >"$T/fake/mxhold-remote" <<EOF
#!/bin/sh
# the first session is broken: "." at once, no results; later ones are real
if mkdir "$T/fake/used" 2>/dev/null; then
  while read -r l && [ -n "\$l" ]; do :; done
  echo .
  exec sleep 30
fi
exec "$BIN/mxhold-remote" "\$@"
EOF
chmod +x "$T/fake/mxhold-remote"
DLV_ENV="PATH=$T/fake:$BIN:/usr/bin:/bin" dlv_start
s6-svc -u "$T/svc/deliver"
check "deliver started again" wait_until 10 eval '[ "$(logcount "info: started")" -ge 2 ]'
inject s@sender.org p1@example.com
check "protocol error logged" wait_until 10 grep -q "mxhold-deliver: warning: remote-failed route=127.0.0.1:$P reason=idle-before-results" "$T/deliver.log"
check "the recipient was deferred" wait_until 5 grep -q 'to=p1@example.com host=- error="mxhold-remote protocol error (idle before every result)" .*status=deferred' "$T/deliver.log"
check "then delivered by a real remote" wait_until 15 grep -q ' p1@example.com ' "$T/s2a/log"
is "$(grep -c ' p1@example.com ' "$T/s2a/log")" 1 "once"
check "the broken remote was ended (no sleeping child left)" wait_until 5 eval '! pgrep -f "sleep 30" -P "$(dlv_pid)" >/dev/null'
check "its end logged: killed by deliver" wait_until 5 grep -q "mxhold-deliver: warning: remote-failed route=127.0.0.1:$P reason=signal-9" "$T/deliver.log"
dlv_grammar "$T/deliver.log"
done_testing
