# 42-remote-hostile: mxhold-remote alone against scripted downstreams that
# misbehave: a reply dripped a byte at a time (the step's timeout must
# still end it), a non-SMTP greeting, NUL bytes in replies split over many
# writes, a drop or a 4xx after the final dot (temporary), a 5xx after it
# (permanent), and dot-stuffing of a message whose last line has no CRLF.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
HOSTILE="$TOP/tests/e2e/42-hostile.py"

P=$(free_port)
dlv_conf "$P" timeout_remote 2 timeout_connect 2
printf 'Received: from test\r\nSubject: dots\r\n\r\n.one\r\n..two\r\n.\r\nlast line without CRLF' >"$T/body"
BODY=$T/body inject snd@example.net rcpt@example.com || nok "inject"
ID=$(ls "$Q/new" | head -1)
MSG=$Q/new/$ID

# remote_run MODE: mxhold-remote's stdout against a server in MODE (bounded by timeout 30)
remote_run () {
  bg $PY "$HOSTILE" "$P" "$1" "$T/down.$1"; local sp=$LASTPID
  wait_until 10 port_open "$P" || nok "hostile server $1 did not start"
  local t0=$(date +%s)
  printf '%s %s 0 rcpt@example.com\n' "$ID" "$MSG" | timeout 30 mxhold-remote "127.0.0.1:$P" example.com >"$T/out.$1" 2>>"$T/remote.log"
  ELAPSED=$(( $(date +%s) - t0 ))
  kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null
}

remote_run drip
like "$(cat "$T/out.drip")" "^$ID 0 t " "dripped greeting: temporary failure"
check "dripped greeting: given up within the step timeout (took ${ELAPSED}s, timeout_remote 2)" test "$ELAPSED" -le 6
check "dripped greeting: the connection's end logged with its stage and reason" grep -q "^mxhold-remote: warning: disconnect host=127.0.0.1 ip=127.0.0.1 port=$P messages=0 duration=[0-9.]* stage=greeting reason=timeout\$" "$T/remote.log"

remote_run garbage
like "$(cat "$T/out.garbage")" "^$ID 0 t .*malformed reply" "non-SMTP greeting: temporary failure"
check "non-SMTP greeting: logged" grep -q "warning: disconnect .* stage=greeting reason=malformed-reply\$" "$T/remote.log"

remote_run nul
like "$(cat "$T/out.nul")" "^$ID 0 d .*250 \?2\.0\.0 ok$" "NUL bytes in split replies: delivered, NUL shown as ?"

remote_run dropdot
like "$(cat "$T/out.dropdot")" "^$ID 0 t " "drop after the final dot: temporary"

remote_run temp
like "$(cat "$T/out.temp")" "^$ID 0 t .*451 4.3.0" "451 to the final dot: temporary"

remote_run perm
like "$(cat "$T/out.perm")" "^$ID 0 p .*554 5.6.0" "554 to the final dot: permanent"

remote_run ok
like "$(cat "$T/out.ok")" "^$ID 0 d " "ok: delivered"
like "$(tail -1 "$T/remote.log")" "^mxhold-remote: info: disconnect host=127.0.0.1 ip=127.0.0.1 port=$P messages=1 duration=[0-9]+\.[0-9]{3} reason=quit\$" "ok: its QUIT logged as a clean end"
want=$(printf 'Received: from test\r\nSubject: dots\r\n\r\n..one\r\n...two\r\n..\r\nlast line without CRLF\r\n.\r\n' | od -c)
is "$(od -c <"$T/down.ok/1.raw")" "$want" "dot-stuffed, CRLF added to the last line, then the final dot"

# --- PIPELINING with 6,000 recipients of 1,000 bytes against 4 kB buffers
RC=$($PY -c "
import sys
print('$ID $MSG', ' '.join('%d %s@example.com' % (i, 'r%d' % i + 'a' * 980) for i in range(6000)))")
bg $PY "$HOSTILE" "$P" slowbuf "$T/down.slowbuf"; sp=$LASTPID
wait_until 10 port_open "$P" || nok "hostile server slowbuf did not start"
t0=$(date +%s)
printf '%s\n' "$RC" | MXHOLD_CONF=$C timeout 60 mxhold-remote "127.0.0.1:$P" example.com >"$T/out.slowbuf" 2>>"$T/remote.log"
diag "6,000 pipelined recipients: $(( $(date +%s) - t0 ))s"
diag "first result: $(head -c 150 "$T/out.slowbuf")"
kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null
is "$(grep -c " d " "$T/out.slowbuf")" 6000 "PIPELINING, 6,000 recipients, small buffers: all delivered (no write/read deadlock)"
dlv_grammar "$T/remote.log"

done_testing
