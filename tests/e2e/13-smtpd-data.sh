#!/bin/bash
# smtpd's DATA through the real queue writer: pipelining, the SMTP
# smuggling patterns (each must give exactly one message that carries the
# would-be second one as text), bare LF/CR repair, dot-stuffing, 8-bit,
# NUL bytes, overlong text lines, mail loops.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" || exit 1
Q=$CONF/q
start
[ -x "$BIN/mxhold-queue" ] || { nok "mxhold-queue not built"; exit 1; }

# body_of FILE: the message part of a queue file (after the envelope)
body_of () { $PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[d.index(b"\n\n")+2:])' "$1"; }
newest () { ls -t "$Q"/new/* 2>/dev/null | head -1; }

# a whole transaction in one write (RFC 2920)
r=$(talk "$PORT" <<'S'
R
S EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nRCPT TO:<v@example.net>\r\nDATA\r\nSubject: piped\r\n\r\none write\r\n.\r\nQUIT\r\n
RN 7
E
S
)
is "$(cut -c1-3 <<<"$r" | tr '\n' ' ')" "220 250 250 250 250 354 250 221 EOF " "pipelined transaction: every reply, in order"
is "$(queue_count "$Q")" 1 "pipelined message queued"

# smuggling: the would-be end of DATA in each pattern is content
pats=('\n.\n' '\r\n.\n' '\n.\r\n' '\r.\r' '\r\n.\r' '\r.\r\n' '\n.\r' '\r\n.\r\r\n' '\r\n\x00.\r\n')
for p in "${pats[@]}"; do
  n0=$(queue_count "$Q")
  r=$(talk "$PORT" <<S
R
S EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 4
S Subject: outer\r\n\r\nbody${p}MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\nQUIT\r\n
RN 2
E
S
)
  replies=$(tail -3 <<<"$r" | cut -c1-3 | tr '\n' ' ')
  case $p in
    *x00*) is "$replies" "554 221 EOF " "smuggling '$p': refused for the NUL, one reply" ;;
    *) is "$replies" "250 221 EOF " "smuggling '$p': one message, one 250, then QUIT"
       is "$(queue_count "$Q")" $((n0 + 1)) "smuggling '$p': exactly one message queued"
       m=$(newest)
       check "smuggling '$p': the second message is text inside the first" grep -q "^Subject: smuggled" "$m"
       unlike "$(grep '^to ' "$m")" "victim" "smuggling '$p': no envelope for the smuggled recipient" ;;
  esac
done

# repair: bare LF and bare CR stored as CRLF; dot-stuffing undone; 8-bit kept
$PY - "$PORT" <<'P'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.recv(4096)
s.sendall(b"EHLO c\r\nMAIL FROM:<a@b.example> BODY=8BITMIME\r\nRCPT TO:<u@example.com>\r\nDATA\r\n")
d = b""
while b"354 " not in d: d += s.recv(4096)
s.sendall(b"Subject: repair\r\n\r\nbare lf\nbare cr\rcrlf\r\n..stuffed\r\n\xe9t\xe9 8bit\xff\r\n.\r\nQUIT\r\n")
import time; t = time.time(); d = b""
while time.time() < t + 10 and b"221" not in d:
    x = s.recv(4096)
    if not x: break
    d += x
P
m=$(newest)
body_of "$m" | tail -n +4 >"$T/body"
printf 'Subject: repair\r\n\r\nbare lf\r\nbare cr\r\ncrlf\r\n.stuffed\r\n\xe9t\xe9 8bit\xff\r\n' >"$T/want"
$PY - "$T/body" "$T/want" <<'P' && ok "bare LF/CR repaired to CRLF, dot-stuffing undone, 8-bit kept" || nok "repair (got $(od -c "$T/body" | head -5))"
import sys
g = open(sys.argv[1], "rb").read(); w = open(sys.argv[2], "rb").read()
sys.exit(0 if g == w else 1)
P

# NUL bytes: refused (554 5.6.0), nothing queued
n0=$(queue_count "$Q")
r=$(talk "$PORT" <<'S'
R
S EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 4
S Subject: nul\r\n\r\na\x00b\r\n.\r\n
R
S
)
like "$(tail -1 <<<"$r")" "^554 5\.6\.0 " "NUL byte: 554 5.6.0"
# text lines: 998 + CRLF accepted, 999 + CRLF refused
l998=$(head -c 998 /dev/zero | tr '\0' y)
r=$(talk "$PORT" <<S
R
S EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 4
S Subject: long\r\n\r\n${l998}\r\n.\r\n
R
S MAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n
RN 3
S Subject: long\r\n\r\n${l998}y\r\nmore\r\n.\r\n
R
S
)
like "$(sed -n 6p <<<"$r")" "^250 2\.0\.0 " "text line of 1000 bytes with CRLF accepted"
like "$(sed -n 10p <<<"$r")" "^554 5\.6\.0 " "text line of 1001 bytes: 554 5.6.0, after the final dot"
is "$(queue_count "$Q")" $((n0 + 1)) "refused messages not queued"

# mail loops: 99 Received lines pass (ours makes 100), 100 are a loop
loop () {
  $PY - "$PORT" "$1" <<'P'
import smtplib, sys
h = "".join("Received: from hop%d by relay%d; Fri, 27 Nov 2026 10:00:00 +0000\r\n" % (i, i) for i in range(int(sys.argv[2])))
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("c"); s.mail("a@b.example"); s.rcpt("u@example.com")
c, m = s.data((h + "Subject: loop\r\n\r\nx\r\n").encode()); print(c, m.decode()); s.quit()
P
}
like "$(loop 99 2>&1)" "^250 2\.0\.0" "99 Received lines: accepted"
r=$(loop 100 2>&1)
like "$r" "^554 5\.4\.6" "100 Received lines: 554 5.4.6 too many hops"
done_testing
