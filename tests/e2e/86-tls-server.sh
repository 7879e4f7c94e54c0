#!/bin/bash
# The mxhold-tls server (mxhold-tls -d, tls/tls.md "The server"): smtpd
# hands each STARTTLS to it over its Unix socket (named by the config's
# tls/server) and one of its children does the session; a message through
# it; a handshake that fails in the child; the pair replaced on disk (the
# next connection is served the new one, the server reloads once); a pair
# that does not load (454, plain goes on); the log lines.
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
bg mxhold-tls -d "$SOCK" -u "$(id -u)" "$C" 2>>"$TL"
TPID=$LASTPID
wait_until 10 test -S "$SOCK" || nok "the server's socket did not appear"
port=$(free_port)
smtp_server "$port" "$C"
L=$T/smtpd.$port.log
SPID=$LASTPID
match () { $PY "$TOP/tests/log_grammar.py" --match "$1" "$2" >/dev/null; }
quits () { wait_until 5 sh -c "[ \$(grep -c 'reason=quit' '$L') -ge $1 ]"; }

check "server: listening line with its socket" match "tls listening path=$SOCK" "$TL"
check "server: the pair loaded at start" match "tls tls-loaded path=$C" "$TL"
is "$(stat -c %a "$SOCK")" 770 "server: socket mode 0770 (owner and group only)"

# --- a message through the server
out=$($CL send "$port" "$P/ca.pem" 2>&1)
like "$out" "tls TLSv1\.3 TLS_" "through the server: TLS 1.3, the certificate verified"
like "$out" "sent" "through the server: the message accepted inside TLS"
quits 1
check "starttls line says via=server" match "smtpd starttls client=127.0.0.1 helo=client.test tls~^TLSv1\.3/ via=server" "$L"
check "the message's accepted line carries tls=" match "smtpd accepted tls~^TLSv1\.3/" "$L"
is "$(queue_count "$C/q")" 1 "through the server: one message in the queue"
check "no fallback line" sh -c "! grep -q tls-fallback '$L'"
check "the server outlives the session" alive "$TPID"

# --- the client sends garbage after 220: the child logs tls-failed
out=$($CL garbage "$port" 2>&1)
like "$out" "closed" "garbage after 220: the connection is closed"
wait_until 5 grep -q 'reason=tls-failed' "$L" || true
check "garbage: smtpd ends with reason=tls-failed" match "smtpd disconnect reason=tls-failed" "$L"
check "garbage: the server's child logged tls-failed reason=handshake" \
  match "tls tls-failed client=127.0.0.1 reason=handshake" "$TL"

# --- QUIT, then a reset once smtpd has logged its end: a clean end, and
# smtpd waited for the child (the EOF of the status pipe it keeps)
nf=$(grep -c 'tls-failed' "$TL")
nq=$(grep -c 'reason=quit' "$L")
out=$($CL quitreset "$port" "$L" $((nq + 1)) 2>&1)
like "$out" "^quit 221 " "through the server: QUIT inside TLS, 221, then a reset"
wait_until 5 sh -c "[ \$(grep -c 'reason=quit' '$L') -gt $nq ]" || nok "no disconnect reason=quit"
wait_until 5 sh -c "! pgrep -x mxhold-smtpd -P $SPID >/dev/null" || nok "smtpd did not exit"
check "no child of the server left once smtpd is gone" wait_until 5 sh -c "! pgrep -P $TPID >/dev/null"
is "$(grep -c 'tls-failed' "$TL")" "$nf" "reset after smtpd closed: no tls-failed line"

# --- the pair replaced on disk: the next connection gets the new one
fp () { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
one=$($CL cert "$port" 2>&1)
is "$one" "$(fp "$P/server.pem")" "before the swap: served server.pem"
again=$($CL cert "$port" 2>&1)
is "$(grep -c tls-loaded "$TL")" 1 "an unchanged pair is not read again"
cp "$P/self.pem" "$C/tls/cert.pem.new" && cp "$P/self.key" "$C/tls/key.pem.new"
mv "$C/tls/key.pem.new" "$C/tls/key.pem" && mv "$C/tls/cert.pem.new" "$C/tls/cert.pem"
two=$($CL cert "$port" 2>&1)
is "$two" "$(fp "$P/self.pem")" "after the swap on disk: the next connection is served the new certificate"
is "$(grep -c tls-loaded "$TL")" 2 "the server read the pair once more"
# rewritten in place (same inode, new bytes): seen too
cat "$P/chain.pem" >"$C/tls/cert.pem" && cat "$P/server.key" >"$C/tls/key.pem"
three=$($CL cert "$port" 2>&1)
is "$three" "$(fp "$P/server.pem")" "rewritten in place: served the rewritten certificate"
check "the same server throughout (no restart)" alive "$TPID"

# --- a key that is not the certificate's: 454 from the child, plain goes on
cp "$P/self.key" "$C/tls/key.pem"
mapfile -t r < <($CL raw "$port" "EHLO files.test" "STARTTLS" "EHLO files.test" "MAIL FROM:<f@example.org>" \
  "RCPT TO:<u@example.com>" "DATA" "Subject: plain\r\n\r\nbody\r\n." "QUIT" 2>&1)
like "${r[2]}" "^454 4\.7\.0 " "mismatched pair through the server: 454"
like "${r[7]}" "^250 2\.0\.0 " "mismatched pair: plain mail accepted"
check "the server logged the failed load (tls-unavailable reason=mismatch)" \
  match "tls tls-unavailable client=- reason=mismatch" "$TL"
check "the child logged it for the client" match "tls tls-unavailable client=127.0.0.1 reason=mismatch" "$TL"
cp "$P/server.key" "$C/tls/key.pem"
four=$($CL cert "$port" 2>&1)
is "$four" "$(fp "$P/server.pem")" "the key put right: TLS again, no restart"

# --- a long client address (IPv6, 39 bytes) goes to the child whole
port6=$(free_port)
L6=$T/smtpd.$port6.log
IP6=2001:0db8:0000:0000:0000:ff00:0042:8329
MXHOLD_CONF=$C bg tcpserver -HRl0 127.0.0.1 "$port6" env TCPREMOTEIP=$IP6 mxhold-smtpd mxhold-queue 2>>"$L6"
wait_until 10 port_open "$port6" || nok "tcpserver on $port6 did not start"
out=$($CL garbage "$port6" 2>&1)
like "$out" "closed" "IPv6 client through the server: garbage after 220 is hung up on"
wait_until 5 grep -q "tls-failed client=$IP6" "$TL" || true
check "the child logs the whole IPv6 address" match "tls tls-failed client=$IP6 reason=handshake" "$TL"

out=$($PY "$TOP/tests/log_grammar.py" "$L" "$L6" "$TL")
like "$out" "^ok - " "log lines in doc/log.md's grammar"
exit 0
