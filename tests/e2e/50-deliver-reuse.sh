# 50-deliver-reuse: mxhold-deliver keeps an mxhold-remote session (and its
# connection) open for session_idle seconds and hands it the next batch of
# its route. Messages arriving one at a time share a few connections and a
# few processes; a connection the downstream closed while idle (421 on its
# idle timeout, or a 421 to the next MAIL) is replaced at once, with no
# retry delay; session_idle 0 gives one session per batch; a remote killed
# while idle loses nothing; a killed or stopped deliver leaves no remote
# behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
SINK="$TOP/tests/e2e/50-reuse-sink.py"

P=$(free_port)
dlv_conf "$P" session_idle 30
sink_start "$P" "$T/s1"
dlv_start

conns () { grep -c ' open ' "$1/conns" 2>/dev/null || echo 0; }
got () { grep -c . "$1/log" 2>/dev/null || echo 0; }
remotes () { pgrep -P "$(dlv_pid)" -x mxhold-remote 2>/dev/null; }
no_remotes () { [ -z "$(remotes)" ]; }
# gone PID: exited (a zombie counts: its parent may be gone)
gone () { ! kill -0 "$1" 2>/dev/null || grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }
# send DIR NAME: one message to NAME@example.com; waits until DIR's sink has it
send () {
  inject s@sender.org "$2@example.com"
  wait_until 10 grep -q " $2@example.com " "$1/log" || nok "$2 did not arrive within 10 s"
}

# 1. thirty messages one at a time
pids=""
for i in $(seq 1 30); do
  send "$T/s1" "one$i"
  pids="$pids $(remotes)"
done
check "30 messages one at a time: queue empty" wait_until 10 queue_empty
is "$(got "$T/s1")" 30 "each delivered once"
is "$(awk '{print $4}' "$T/s1/log" | sort -u | wc -l | tr -d ' ')" 30 "thirty distinct recipients"
c=$(conns "$T/s1")
np=$(echo $pids | tr ' ' '\n' | grep . | sort -u | wc -l | tr -d ' ')
diag "30 messages: $c connections, $np mxhold-remote processes seen"
check "far fewer connections than messages ($c <= 3)" [ "$c" -le 3 ]
check "far fewer processes than messages ($np <= 3)" [ "$np" -ge 1 -a "$np" -le 3 ]
is "$(logcount 'status=deferred')" 0 "no deferral"

# 2. the downstream closes idle connections after 1 s with 421
sink_stop
sink_start "$P" "$T/s2" --idle 1
send "$T/s2" "idle1"
check "the downstream closed the idle connection (421 after 1 s)" wait_until 10 grep -q ' close ' "$T/s2/conns"
send "$T/s2" "idle2"
is "$(got "$T/s2")" 2 "after the downstream's idle timeout: delivered, once"
like "$(grep 'to=idle2@' "$T/deliver.log")" ' attempts=1 status=delivered$' "at the first attempt (a fresh connection, no retry delay)"
check "remote saw the kept connection closed while idle" grep -q "mxhold-remote: info: disconnect host=127.0.0.1 ip=127.0.0.1 port=$P messages=1 duration=[0-9.]* reason=closed-while-idle" "$T/deliver.log"
is "$(conns "$T/s2")" 2 "a second connection for it"

# 3. the kept connection looks alive but the downstream answers MAIL with 421
sink_stop
sink_start "$P" "$T/s3" --close-at-mail
send "$T/s3" "mail1"
check "the session is idle, connection kept" wait_until 5 eval '[ -n "$(remotes)" ]'
send "$T/s3" "mail2"
send "$T/s3" "mail3"
is "$(got "$T/s3")" 3 "421 to MAIL on a kept connection: every message delivered once"
is "$(grep -c 'to=mail[23]@.* attempts=1 status=delivered$' "$T/deliver.log")" 2 "at the first attempt (reconnected, not deferred)"
check "remote logged the 421 to MAIL on the kept connection, at info (nothing was lost)" grep -q "mxhold-remote: info: disconnect host=127.0.0.1 ip=127.0.0.1 port=$P messages=[0-9]* duration=[0-9.]* stage=mail reason=closing reply=\"421 4.4.2 closing now\"" "$T/deliver.log"
is "$(logcount 'status=deferred')" 0 "still no deferral"

# 4. a remote killed with kill -9 while idle
sink_stop
sink_start "$P" "$T/s4"
send "$T/s4" "kill1"
check "an idle session waits" wait_until 5 eval '[ -n "$(remotes)" ]'
kill -9 $(remotes)
check "deliver reaped it" wait_until 5 no_remotes
send "$T/s4" "kill2"
check "after the kill: queue empty" wait_until 10 queue_empty
is "$(got "$T/s4")" 2 "nothing lost, nothing doubled"

# 5. deliver killed with kill -9 while a session is idle: the remote sees
# EOF on its stdin, QUITs and exits; s6 restarts deliver
check "an idle session waits" wait_until 5 eval '[ -n "$(remotes)" ]'
idlepid=$(remotes)
kill -9 "$(dlv_pid)"
check "the idle remote exited when deliver was killed" wait_until 5 gone "$idlepid"
check "deliver restarted" wait_until 10 eval '[ "$(logcount "info: started")" -eq 2 ]'
send "$T/s4" "kill3"
is "$(got "$T/s4")" 3 "delivered after the restart, nothing doubled"
is "$(grep -c ' close ' "$T/s4/conns")" 2 "the killed remote's and the orphaned remote's connections are closed"

# 6. deliver stops while a session is idle: the remote QUITs and exits
check "an idle session waits again" wait_until 5 eval '[ -n "$(remotes)" ]'
idlepid=$(remotes)
dlv_stop
check "the idle remote exited when deliver stopped" wait_until 5 gone "$idlepid"
check "its connection was closed" wait_until 5 eval '[ "$(grep -c " close " "$T/s4/conns")" -eq "$(conns "$T/s4")" ]'
# orphans: this test's mxhold-remote processes that init adopted (other
# suites may run on the machine: only those whose environment names $T)
orphans () {
  for p in $(pgrep -x mxhold-remote -P 1 2>/dev/null); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qF "$T" && echo "$p"
  done
}
[ -n "$(orphans)" ] && nok "an orphaned mxhold-remote is left" || ok "no orphaned mxhold-remote"

# 7. session_idle 0: one session per batch, as before reuse
dlv_conf "$P" session_idle 0
sink_stop
sink_start "$P" "$T/s6"
s6-svc -u "$T/svc/deliver"
check "deliver started again" wait_until 10 eval '[ "$(logcount "info: started")" -eq 3 ]'
for i in 1 2 3; do
  send "$T/s6" "zero$i"
  wait_until 5 no_remotes || nok "session_idle 0: the remote did not end after its batch"
done
is "$(got "$T/s6")" 3 "session_idle 0: delivered once each"
is "$(conns "$T/s6")" 3 "session_idle 0: one connection per batch"
dlv_grammar "$T/deliver.log"
done_testing
