#!/bin/bash
# 21-abuse-idle: one client must not hold a session without sending mail
# (issue 17, item 3). NOOP, RSET, VRFY, HELP and repeated HELO/EHLO count
# against idle_commands (then 421 4.7.0, reason=too-many-idle-commands) and
# no longer end a row of errors; a whole session ends at timeout_session
# (421 4.4.2, reason=session-timeout), however busy it keeps itself, and
# a command line dripped a byte at a time must come whole within
# timeout_command. Through tcpserver -> ratelimit -> smtpd -> spfcheck -> queue.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/20-abuse-lib.bash"
ab_setup 'idle_commands 5\nerrors 3\n'
ab_start

# 5 idle commands of every kind pass, the 6th is one too many
out=$(ab_talk 10 <<'S'
R
S EHLO client.test\r\n
R
S NOOP\r\n
R
S RSET\r\n
R
S VRFY postmaster\r\n
R
S HELP\r\n
R
S EHLO client.test\r\n
R
S NOOP\r\n
R
E
S
)
mapfile -t r <<<"$out"
is "${r[2]}" "250 2.0.0 Ok" "NOOP 1 of 5: 250"
like "${r[6]}" "^250-relay.test" "a second EHLO (idle 5 of 5): answered"
is "${r[7]}" "421 4.7.0 too many commands without mail, closing connection" "the 6th idle command: 421 4.7.0"
is "${r[8]}" EOF "and the connection is closed"
check "refused stage=noop reason=too-many-idle-commands logged" \
  wait_until 5 ab_has 'smtpd refused stage=noop reason=too-many-idle-commands reply~^421'
check "disconnect reason=too-many-idle-commands logged" \
  wait_until 5 ab_has 'smtpd disconnect reason=too-many-idle-commands'

# A NOOP no longer wipes a row of errors: BOGUS NOOP BOGUS NOOP BOGUS is 3 in a row
out=$(printf 'R\nS EHLO client.test\\r\\n\nR\nS BOGUS\\r\\n\nR\nS NOOP\\r\\n\nR\nS BOGUS\\r\\n\nR\nS NOOP\\r\\n\nR\nS BOGUS\\r\\n\nR\nR\nE\n' | ab_talk 10)
mapfile -t r <<<"$out"
is "${r[6]}" "500 5.5.2 command unrecognized" "third BOGUS answered"
is "${r[7]}" "421 4.7.0 too many errors, closing connection" "NOOPs between errors do not reset the row: 421 too many errors"

# Under the limit, mail goes through the whole chain as before
n0=$(queue_count "$Q")
out=$($PY - "$PORT" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test", timeout=20)
s.noop(); s.rset(); s.noop()
s.sendmail("alice@pass.test", ["user@example.com"], "Subject: idle\r\n\r\nbody\r\n")
s.quit()
print("sent")
PY
)
is "$out" sent "a client with 3 idle commands sends its message"
is "$(( $(queue_count "$Q") - n0 ))" 1 "and it is queued"

# timeout_session: a session that keeps busy is cut at its deadline
ab_setup 'timeout_session 3\nidle_commands 100000\n'
out=$($PY - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(10)
f = s.makefile("rb")
f.readline()
t0 = time.monotonic()
last = ""
try:
    while time.monotonic() - t0 < 15:
        s.sendall(b"NOOP\r\n")
        l = f.readline().decode().rstrip()
        if not l: break
        last = l
        if not l.startswith("250"): break
        time.sleep(0.2)
except OSError:
    pass
print("%s|%.1f" % (last, time.monotonic() - t0))
PY
)
like "${out%|*}" "^421 4\.4\.2 session time limit reached" "a NOOP every 0.2 s: 421 4.4.2 at timeout_session"
secs=${out#*|}; secs=${secs%.*}
between "$secs" 2 8 "cut after about 3 s (${out#*|} s)"
check "refused reason=session-timeout logged" wait_until 5 ab_has 'smtpd refused reason=session-timeout reply~^421'

# A client that pipelines commands and never reads the replies: smtpd's
# writes, too, end at the session's deadline (not timeout_command later)
ab_setup 'timeout_session 3\nidle_commands 100000\ntimeout_command 60\n'
ends () { ab_match 'smtpd disconnect reason~^(session-timeout|error)$' | wc -l; }
n0=$(ends)
out=$($PY - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(10)
s.makefile("rb").readline()   # the greeting: talking first would be refused
s.settimeout(1)
t0 = time.monotonic()
end = "open"
try:
    while time.monotonic() - t0 < 30:
        try:
            s.sendall(b"HELP\r\n" * 1000)
        except socket.timeout:
            pass
except OSError as e:
    end = "closed"
print("%s|%.1f" % (end, time.monotonic() - t0))
PY
)
is "${out%|*}" closed "replies never read: smtpd closes the connection"
secs=${out#*|}; secs=${secs%.*}
between "$secs" 2 20 "soon after timeout_session (${out#*|} s), not timeout_command (60 s) per write"
more_ends () { [ "$(ends)" -gt "$n0" ]; }
check "its disconnect logged" wait_until 10 more_ends

# A command line dripped a byte a second: the line itself must come within timeout_command
ab_setup 'timeout_command 2\n'
out=$($PY - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(10)
f = s.makefile("rb")
f.readline()
t0 = time.monotonic()
try:
    for c in b"NOOP and a very long dripped argument\r\n":
        s.sendall(bytes([c]))
        time.sleep(0.5)
except OSError:
    pass
s.settimeout(10)
print("%s|%.1f" % (f.readline().decode().rstrip(), time.monotonic() - t0))
PY
)
like "${out%|*}" "^421 4\.4\.2 timeout" "a command line dripped at 2 bytes/s: 421 4.4.2 after timeout_command"
secs=${out#*|}; secs=${secs%.*}
between "$secs" 1 6 "cut after about 2 s (${out#*|} s), not 2 s per byte"

# The session deadline inside DATA: nothing queued
ab_setup 'timeout_session 3\ndata_rate_min 0\n'
n0=$(queue_count "$Q")
out=$($PY - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(10)
f = s.makefile("rb")
def cmd(l):
    s.sendall(l + b"\r\n")
    while True:
        r = f.readline()
        if r[3:4] != b"-": return r.decode().rstrip()
f.readline()
cmd(b"HELO client.test"); cmd(b"MAIL FROM:<alice@pass.test>"); cmd(b"RCPT TO:<user@example.com>")
print(cmd(b"DATA"))
s.sendall(b"Subject: slow\r\n\r\n")
t0 = time.monotonic()
last = ""
try:
    while time.monotonic() - t0 < 15:
        s.sendall(b"line\r\n")
        time.sleep(0.3)
except OSError:
    pass
print(f.readline().decode().rstrip())
PY
)
like "$out" "^354" "DATA begun"
like "$(printf '%s\n' "$out" | tail -1)" "^421 4\.4\.2 session time limit reached" "the deadline reached inside DATA: 421 4.4.2"
check "refused stage=data reason=session-timeout logged" wait_until 5 ab_has 'smtpd refused stage=data reason=session-timeout qid'
check "the queue saw no envelope" wait_until 5 ab_has 'queue aborted reason=no-envelope'
is "$(queue_count "$Q")" "$n0" "nothing queued"
ab_grammar
done_testing
