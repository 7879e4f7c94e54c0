#!/bin/bash
# 99-log-grammar: the whole relay under s6, with s6-log, driven by real
# clients, and then its logs against doc/log.md. Inbound: tcpserver ->
# mxhold-ratelimit -> mxhold-smtpd -> mxhold-spfcheck -> mxhold-queue;
# outbound: mxhold-deliver (-> mxhold-remote) to a Python sink. Through it
# go: a good message, a relay attempt, MAIL with a SIZE over the limit, a
# syntax error, NUL bytes (in a command and in a message), a client that
# vanishes mid-DATA, a connection over the rate limit, a recipient whose
# downstream stays down until it expires, and a mxhold-relaycheck run.
# First the relay's answers (what the clients saw), then the lines the doc
# promises (connect, refused reason=relay/size/syntax/rate, accepted with
# the qid, queued, spf, delivered, deferred, expired, disconnect), each
# found by tests/log_grammar.py --match, i.e. as a line in the grammar,
# and last log_grammar.py over every log line of the run.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$TOP/tests/spf/e2e-lib.sh"
for p in mxhold-ratelimit mxhold-smtpd mxhold-spfcheck mxhold-queue mxhold-deliver mxhold-remote \
         mxhold-relaycheck mxhold-conf mxhold-queuectl swaks tcpserver s6-svscan s6-log; do
  command -v "$p" >/dev/null || { nok "$p missing"; exit 1; }
done
LG=$TOP/tests/log_grammar.py
spf_dns "$TOP/tests/spf/e2e-zone.yml" || exit 1

S=$(free_port)      # the relay
P=$(free_port)      # example.com's downstream: the sink
D=$(free_port)      # example.net's downstream: nobody, ever
# Everybody may connect 1000 times an hour, 127.0.0.7 once; messages up to
# 1 MiB; example.net's recipients expire 3 s after arrival.
mkconf -q "$Q" -p "$P" -c '127.0.0.7 connections=1 window=3600 burst=1\n' "$C" \
  connections 1000 window 3600 burst 1000 size 1M retry_min 1 retry_max 2 \
  timeout_connect 2 timeout_remote 5 || exit 1
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s lifetime=3\n' "$P" "$D" >"$C/domains"
mxhold-conf compile "$C" >/dev/null || { nok "mxhold-conf compile"; exit 1; }

# service NAME COMMAND: $T/svc/NAME running COMMAND (stderr to stdout),
# logged by s6-log with TAI64N stamps into $T/log/NAME/current
service () {
  local name=$1 cmd=$2
  mkdir -p "$T/svc/$name/log" "$T/log/$name"
  cat >"$T/svc/$name/run" <<EOR
#!/bin/sh
exec 2>&1
MXHOLD_CONF=$C DNSCACHEIP=$DNSCACHEIP PATH=$BIN:\$PATH
export MXHOLD_CONF DNSCACHEIP PATH
exec $cmd
EOR
  printf '#!/bin/sh\nexec s6-log t %s\n' "$T/log/$name" >"$T/svc/$name/log/run"
  chmod +x "$T/svc/$name/run" "$T/svc/$name/log/run"
}
service smtp "tcpserver -HRl0 -c 50 127.0.0.1 $S mxhold-ratelimit mxhold-smtpd mxhold-spfcheck mxhold-queue"
service deliver "mxhold-deliver"

# stop_all: every service down and s6-svscan gone (bounded), so that every
# line is in its log; also the cleanup
stop_all () {
  [ -n "${SVSCAN_PID:-}" ] || return 0
  s6-svscanctl -t "$T/svc" 2>/dev/null
  wait_until 10 eval '! alive "$SVSCAN_PID"' || diag "s6-svscan did not exit"
  SVSCAN_PID=
}
trap 'stop_all; _cleanup' EXIT

sink_start "$P" "$T/mbox"
bg s6-svscan "$T/svc"
SVSCAN_PID=$LASTPID
# probes from 127.0.0.254: an address no scenario uses
probe () { $PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.254',0)); s.settimeout(1); s.connect(('127.0.0.1',$S))" 2>/dev/null; }
check "the relay listens under s6" wait_until 10 probe
check "deliver is up under s6" wait_until 10 eval 's6-svstat -o up "$T/svc/deliver" 2>/dev/null | grep -qx true'

# The clients other than swaks: one Python script, one scenario a run;
# prints the replies it got, one a line ("CODE TEXT"), or "eof".
cat >"$T/client.py" <<'PYEOF'
import smtplib, socket, sys
port, what = int(sys.argv[1]), sys.argv[2]

def raw(lines, src="127.0.0.1", vanish=None):
    s = socket.socket()
    s.settimeout(20)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    f = s.makefile("rb")
    def reply():
        while True:
            l = f.readline()
            if not l:
                return "eof"
            if l[3:4] != b"-":
                return l.decode("latin-1").rstrip("\r\n")
    out = [reply()]
    if not out[0].startswith("220"):
        print("\n".join(out))
        return
    for l in lines:
        s.sendall(l)
        if l.startswith(b"QUIT"):
            out.append(reply())
            break
        out.append(reply())
    if vanish is not None:
        s.sendall(vanish)
        s.shutdown(socket.SHUT_RDWR)
    s.close()
    print("\n".join(out))

if what == "size":
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=20)
    s.ehlo()
    code, text = s.mail("alice@pass.test", ["SIZE=5000000"])
    print(code, text.decode())
    s.quit()
elif what == "expire":
    # the null sender (no DSN is owed) with a HELO whose SPF passes
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="pass.test", timeout=20)
    s.ehlo()
    s.mail("")
    s.rcpt("gone@example.net")
    code, text = s.data(b"Subject: expires\r\n\r\nnobody will take this\r\n")
    print(code, text.decode())
    s.quit()
elif what == "syntax":
    raw([b"EHLO client.test\r\n", b"MAIL FROM:<broken\r\n", b"QUIT\r\n"])
elif what == "nul-command":
    raw([b"EHLO cli\x00ent.test\r\n", b"QUIT\r\n"])
elif what == "nul-data":
    raw([b"EHLO client.test\r\n", b"MAIL FROM:<alice@pass.test>\r\n", b"RCPT TO:<nul@example.com>\r\n",
         b"DATA\r\n", b"Subject: nul\r\n\r\nbefore\x00after\r\n.\r\n", b"QUIT\r\n"])
elif what == "vanish":
    raw([b"EHLO client.test\r\n", b"MAIL FROM:<alice@pass.test>\r\n", b"RCPT TO:<vanish@example.com>\r\n",
         b"DATA\r\n"], vanish=b"Subject: gone\r\n\r\nhalf a mess")
elif what == "rate":
    raw([b"QUIT\r\n"], src="127.0.0.7")
PYEOF
client () { $PY "$T/client.py" "$S" "$@" 2>&1; }

# 1. A good message (swaks), through SPF (pass) to the sink.
swaks --server "127.0.0.1:$S" --helo client.test --from alice@pass.test --to good@example.com \
  --header "Subject: good" --body "hello" >"$T/swaks.good" 2>&1
is "$?" 0 "good message: swaks succeeded"
QID=$(sed -n 's/^<- *250 .*queued as \([0-9.]*\).*/\1/p' "$T/swaks.good" | tail -1)
like "$QID" '^[0-9]+\.[0-9]+\.[0-9]+$' "good message: the 250 names its qid"
check "good message: arrived at the sink" wait_until 15 grep -q 'good@example.com' "$T/mbox/log"

# 2. A relay attempt (swaks).
swaks --server "127.0.0.1:$S" --helo client.test --from alice@pass.test --to someone@elsewhere.example \
  >"$T/swaks.relay" 2>&1
like "$(cat "$T/swaks.relay")" '<\*\* +550 5\.7\.1' "relay attempt: 550 5.7.1"

# 3.-7. Size, syntax, NUL bytes, a vanishing client, the rate limit.
like "$(client size)" '^552 ' "MAIL with SIZE over the limit: 552"
like "$(client syntax | sed -n 3p)" '^501 ' "MAIL FROM:<broken: 501"
r=$(client nul-command)
like "$r" '^220' "a NUL in EHLO: the session goes on ($(echo "$r" | sed -n 2p))"
like "$(client nul-data | sed -n 6p)" '^554 ' "a NUL in the message: 554"
r=$(client vanish)
like "$(echo "$r" | sed -n 5p)" '^354 ' "vanishing client: got 354, then hung up mid-DATA"
r1=$(client rate)
r2=$(client rate)
like "$r1" '^220' "127.0.0.7's first connection: 220"
like "$r2" '^421 ' "127.0.0.7's second connection: 421 (rate limit)"

# 8. A recipient that expires: example.net's downstream never answers.
r=$(client expire)
like "$r" '^250 ' "expiring message accepted"
QE=$(echo "$r" | sed -n 's/.*queued as \([0-9.]*\).*/\1/p')

# 9. relaycheck against the relay.
out=$(mxhold-relaycheck --timeout 10 "127.0.0.1:$S" 2>"$T/relaycheck.log")
is "$?" 0 "relaycheck: exit 0"
like "$out" "^summary: 127\.0\.0\.1:$S closed " "relaycheck: closed"

check "the expired recipient left the queue" wait_until 30 queue_empty
is "$(grep -c 'vanish@\|nul@' "$T/mbox/log")" 0 "nothing of the vanished or NUL messages went out"
tcp=$(s6-svstat -p "$T/svc/smtp" 2>/dev/null)
check "every session ended" wait_until 10 eval '! pgrep -P "$tcp" >/dev/null'
stop_all

# The lines doc/log.md promises, each in the grammar (--match parses).
LOGS=("$T/log" "$T/relaycheck.log")
# expect DESC 'PROG EVENT TERM...': a line like that is there; else shows
# the lines of PROG that hold the event's word, as they are
expect () {
  local d=$1 spec=$2 w
  if $PY "$LG" --match "$spec" "${LOGS[@]}" >/dev/null; then ok "$d"; return; fi
  nok "$d: no line \"$spec\""
  set -- $spec
  w=$2
  grep -rah -- "$w" "$T/log" "$T/relaycheck.log" 2>/dev/null | grep -a -- "${1#mxhold-}" | head -2 | sed 's/^/#   as it is: /'
}
n_of () { $PY "$LG" --match "$1" "${LOGS[@]}" | wc -l; }

expect "connect, with client and port" "smtpd connect client=127.0.0.1 port~^[0-9]+$"
expect "refused relay: stage rcpt, the 550 reply, reason=relay" "smtpd refused stage=rcpt reason=relay reply~^550.5\.7\.1"
expect "refused size: stage mail, the 552 reply, reason=size" "smtpd refused stage=mail reason=size reply~^552"
expect "refused syntax: stage mail, the 501 reply, reason=syntax" "smtpd refused stage=mail reason=syntax reply~^501"
expect "refused NUL in the message: stage data, the 554 reply" "smtpd refused stage=data reason reply~^554"
expect "accepted, with the qid of the 250" "smtpd accepted qid=$QID"
expect "queued, with the qid" "queue queued qid=$QID"
expect "spf: the verdict and the action, with the qid" "spfcheck spf qid=$QID spf=pass action=accept"
expect "delivered, with the qid and the recipient" "deliver delivered qid=$QID to=good@example.com"
expect "deferred while example.net is down" "deliver deferred qid=$QE to=gone@example.net"
expect "expired, with the qid and the recipient" "deliver expired qid=$QE to=gone@example.net"
expect "ratelimit refused 127.0.0.7 for the rate" "ratelimit refused client=127.0.0.7 reason=rate"
expect "disconnect, with a reason" "smtpd disconnect reason"
nc=$(n_of "smtpd connect")
nd=$(n_of "smtpd disconnect")
check "one disconnect for every connect ($nc connect, $nd disconnect)" eval '[ "$nc" -gt 5 ] && [ "$nc" = "$nd" ]'
check "no log holds a raw NUL byte" eval '! grep -rlaP "\x00" "$T/log" "$T/relaycheck.log" | grep -q .'

# Every line of ours in the grammar.
$PY "$LG" "${LOGS[@]}" >"$T/grammar.out"
rc=$?
grep '^#' "$T/grammar.out" | tail -25
is "$rc" 0 "every line of the run in doc/log.md's grammar ($(tail -1 "$T/grammar.out" | sed 's/^[a-z ]*- //'))"
done_testing
