#!/bin/bash
# smtpd's size limit through the real queue writer: a message of exactly
# 20971520 bytes as sent is accepted, one byte more is refused after the
# final dot (552 5.3.4) with the rest read and nothing queued. Also
# measures smtpd's peak memory for the 20 MB message (reported, see
# smtpd/smtpd.md).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" || exit 1
Q=$CONF/q
start
[ -x "$BIN/mxhold-queue" ] || { nok "mxhold-queue not built"; exit 1; }

# big N: sends a message of N bytes as sent (CRLF lines of 80 bytes, no
# dots), with SIZE=N, through smtplib; prints the final reply
big () {
  $PY - "$PORT" "$1" <<'P'
import smtplib, sys
n = int(sys.argv[2])
hdr = b"Subject: big\r\n\r\n"
k = n - len(hdr)
body = (b"x" * 78 + b"\r\n") * (k // 80)
r = k - len(body)
if r:
    body += b"y" * (r - 2) + b"\r\n"
m = hdr + body
assert len(m) == n
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=60)
s.ehlo("c")
s.mail("a@b.example")   # no SIZE=: the DATA check itself is under test
s.rcpt("u@example.com")
c, t = s.data(m)
print(c, t.decode())
print(*s.noop())
s.quit()
P
}
r=$(big 20971520)
like "$r" "^250 2\.0\.0 Ok: queued as " "20971520 bytes (the limit, inclusive): 250"
is "$(queue_count "$Q")" 1 "20 MB message queued"
f=$(ls "$Q"/new/* | head -1)
sz=$($PY -c 'import sys; d=open(sys.argv[1],"rb").read(); print(len(d) - d.index(b"\n\n") - 2)' "$f")
hl=$($PY -c 'import sys; d=open(sys.argv[1],"rb").read(); b=d[d.index(b"\n\n")+2:]; print(b.index(b"Subject:"))' "$f")
is "$((sz - hl))" 20971520 "stored message is complete (Received header + 20971520 bytes)"
r=$(big 20971521)
like "$r" "^552 5\.3\.4 " "20971521 bytes: 552 5.3.4 after the final dot"
like "$(sed -n 2p <<<"$r")" "^250 " "the rest was read: the session goes on"
is "$(queue_count "$Q")" 1 "oversized message not queued"
is "$(find "$Q/tmp" -type f | wc -l)" 0 "no tmp file left"
sw=$(swaks --server 127.0.0.1 --port "$PORT" --from a@b.example --to u@example.com --body x \
  --quit-after RCPT --pipeline 2>&1 | grep -c "SIZE 20971520")
is "$sw" 1 "swaks sees SIZE 20971520 in EHLO"

# peak memory of one smtpd for the 20 MB message (direct pipe run): the
# child reads smtpd's VmHWM once the whole message has been streamed
$PY -c "
import sys
hdr=b'Subject: big\r\n\r\n'; n=20971520-len(hdr)
body=(b'x'*78+b'\r\n')*(n//80); body+=b'y'*(n-len(body)-2)+b'\r\n'
sys.stdout.buffer.write(b'EHLO t\r\nMAIL FROM:<a@b.example> SIZE=20971520\r\nRCPT TO:<u@example.com>\r\nDATA\r\n'+hdr+body+b'.\r\nQUIT\r\n')
" >"$T/in"
TCPREMOTEIP=127.0.0.1 MXHOLD_CONF=$CONF mxhold-smtpd sh -c 'mxhold-queue; s=$?; grep -E "VmHWM|RssAnon" /proc/$PPID/status >&2; exit $s' <"$T/in" >"$T/out" 2>"$T/err"
hwm=$(awk '/VmHWM/{print $2}' "$T/err"); anon=$(awk '/RssAnon/{print $2}' "$T/err")
diag "smtpd peak RSS for a 20 MB message: VmHWM ${hwm} kB, of which anonymous ${anon} kB (the rest is shared libc pages)"
if nm "$BIN/mxhold-smtpd" 2>/dev/null | grep -q __asan_init; then
  diag "ASan build: memory bound not checked (shadow memory)"
else
  check "smtpd's private memory stays small for 20 MB (anon ${anon} kB <= 512)" test "${anon:-99999}" -le 512
fi
like "$(cat "$T/out")" "250 2\.0\.0 Ok: queued" "pipe run queued the 20 MB message"
done_testing
