#!/bin/bash
# smtpd and its child (the qmail-queue interface): exit codes to replies,
# a filter that crashes, hangs, quits early, or writes its own reply; a
# client that vanishes mid-DATA. Never a 250 unless the child exited 0.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" timeout_queue 2 || exit 1

# mode MODE [EXIT [REPLY]]: a server whose child behaves so
mode () {
  export CAT_MODE=$1 CAT_EXIT=${2:-} CAT_REPLY=${3:-}
  start "$CATCHILD"
  unset CAT_MODE CAT_EXIT CAT_REPLY
}
# send: one message with smtplib; prints "CODE TEXT" of the final reply
send () {
  $PY - "$PORT" <<'P'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("c"); s.mail("a@b.example"); s.rcpt("u@example.com")
try:
    c, m = s.data(b"Subject: child\r\n\r\n" + b"line of text\r\n" * 20000)
except smtplib.SMTPDataError as e:   # refused at DATA itself (no 354)
    c, m = e.smtp_code, e.smtp_error
print(c, m.decode())
c, m = s.noop()
print(c, m.decode())
s.quit()
P
}

mode exit 100
r=$(send); like "$r" "^554 5\.3\.0 " "exit 100: 554 5.3.0"
like "$(sed -n 2p <<<"$r")" "^250 " "session goes on after a refusal"
mode exit 111
like "$(send)" "^451 4\.3\.0 " "exit 111: 451 4.3.0"
mode exit 31
like "$(send)" "^554 5\.3\.0 " "qmail-queue exit 31 (permanent): 554"
mode exit 71
like "$(send)" "^451 4\.3\.0 " "qmail-queue exit 71 (temporary): 451"
mode exit 7
like "$(send)" "^451 4\.3\.0 " "unknown exit code 7: 451"
mode crash
like "$(send)" "^451 4\.3\.0 " "child killed by SIGSEGV: 451"
mode early
r=$(send); like "$r" "^451 4\.3\.0 " "child exits before reading (SIGPIPE ignored): 451"
like "$(sed -n 2p <<<"$r")" "^250 " "smtpd survives a child that quit early"
mode hang
t0=$(date +%s)
r=$(send); t1=$(date +%s)
like "$r" "^451 4\.3\.0 " "hung child: 451 after timeout_queue"
check "hung child: answered within timeout_queue + 3 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 5
mode stall
t0=$(date +%s)
r=$(send); t1=$(date +%s)
like "$r" "^451 4\.3\.0 " "child that never reads (pipe full): 451 after timeout_queue"
like "$(sed -n 2p <<<"$r")" "^250 " "the rest of DATA was read: the session goes on"
check "stalled child: answered within timeout_queue + 3 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 5
mode reply 100 "553 5.7.1 rejected by policy"
like "$(send)" "^553 5\.7\.1 rejected by policy" "custom 5xx reply from fd 4"
mode reply 111 "450 4.7.1 greylisted, come back later"
like "$(send)" "^450 4\.7\.1 greylisted" "custom 4xx reply from fd 4"
mode reply 82 "Dmessage contains a virus"
like "$(send)" "^554 5\.3\.0 message contains a virus" "qmail custom error D: 554"
mode reply 82 "Zscanner unavailable"
like "$(send)" "^451 4\.3\.0 scanner unavailable" "qmail custom error Z: 451"
mode reply 111 "550 5.7.1 wrong class"
like "$(send)" "^451 4\.3\.0 " "custom reply of the other class ignored"
mode reply 0 "554 5.7.1 but exit 0"
like "$(send)" "^250 2\.0\.0 " "exit 0 is 250 whatever fd 4 says"

# a queue program that cannot be exec'd (missing, or not yet installed) is
# an operator's problem, not the sender's: 451, never a 5xx bounce
start "$T/no-such-queue-program"
like "$(send)" "^451 4\.3\.0 " "child program missing: 451, not 554"

# started with SIGCHLD ignored (inherited across exec): the child's status
# must still be read, so a good message gets 250 at once, not 451 after
# timeout_queue (10 s here)
smconf "$T/c10" timeout_queue 10 || exit 1
PORT=$(free_port)
MXHOLD_CONF=$T/c10 bg tcpserver -HRl0 127.0.0.1 "$PORT" $PY -c 'import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execvp(sys.argv[1], sys.argv[1:])' mxhold-smtpd "$CATCHILD" 2>>"$T/smtpd.$PORT.log"
wait_until 10 port_open "$PORT"
t0=$(date +%s)
r=$(send); t1=$(date +%s)
like "$r" "^250 2\.0\.0 " "SIGCHLD ignored at start: still 250"
check "SIGCHLD ignored at start: answered before timeout_queue ($((t1 - t0)) s)" test $((t1 - t0)) -le 6

# client vanishes mid-DATA: no envelope, nothing queued, child reaped
mode ok
catclear
$PY - "$PORT" <<'P'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
d = s.recv(4096)
s.sendall(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n")
while b"354 " not in d: d += s.recv(4096)
s.sendall(b"Subject: drop\r\n\r\n" + b"half a message\r\n" * 5000)
s.close()
P
# smtpd logs the abort once it has reaped the child
aborted () { grep -q "^mxhold-smtpd: info: aborted stage=data " "$T/smtpd.$PORT.log"; }
wait_until 5 aborted
like "$(grep ' aborted ' "$T/smtpd.$PORT.log")" "^mxhold-smtpd: info: aborted stage=data qid=[0-9]+\.[0-9]{6}\.[0-9]+ client=127\.0\.0\.1 helo=c from=a@b\.example rcpts=1 size=[0-9]+ reason=eof$" "drop mid-DATA logged: aborted, reason=eof"
next_line () { grep -A1 ' aborted ' "$T/smtpd.$PORT.log" | sed -n 2p; }
wait_until 5 eval 'next_line | grep -q " disconnect "'
like "$(next_line)" "^mxhold-smtpd: info: disconnect client=127\.0\.0\.1 messages=0 rcpts=0 refused=0 duration=[0-9]+\.[0-9]{3} reason=eof$" "then disconnect reason=eof"
is "$(catcount)" 0 "drop mid-DATA: the child stored nothing"
check "drop mid-DATA: the child got no envelope" test ! -s "$(ls "$CATDIR"/env.* 2>/dev/null | head -1)"
# a zombie would still answer kill -0: the child was reaped, not left behind
cpid=$(cat "$CATDIR"/pid.* 2>/dev/null | head -1)
check "no zombie left (child $cpid gone)" eval '[ -n "$cpid" ] && ! kill -0 "$cpid" 2>/dev/null'

# the same with the real queue writer
start
$PY - "$PORT" <<'P'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
d = s.recv(4096)
s.sendall(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n")
while b"354 " not in d: d += s.recv(4096)
s.sendall(b"Subject: drop\r\n\r\n" + b"half a message\r\n" * 5000)
s.close()
P
# the abort is logged once mxhold-queue has exited (and removed its tmp file)
wait_until 5 aborted
check "real queue: drop mid-DATA logged" aborted
is "$(queue_count "$CONF/q")" 0 "drop mid-DATA: nothing in the real queue"
is "$(find "$CONF/q/tmp" -type f | wc -l)" 0 "drop mid-DATA: no tmp file left"
done_testing
