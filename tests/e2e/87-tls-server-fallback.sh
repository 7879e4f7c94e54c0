#!/bin/bash
# The mxhold-tls server's unhappy paths: no server yet (tls/server names a
# socket that is not there), the server killed (its socket left behind):
# smtpd logs tls-fallback and spawns mxhold-tls itself, TLS works the
# same; the server started again is used again. A peer that is not the
# user of -u is hung up on (refused reason=peer; smtpd says 454 and goes on
# in plain text). A request that is not three descriptors (bad-request).
# The usage of -d.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/certs.sh"
for p in mxhold-smtpd mxhold-tls mxhold-queue; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
CL="$PY $TOP/tests/e2e/18-tls-client.py"
C=$T/conf P=$T/pki SOCK=$T/run/tls.sock
make_certs "$P" || { nok "make_certs: $(tail -3 "$P/openssl.log")"; exit 1; }
mkconf "$C" || exit 1
mkdir -p "$C/tls" "$T/run"
cp "$P/chain.pem" "$C/tls/cert.pem"
cp "$P/server.key" "$C/tls/key.pem"
echo "$SOCK" >"$C/tls/server"
TL=$T/tlsd.log
port=$(free_port)
smtp_server "$port" "$C"
L=$T/smtpd.$port.log
match () { $PY "$TOP/tests/log_grammar.py" --match "$1" "$2" >/dev/null; }
quits () { wait_until 5 sh -c "[ \$(grep -c 'reason=quit' '$L') -ge $1 ]"; }
vias () { grep -c "starttls .*via=$1" "$L"; }

# --- no server yet: the socket is not there
out=$($CL send "$port" "$P/ca.pem" 2>&1)
like "$out" "sent" "no server: the message is sent inside TLS all the same"
quits 1
check "no server: tls-fallback with the socket's path and the errno" \
  match "smtpd tls-fallback client=127.0.0.1 path=$SOCK error" "$L"
is "$(vias spawn)" 1 "no server: starttls via=spawn"

# --- the server up: used
bg mxhold-tls -d "$SOCK" -u "$(id -u)" "$C" 2>>"$TL"
TPID=$LASTPID
wait_until 10 test -S "$SOCK" || nok "the server's socket did not appear"
out=$($CL send "$port" "$P/ca.pem" 2>&1)
like "$out" "sent" "server up: sent"
quits 2
is "$(vias server)" 1 "server up: starttls via=server"

# --- the server killed, its socket left behind: connection refused, fallback
kill -9 "$TPID"
wait_until 5 sh -c "! kill -0 $TPID 2>/dev/null"
check "the killed server's socket is still there" test -S "$SOCK"
out=$($CL send "$port" "$P/ca.pem" 2>&1)
like "$out" "sent" "server killed: sent inside TLS all the same"
quits 3
is "$(grep -c 'warning: tls-fallback' "$L")" 2 "server killed: a second tls-fallback line"
is "$(vias spawn)" 2 "server killed: starttls via=spawn"

# --- started again (it replaces its stale socket): used again
bg mxhold-tls -d "$SOCK" -u "$(id -u)" "$C" 2>>"$TL"
TPID=$LASTPID
wait_until 10 sh -c "[ \$(grep -c 'info: listening' '$TL') -ge 2 ]" || nok "the second server did not listen"
out=$($CL send "$port" "$P/ca.pem" 2>&1)
like "$out" "sent" "server back: sent"
quits 4
is "$(vias server)" 2 "server back: via=server again"
kill "$TPID"

# --- a peer that is not -u's user: hung up on, smtpd says 454, plain goes on
bg mxhold-tls -d "$SOCK" -u 4242 "$C" 2>>"$TL"
TPID=$LASTPID
wait_until 10 sh -c "[ \$(grep -c 'info: listening' '$TL') -ge 3 ]" || nok "the third server did not listen"
mapfile -t r < <($CL raw "$port" "EHLO files.test" "STARTTLS" "EHLO files.test" "MAIL FROM:<f@example.org>" \
  "RCPT TO:<u@example.com>" "DATA" "Subject: plain\r\n\r\nbody\r\n." "QUIT" 2>&1)
like "${r[2]}" "^454 4\.7\.0 " "smtpd's user is not -u's: 454"
like "${r[7]}" "^250 2\.0\.0 " "smtpd's user is not -u's: plain mail accepted"
check "the server logged refused reason=peer with the peer's uid" match "tls refused reason=peer uid=$(id -u)" "$TL"

# --- a request with no descriptors (from -u's user): the child says bad-request
kill "$TPID"
bg mxhold-tls -d "$SOCK" -u "$(id -u)" "$C" 2>>"$TL"
TPID=$LASTPID
wait_until 10 sh -c "[ \$(grep -c 'info: listening' '$TL') -ge 4 ]" || nok "the fourth server did not listen"
$PY -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); s.sendall(b'300 127.0.0.1'); s.recv(1)" "$SOCK"
wait_until 5 grep -q 'bad-request' "$TL" || true
check "no descriptors: bad-request" match "tls bad-request detail" "$TL"
check "the server goes on" alive "$TPID"

# --- usage of -d
mxhold-tls -d 2>"$T/usage.log"; rc=$?
is "$rc" 100 "-d without a socket: exit 100"
mxhold-tls -d "$SOCK" -u nobody "$C" 2>>"$T/usage.log"; rc=$?
is "$rc" 100 "-u not a number: exit 100"
check "usage: the bad option named" match "tls usage option=u value=nobody" "$T/usage.log"
mxhold-tls -d /nonexistent/dir/sock "$C" 2>>"$T/usage.log"; rc=$?
is "$rc" 111 "a socket that cannot be bound: exit 111"
check "cannot-listen with the path and the errno" match "tls cannot-listen path=/nonexistent/dir/sock error" "$T/usage.log"

out=$($PY "$TOP/tests/log_grammar.py" "$L" "$TL" "$T/usage.log")
like "$out" "^ok - " "log lines in doc/log.md's grammar"
exit 0
