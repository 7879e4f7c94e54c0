#!/bin/bash
# Who may talk to the mxhold-tls server (tls/tls.md, "Who may connect"),
# tested as root with another uid (nobody, 65534): the socket's directory
# of mode 0750 keeps other users out; so does the socket's own mode 0770;
# a socket made world-writable by mistake still lets only -u's user in
# (SO_PEERCRED: refused reason=peer uid=65534), while smtpd's user (root
# here) is served.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/certs.sh"
for p in mxhold-smtpd mxhold-tls mxhold-queue; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
[ "$(id -u)" = 0 ] || { ok "# SKIP not root: cannot act as another uid"; exit 0; }
CL="$PY $TOP/tests/e2e/18-tls-client.py"
C=$T/conf P=$T/pki RUN=$T/run SOCK=$T/run/tls.sock
make_certs "$P" || { nok "make_certs: $(tail -3 "$P/openssl.log")"; exit 1; }
mkconf "$C" || exit 1
mkdir -p "$C/tls" "$RUN"
chmod 711 "$T"          # nobody may pass through the test's folder, no more
chmod 750 "$RUN"        # the socket's folder: its owner and smtpd's group
cp "$P/chain.pem" "$C/tls/cert.pem"
cp "$P/server.key" "$C/tls/key.pem"
echo "$SOCK" >"$C/tls/server"
TL=$T/tlsd.log
bg mxhold-tls -d "$SOCK" -u 0 "$C" 2>>"$TL"
TPID=$LASTPID
wait_until 10 test -S "$SOCK" || nok "the server's socket did not appear"
match () { $PY "$TOP/tests/log_grammar.py" --match "$1" "$2" >/dev/null; }
# as_nobody: connect to the socket as uid 65534, send a request without
# descriptors; prints "denied" (connect refused by the file system) or
# "closed" (the server hung up)
as_nobody () {
  setpriv --reuid=65534 --regid=65534 --clear-groups $PY -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("denied"); sys.exit(0)
try:
    s.sendall(b"300 127.0.0.1")
    print("closed" if s.recv(1) == b"" else "answered")
except (ConnectionResetError, BrokenPipeError):
    print("closed")
' "$SOCK" 2>&1
}

is "$(as_nobody)" denied "another uid: the folder of mode 0750 keeps it out"
chmod 755 "$RUN"
is "$(as_nobody)" denied "another uid: the socket's mode 0770 keeps it out"
chmod 777 "$SOCK"
is "$(as_nobody)" closed "another uid, the socket world-writable: the server hangs up"
check "refused reason=peer uid=65534" match "tls refused reason=peer uid=65534" "$TL"
check "no child was made for it (no bad-request)" sh -c "! grep -q bad-request '$TL'"

port=$(free_port)
smtp_server "$port" "$C"
L=$T/smtpd.$port.log
out=$($CL send "$port" "$P/ca.pem" 2>&1)
like "$out" "sent" "smtpd's user (-u 0): served"
wait_until 5 grep -q 'reason=quit' "$L" || true
check "smtpd's user: starttls via=server" match "smtpd starttls via=server" "$L"
check "the server goes on" alive "$TPID"

out=$($PY "$TOP/tests/log_grammar.py" "$L" "$TL")
like "$out" "^ok - " "log lines in doc/log.md's grammar"
exit 0
