#!/bin/bash
# 23-abuse-conc: sessions at once per client (concurrency_client, issue 17
# item 3). mxhold-ratelimit takes an fcntl lock on one of the client's
# slots in QUEUE/ratelimit.slots and keeps its fd through the exec into
# mxhold-smtpd, so the slot lives exactly as long as the session. One
# more session than the limit gets 421 4.7.0 (reason=too-many-sessions)
# while another address gets its greeting at once; a session that ends,
# or whose smtpd is killed, frees its slot; a clients line overrides the
# limit; smtpd holds the slot's fd and its child does not get it.
# Through tcpserver -> ratelimit -> smtpd -> spfcheck -> queue.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/20-abuse-lib.bash"
ab_setup 'concurrency_client 3\n' '127.0.0.3 concurrency_client=1\n127.0.0.4 concurrency_client=unlimited\n'
ab_start

# hold NAME SRC N: N sessions from SRC that read their greeting and stay
# open until $T/NAME.release exists (at most 60 s); their greetings in
# $T/NAME.out once all came, one line each
cat >"$T/hold.py" <<'PY'
import os, socket, sys, time
name, port, src, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
socks, lines = [], []
for i in range(n):
    s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET)
    s.settimeout(20)
    s.bind((src, 0))
    s.connect((src if ":" in src else "127.0.0.1", port))
    lines.append(s.makefile("rb").readline().decode().rstrip() or "EOF")
    socks.append(s)
open(name + ".out.tmp", "w").write("\n".join(lines) + "\n")
os.rename(name + ".out.tmp", name + ".out")
end = time.time() + 60
while time.time() < end and not os.path.exists(name + ".release"):
    time.sleep(0.05)
for s in socks:
    try:
        s.sendall(b"QUIT\r\n")
    except OSError:
        pass
    s.close()
PY
hold () { bg $PY "$T/hold.py" "$T/$1" "$PORT" "$2" "$3"; }
# greet SRC: the greeting one new session from SRC gets, and its time
greet () {
  $PY - "$PORT" "$1" <<'PY'
import socket, sys, time
port, src = int(sys.argv[1]), sys.argv[2]
t0 = time.monotonic()
s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET)
s.settimeout(10)
s.bind((src, 0))
s.connect((src if ":" in src else "127.0.0.1", port))
f = s.makefile("rb")
l = f.readline().decode().rstrip() or "EOF"
try:
    s.sendall(b"QUIT\r\n"); f.readline()
except OSError:
    pass
print("%s|%.2f" % (l, time.monotonic() - t0))
PY
}
sessions_of () { pgrep -P "$AB_PID" -x mxhold-smtpd | wc -l; }
greeted () { greet "$1" | grep -q '^220 '; }
none_left () { [ "$(sessions_of)" = 0 ]; }

hold a 127.0.0.1 3
check "3 sessions from 127.0.0.1 greeted" wait_until 20 test -e "$T/a.out"
is "$(grep -c '^220 ' "$T/a.out")" 3 "all 3 got 220"
out=$(greet 127.0.0.1)
like "${out%|*}" '^421 4\.7\.0 relay\.test too many sessions at once from 127\.0\.0\.1: 3' "the 4th session from 127.0.0.1: 421 4.7.0"
check "refused reason=too-many-sessions logged with key and count" \
  wait_until 5 ab_has 'ratelimit refused client=127.0.0.1 key=127.0.0.1 reason=too-many-sessions count=3 reply~^421'
out=$(greet 127.0.0.2)
like "${out%|*}" '^220 relay\.test' "meanwhile 127.0.0.2 gets its greeting"
secs=${out#*|}; secs=${secs%.*}
between "$secs" 0 2 "at once (${out#*|} s)"

# smtpd holds the slot file open; kill one: the kernel frees its slot
pid=$(pgrep -P "$AB_PID" -x mxhold-smtpd | head -1)
check "smtpd holds ratelimit.slots open" sh -c "ls -l /proc/$pid/fd | grep -q 'ratelimit.slots'"
kill -KILL "$pid"
check "a killed session's slot is free: 127.0.0.1 is greeted again" wait_until 10 greeted 127.0.0.1
touch "$T/a.release"
check "the held sessions end" wait_until 10 none_left
hold b 127.0.0.1 3
check "3 new sessions from 127.0.0.1 once the others ended" wait_until 20 test -e "$T/b.out"
is "$(grep -c '^220 ' "$T/b.out")" 3 "slots are reused: all 3 got 220"
touch "$T/b.release"

# clients overrides: 127.0.0.3 may hold 1, 127.0.0.4 any number
hold c 127.0.0.3 1
check "127.0.0.3 holds its one session" wait_until 20 test -e "$T/c.out"
like "$(greet 127.0.0.3)" '^421 4\.7\.0 .*127\.0\.0\.3: 1;' "a second session from 127.0.0.3 (concurrency_client=1): 421"
touch "$T/c.release"
hold d 127.0.0.4 5
check "127.0.0.4 (unlimited) opens 5" wait_until 20 test -e "$T/d.out"
is "$(grep -c '^220 ' "$T/d.out")" 5 "all 5 got 220"
touch "$T/d.release"

# A message still goes through the chain, and smtpd's child gets no slot fd
rm -f "$T/cat.fds"
cat >"$T/child" <<'SH'
#!/bin/sh
ls -l /proc/$$/fd >"$CHILD_FDS" 2>&1
exec mxhold-spfcheck mxhold-queue
SH
chmod +x "$T/child"
PORT2=$(free_port)
CHILD_FDS=$T/cat.fds MXHOLD_CONF=$C bg tcpserver -HRl0 -c 10 127.0.0.1 "$PORT2" \
  mxhold-ratelimit mxhold-smtpd "$T/child" 2>>"$AB_LOG"
wait_until 10 port_open "$PORT2" || nok "second tcpserver did not start"
n0=$(queue_count "$Q")
out=$($PY - "$PORT2" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test", timeout=20)
s.sendmail("alice@pass.test", ["user@example.com"], "Subject: conc\r\n\r\nbody\r\n")
s.quit()
print("sent")
PY
)
is "$out" sent "a message through ratelimit -> smtpd -> spfcheck -> queue"
is "$(( $(queue_count "$Q") - n0 ))" 1 "queued"
check "smtpd's child saw its fds" test -s "$T/cat.fds"
unlike "$(cat "$T/cat.fds")" 'ratelimit\.slots' "smtpd's child does not get the slot's fd"

# IPv6: one /64 is one client. Debian's tcpserver has no IPv6 (see
# 71-ratelimit-ipv6), so ratelimit runs as tcpserver would run it, with
# $TCPREMOTEIP set, and execs `sleep` to hold its session.
ab_setup 'concurrency_client 2\n'
v6 () { TCPREMOTEIP=$1 MXHOLD_CONF=$C mxhold-ratelimit "${@:2}" </dev/null 2>>"$AB_LOG"; }
# v6hold ADDR: a session of ADDR, ratelimit exec'ing `sleep 30`; sets HOLDER
v6hold () { ( TCPREMOTEIP=$1 MXHOLD_CONF=$C exec mxhold-ratelimit sleep 30 </dev/null 2>>"$AB_LOG" ) & _pids="$_pids $!"; HOLDER=$!; }
holds_slot () { ls -l "/proc/$1/fd" 2>/dev/null | grep -q ratelimit.slots && grep -q '^Name:.*sleep' "/proc/$1/status"; }
v6hold 2001:db8:1:2::1; s1=$HOLDER
v6hold 2001:db8:1:2::2; s2=$HOLDER
both_hold () { holds_slot "$s1" && holds_slot "$s2"; }
check "two sessions of 2001:db8:1:2::/64 hold their slots, through the exec" wait_until 10 both_hold
like "$(v6 2001:db8:1:2:ffff:ffff:ffff:ffff echo admitted)" '^421 4\.7\.0 .*too many sessions at once from 2001:db8:1:2:ffff:ffff:ffff:ffff: 2' "a third address in the same /64: 421"
check "counted as its /64" wait_until 5 ab_has 'ratelimit refused key=2001:db8:1:2::/64 reason=too-many-sessions count=2'
is "$(v6 2001:db8:1:3::1 echo admitted)" admitted "the next /64 is another client"
kill -KILL "$s1"; wait "$s1" 2>/dev/null
is "$(v6 2001:db8:1:2::9 echo admitted)" admitted "a holder killed: its slot is free"
kill -KILL "$s2"; wait "$s2" 2>/dev/null
# A slots file that cannot be used fails closed, as the rate state does
# (issue 17 item 6): 421 4.3.0 to every client, never the limit dropped,
# and one warning a minute, not one per connection
rm -f "$Q/ratelimit.slots" && mkdir "$Q/ratelimit.slots"
like "$(greet 127.0.0.1)" '^421 4\.3\.0 ' "slots file unusable (a directory): 421 4.3.0, the limit is not dropped"
like "$(greet 127.0.0.2)" '^421 4\.3\.0 ' "and for the next client too"
check "with one warning: refused reason=state-unusable, the slots file's path and error" \
  wait_until 5 ab_has "ratelimit refused client=127.0.0.1 reason=state-unusable path=$Q/ratelimit.slots error"
is "$(grep -c 'reason=state-unusable' "$AB_LOG" 2>/dev/null || true)" 1 "one line for both connections (once a minute)"
rmdir "$Q/ratelimit.slots"
ab_grammar
done_testing
