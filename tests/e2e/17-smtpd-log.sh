#!/bin/bash
# smtpd's log (doc/log.md): a connect line and a disconnect line for every
# connection, one refused line per refusal (stage, reply and reason), one
# accepted line per message queued; bytes of the network escaped; a
# relaycheck run leaves one refused line per refused attempt; every line
# parses with tests/log_grammar.py.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
for p in mxhold-smtpd mxhold-relaycheck; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
CONF=$T/c
smconf "$CONF" size 5000 hops 3 recipients 2 errors 100 || exit 1
start "$CATCHILD"
LOG=$T/smtpd.$PORT.log

# line WORDS: the log lines holding WORDS (a fixed string)
line () { grep -F -- "$1" "$LOG"; }
# ended REASON: the connection that ended so has logged its last line
ended () { grep -q " disconnect .* reason=$1\$" "$LOG"; }
P='mxhold-smtpd: info:'

# connect: client and port
r=$($PY - "$PORT" <<'S'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
print(s.getsockname()[1])
s.recv(4096)
s.sendall(b"QUIT\r\n")
while s.recv(4096): pass
S
)
wait_until 5 ended quit
balanced () { [ "$(grep -c ' connect ' "$LOG")" = "$(grep -c ' disconnect ' "$LOG")" ]; }
wait_until 5 balanced
like "$(line "connect client=127.0.0.1 port=$r")" "^$P connect client=127\.0\.0\.1 port=$r$" "connect: client and port"
like "$(line 'reason=quit')" "^$P disconnect client=127\.0\.0\.1 messages=0 rcpts=0 refused=0 duration=[0-9]+\.[0-9]{3} reason=quit$" "disconnect after QUIT: counts, duration, reason=quit"
check "as many disconnect lines as connect lines (the start-up probe's too)" balanced
: >"$LOG"

l1100=$(head -c 1100 /dev/zero | tr '\0' a)
l1001=$(head -c 1001 /dev/zero | tr '\0' y)
talk "$PORT" >"$T/replies" <<S
R
S MAIL FROM:<a@b.example>\r\n
R
S EHLO c"\\\\d\xff\r\n
R
S FOO bar\r\n
R
S STARTTLS\r\n
R
S MAIL FROM:<a b@c>\r\n
R
S MAIL FROM:a@b.example\r\n
R
S MAIL FROM:<a@b.example> XFOO=1\r\n
R
S MAIL FROM:<a@b.example> SIZE=5001\r\n
R
S RCPT TO:<u@example.com>\r\n
R
S DATA\r\n
R
S MAIL FROM:<>\r\n
R
S MAIL FROM:<c@d.example>\r\n
R
S DATA\r\n
R
S RCPT TO:<x@victim.example>\r\n
R
S RCPT TO:<u%v@example.com>\r\n
R
S RCPT TO:<u@example.com>junk\r\n
R
S RCPT TO:<a..b@example.com>\r\n
R
S RCPT TO:<u@example.com> XFOO=1\r\n
R
S RCPT TO:<u@example.com>\r\n
R
S RCPT TO:<v@example.net>\r\n
R
S RCPT TO:<w@example.net>\r\n
R
S DATA now\r\n
R
S NOOP $l1100\r\n
R
S NOOP\x01\r\n
R
S DATA\r\n
R
S Subject: nul\r\n\r\na\x00b\r\n.\r\n
R
S MAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 3
S Subject: long\r\n\r\n$l1001\r\n.\r\n
R
S MAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 3
Z 6000
S .\r\n
R
S MAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 3
S Received: a\r\nReceived: b\r\nReceived: c\r\n\r\nloop\r\n.\r\n
R
S MAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 3
S Subject: fine\r\n\r\nhello\r\n.\r\n
R
S QUIT\r\n
R
E
S
wait_until 5 ended quit
refusals () { grep -c ' refused ' "$LOG"; }
# the replies the client saw that were refusals (4xx/5xx), one each
is "$(refusals)" "$(grep -c '^[45]' "$T/replies")" "one refused line per refusal the client got ($(refusals))"

# refused REASON STAGE KEYS...: the refused line with that reason and
# stage is exactly "refused stage=STAGE KEYS... reason=REASON" (KEYS holds
# the reply); several of a kind: the first
refused () {
  local reason=$1 stage=$2; shift 2
  is "$(grep " refused stage=$stage .* reason=$reason\$" "$LOG" | head -1)" "$P refused stage=$stage $* reason=$reason" "refused: $reason at $stage"
}
H='helo="c\"\\d\xff"'
refused sequence mail 'client=127.0.0.1 helo=- from=- reply="503 5.5.1 send HELO or EHLO first"'
refused unknown-command command "client=127.0.0.1 $H from=- command=\"FOO bar\" reply=\"500 5.5.2 command unrecognized\""
refused not-implemented starttls "client=127.0.0.1 $H from=- reply=\"502 5.5.1 STARTTLS not available\""
refused syntax mail "client=127.0.0.1 $H from=\"a b@c\" reply=\"501 5.1.7 bad sender address syntax\""
is "$(line 'command="MAIL FROM:a@b.example"')" "$P refused stage=mail client=127.0.0.1 $H from=- command=\"MAIL FROM:a@b.example\" reply=\"501 5.1.7 bad sender address syntax\" reason=syntax" "refused: MAIL without brackets, the line logged"
refused parameter mail "client=127.0.0.1 $H from=- command=\"MAIL FROM:<a@b.example> XFOO=1\" reply=\"555 5.5.4 unsupported MAIL parameter\""
refused size mail "client=127.0.0.1 $H from=a@b.example reply=\"552 5.3.4 message size exceeds fixed limit\""
refused sequence rcpt "client=127.0.0.1 $H from=- reply=\"503 5.5.1 need MAIL before RCPT\""
refused sequence data "client=127.0.0.1 $H from=- reply=\"503 5.5.1 need MAIL before DATA\""
is "$(line 'nested MAIL')" "$P refused stage=mail client=127.0.0.1 $H from=\"\" reply=\"503 5.5.1 nested MAIL command\" reason=sequence" "refused: nested MAIL, the transaction's null sender as from=\"\""
refused no-recipients data "client=127.0.0.1 $H from=\"\" reply=\"554 5.5.1 no valid recipients\""
refused relay rcpt "client=127.0.0.1 $H from=\"\" to=x@victim.example reply=\"550 5.7.1 relaying denied\""
check "refused: percent hack, reason=relay" grep -qF " to=u%v@example.com reply=\"550 5.7.1 relaying denied\" reason=relay" "$LOG"
check "refused: garbage after >, the line logged" grep -qF " to=u@example.com command=\"RCPT TO:<u@example.com>junk\" reply=\"550 5.7.1 relaying denied\" reason=relay" "$LOG"
refused syntax rcpt "client=127.0.0.1 $H from=\"\" to=a..b@example.com reply=\"501 5.1.3 bad recipient address syntax\""
refused parameter rcpt "client=127.0.0.1 $H from=\"\" command=\"RCPT TO:<u@example.com> XFOO=1\" reply=\"555 5.5.4 unsupported RCPT parameter\""
refused too-many-recipients rcpt "client=127.0.0.1 $H from=\"\" reply=\"452 4.5.3 Too many recipients\""
refused syntax data "client=127.0.0.1 $H from=\"\" command=\"DATA now\" reply=\"501 5.5.4 DATA takes no argument\""
refused line-too-long command "client=127.0.0.1 $H from=\"\" reply=\"500 5.5.2 line too long\""
refused control-bytes command "client=127.0.0.1 $H from=\"\" command=\"NOOP\\x01\" reply=\"500 5.5.2 control characters in command\""
# after the final dot: the queue id, the recipients, the size as received so far
like "$(line 'reason=nul')" "^$P refused stage=data qid=[0-9]+\.[0-9]{6}\.[0-9]+ client=127\.0\.0\.1 $(sed 's/[\\.]/\\&/g' <<<"$H") from=\"\" rcpts=2 size=21 reply=\"554 5\.6\.0 message contains NUL bytes\" reason=nul$" "refused: NUL in DATA, with qid, rcpts and size"
like "$(line 'stage=data' | grep 'reason=line-too-long')" " from=a@b\.example rcpts=1 size=1020 reply=\"554 5\.6\.0 text line longer than 1000 bytes \(RFC 5321 4\.5\.3\.1\.6\)\" reason=line-too-long$" "refused: long text line in DATA"
like "$(line 'stage=data' | grep 'reason=size')" " rcpts=1 size=6002 reply=\"552 5\.3\.4 message size exceeds fixed limit\" reason=size$" "refused: over size in DATA"
like "$(line 'reason=loop')" " size=47 reply=\"554 5\.4\.6 too many hops, mail loop\" reason=loop$" "refused: mail loop"
m=$(catmsg)
qid=${m##*/msg.}
size=$(( $(wc -c <"$m") - $(head -3 "$m" | wc -c) ))
is "$(line ' accepted ')" "$P accepted qid=$qid client=127.0.0.1 $H from=a@b.example rcpts=1 size=$size" "accepted: qid, client, helo, from, rcpts, size"
like "$(line 'reason=quit')" "^$P disconnect client=127\.0\.0\.1 messages=1 rcpts=1 refused=$(refusals) duration=[0-9]+\.[0-9]{3} reason=quit$" "disconnect: 1 message, 1 recipient, every refusal counted"
noraw () { ! LC_ALL=C grep -q $'\xff' "$LOG"; }
check "no raw network byte in the log (the HELO's \\xff escaped)" noraw

# the limits and failures that end a connection: their refused line, and
# the disconnect reason
smconf "$T/c2" messages 1 errors 2 timeout_command 1 timeout_data 1 || exit 1
CONF=$T/c2 start "$CATCHILD"
LOG=$T/smtpd.$PORT.log
talk "$PORT" >/dev/null <<'S'
R
S EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 4
S x\r\n.\r\nMAIL FROM:<a@b.example>\r\n
RN 2
E
S
wait_until 5 ended too-many-messages
refused too-many-messages mail 'client=127.0.0.1 helo=c from=- reply="421 4.7.0 too many messages, reconnect"'
check "disconnect reason=too-many-messages" ended too-many-messages
talk "$PORT" >/dev/null <<'S'
R
S FOO\r\nBAR\r\n
RN 3
E
S
wait_until 5 ended too-many-errors
refused too-many-errors command 'client=127.0.0.1 helo=- from=- command=BAR reply="421 4.7.0 too many errors, closing connection"'
is "$(grep -c ' refused stage=command .*reason=unknown-command' "$LOG")" 2 "both refusals before the 421 logged"
talk "$PORT" >/dev/null <<'S'
R
R
E
S
wait_until 5 ended timeout
refused timeout command 'client=127.0.0.1 helo=- from=- reply="421 4.4.2 timeout, closing connection"'
: >"$LOG"
talk "$PORT" >/dev/null <<'S'
R
S EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 4
S Subject: half\r\n\r\nbody
R
E
S
wait_until 5 ended timeout
like "$(line 'reason=timeout' | grep refused)" "^$P refused stage=data qid=[0-9.]+ client=127\.0\.0\.1 helo=c from=a@b\.example rcpts=1 size=[0-9]+ reply=\"421 4\.4\.2 timeout, closing connection\" reason=timeout$" "refused: timeout in DATA"

# the child fails, or cannot be started: reason=queue, the reply as sent
CAT_MODE=exit CAT_EXIT=100 start "$CATCHILD"
LOG=$T/smtpd.$PORT.log
swaks --server 127.0.0.1 --port "$PORT" --from a@b.example --to u@example.com --body x >/dev/null 2>&1
wait_until 5 ended quit
like "$(line 'reason=queue')" "^$P refused stage=data qid=[0-9.]+ client=127\.0\.0\.1 helo=[^ ]+ from=a@b\.example rcpts=1 size=[0-9]+ reply=\"554 5\.3\.0 message refused by the queue\" reason=queue$" "refused: the child exited 100"
start "$T/no-such-program"
LOG=$T/smtpd.$PORT.log
swaks --server 127.0.0.1 --port "$PORT" --from a@b.example --to u@example.com --body x >/dev/null 2>&1
wait_until 5 ended quit
like "$(line 'reason=queue')" " reply=\"451 4\.3\.0 cannot start the queue, try again later\" reason=queue error=\"No such file or directory\"$" "refused: the child cannot be started, and why"

# talking before the greeting
smconf "$T/c3" greet_pause 1 || exit 1
CONF=$T/c3 start "$CATCHILD"
LOG=$T/smtpd.$PORT.log
talk "$PORT" >/dev/null <<'S'
S EHLO early\r\n
R
E
S
wait_until 5 ended talked-early
refused talked-early connect 'client=127.0.0.1 helo=- from=- reply="554 5.5.0 talked before the greeting, closing connection"'

# an unreadable config: the client is told, the operator too
TCPREMOTEIP=127.0.0.1 MXHOLD_CONF=$T/none mxhold-smtpd "$CATCHILD" </dev/null >"$T/out" 2>"$T/noconf.log"
is "$?" 111 "unreadable config: exit 111"
is "$(sed -n 2,4p "$T/noconf.log" | sed 's/duration=[0-9.]*/duration=D/')" "$P refused stage=connect client=127.0.0.1 helo=- from=- reply=\"421 4.3.0 service temporarily unavailable\" reason=config
$P disconnect client=127.0.0.1 messages=0 rcpts=0 refused=1 duration=D reason=error
mxhold-smtpd: fatal: config-unreadable path=$T/none error=\"No such file or directory\"" "unreadable config: refused, disconnect, then the fatal line"

# relaycheck, a real client through tcpserver: every attempt it saw
# refused has its refused line, at the stage relaycheck names
start "$CATCHILD"
LOG=$T/smtpd.$PORT.log
wait_until 5 ended eof
: >"$LOG"
mxhold-relaycheck --json --timeout 10 "127.0.0.1:$PORT" >"$T/rc.json" 2>/dev/null
wait_until 10 ended quit
$PY - "$T/rc.json" "$LOG" <<'P'
import json, re, sys
j = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read().splitlines()
refused = [t for t in j["tricks"] if t["code"] >= 400]
lines = [l for l in log if " refused " in l]
def ok(c, what):
    print(("ok - " if c else "not ok - ") + what)
ok(len(refused) >= 20, "relaycheck: %d attempts refused" % len(refused))
ok(len(lines) == len(refused), "relaycheck: one refused line per refused attempt (%d lines, %d attempts)" % (len(lines), len(refused)))
stages = sorted(t["stage"] for t in refused)
got = sorted(re.search(r" stage=([a-z]+) ", l).group(1) for l in lines)
ok(stages == got, "relaycheck: the same stages (%s)" % " ".join(sorted(set(got))))
codes = sorted(str(t["code"]) for t in refused)
got = sorted(re.search(r' reply="([0-9]{3}) ', l).group(1) for l in lines)
ok(codes == got, "relaycheck: the same reply codes")
ok(sum(" connect " in l for l in log) == j["connections"], "relaycheck: one connect line per connection (%d)" % j["connections"])
P

# the grammar of every line of every smtpd log of this test
out=$($PY "$TOP/tests/log_grammar.py" "$T"/smtpd.*.log "$T/noconf.log"); rc=$?
is "$rc" 0 "tests/log_grammar.py: every line parses"
n=${out//[!0-9]/}
between "$n" 50 100000 "tests/log_grammar.py read them ($out)"
done_testing
