#!/bin/bash
# STARTTLS (RFC 3207) through the real pipeline: tcpserver -> mxhold-smtpd
# -> mxhold-tls (at STARTTLS) and mxhold-queue. Clients: swaks --tls,
# openssl s_client -starttls smtp, Python ssl/smtplib; the command
# injection of 2011 (a command in the STARTTLS packet is not executed),
# a second STARTTLS, STARTTLS out of sequence, a client that speaks no TLS,
# one that vanishes mid-handshake, one that resets after QUIT, a handshake
# timeout; the ESMTPS Received header and the log lines.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/certs.sh"
for p in mxhold-smtpd mxhold-tls mxhold-queue mxhold-queuectl; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
CL="$PY $TOP/tests/e2e/18-tls-client.py"
C=$T/conf P=$T/pki
make_certs "$P" || { nok "make_certs: $(tail -3 "$P/openssl.log")"; exit 1; }
mkconf "$C" || exit 1
mkdir "$C/tls"
cp "$P/chain.pem" "$C/tls/cert.pem"
cp "$P/server.key" "$C/tls/key.pem"
chmod 600 "$C/tls/key.pem"
port=$(free_port)
smtp_server "$port" "$C"
L=$T/smtpd.$port.log
# match 'EVENT TERM...': a line of ours in $L with these keys (log_grammar.py)
match () { $PY "$TOP/tests/log_grammar.py" --match "$1" "$L" >/dev/null; }
count () { grep -c -- "$1" "$L"; }

# --- Python smtplib, the certificate verified against the test CA
out=$($CL send "$port" "$P/ca.pem" 2>&1)
like "$out" "^ehlo1 .*starttls" "EHLO offers STARTTLS with a usable pair"
like "$out" "^tls TLSv1\.3 TLS_" "smtplib: STARTTLS, TLS 1.3, certificate chain verified against the CA"
like "$out" "^ehlo2 " "EHLO again after the handshake"
unlike "$(printf '%s' "$out" | grep '^ehlo2')" "starttls" "STARTTLS not offered again inside TLS"
like "$out" "^sent$" "a message over TLS: 250"
wait_until 5 match 'smtpd accepted tls~^TLSv1\.3/TLS_' && ok "accepted line has tls=TLSv1.3/CIPHER" || nok "accepted line has tls= ($(grep accepted "$L"))"
check "starttls line: client, helo, tls" match 'smtpd starttls client=127.0.0.1 helo=client.test tls~^TLSv1\.3/TLS_[A-Z0-9_]+$'
wait_until 5 match 'smtpd disconnect reason=quit tls~^TLSv1\.3/' && ok "disconnect line has tls= and reason=quit" || nok "disconnect line with tls="
id=$($PY "$TOP/tests/log_grammar.py" --get qid --match 'smtpd accepted tls' "$L" | head -1)
show=$(cat "$C/q/new/$id" 2>&1)
like "$show" "^	\(using TLSv1\.3 with cipher TLS_[A-Z0-9_]+\)" "queued message: Received names protocol and cipher"
like "$show" "^	by relay\.test \(mxhold\) with ESMTPS id $id" "queued message: Received says ESMTPS"
like "$show" "^hello in TLS" "queued message: the body as sent"
check "mxhold-queue's queued line for it" match "queue queued qid=$id"

# --- swaks --tls
out=$(swaks --server "127.0.0.1:$port" --tls --from sw@example.org --to u@example.com --body 'swaks over tls' 2>&1)
like "$out" "=== TLS started with cipher TLSv1\.[23]:" "swaks --tls: TLS started"
like "$out" "<~ +250 2\.0\.0 .*queued as [0-9.]+" "swaks --tls: 250 queued"
check "swaks: the server sends no STARTTLS keyword inside TLS" sh -c "! printf '%s' \"\$1\" | sed -n '/TLS started/,\$p' | grep -q '250.STARTTLS'" _ "$out"

# --- openssl s_client -starttls smtp, TLS 1.3 and TLS 1.2; older refused
sc () { printf 'EHLO sc.test\r\nQUIT\r\n' | timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$port" \
  -CAfile "$P/ca.pem" -verify_return_error -verify_hostname mx.customer.test -servername mx.customer.test -ign_eof "$@" 2>&1; }
out=$(sc)
like "$out" "Verify return code: 0 \(ok\)" "s_client: chain and name verified"
like "$out" "New, TLSv1\.3, Cipher is TLS_AES_256_GCM_SHA384" "s_client: TLS 1.3, the server's first suite"
like "$out" "250-relay\.test hello" "s_client: EHLO answered inside TLS"
like "$out" "221 2\.0\.0" "s_client: QUIT answered inside TLS"
out=$(sc -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384')
like "$out" "New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384" "s_client TLS 1.2 preferring AES128: the server's order wins (AES256)"
n0=$(count tls-failed)
out=$(sc -tls1_2 -cipher 'ECDHE-ECDSA-AES256-SHA:AES128-SHA')
unlike "$out" "Cipher is [A-Z]" "TLS 1.2 with only CBC/SHA1 ciphers: no session"
out=$(printf 'EHLO sc.test\r\n' | timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$port" -tls1_1 -cipher 'ALL:@SECLEVEL=0' 2>&1)
unlike "$out" "Cipher is [A-Z]" "TLS 1.1: no session"
wait_until 5 sh -c "[ \$(grep -c 'mxhold-tls: info: tls-failed .*reason=handshake' '$L') -ge $((n0 + 2)) ]" &&
  ok "each refused handshake: one tls-failed reason=handshake line" || nok "tls-failed lines for the refused handshakes"

# --- the injection: a command in the STARTTLS packet is dropped
out=$($CL inject "$port" 2>&1)
like "$out" "^starttls 220 2\.0\.0 " "inject: 220 to STARTTLS"
like "$out" "^ehlo 250-relay\.test hello" "inject: EHLO inside TLS"
like "$out" "^rcpt 503 5\.5\.1 need MAIL" "inject: the MAIL sent with STARTTLS was not executed (RCPT: 503 need MAIL)"
like "$out" "^quit 221 " "inject: QUIT"
unlike "$(cat "$L")" "injected@evil" "inject: the injected sender is nowhere in the log"

# --- EHLO and STARTTLS in one packet: both answered, in order (the EHLO
# reply flushed with the 220)
out=$($CL batch "$port" 2>&1)
like "$out" "^ehlo 250-relay\.test hello .*250-STARTTLS" "EHLO+STARTTLS in one packet: EHLO answered first"
like "$out" "^starttls 220 2\.0\.0 " "EHLO+STARTTLS in one packet: then 220"
like "$out" "^ehlo2 250-relay\.test hello" "EHLO+STARTTLS in one packet: the handshake, EHLO inside TLS"

# --- state reset, second STARTTLS; STARTTLS before EHLO, with an argument, in a transaction
out=$($CL again "$port" 2>&1)
like "$out" "^mail-before-ehlo 503 5\.5\.1 send HELO" "after the handshake: EHLO required again (MAIL: 503)"
like "$out" "^starttls2 503 5\.5\.1 TLS already active" "second STARTTLS: 503"
check "second STARTTLS: refused reason=tls-active" match 'smtpd refused stage=starttls reason=tls-active'
out=$($CL raw "$port" "STARTTLS" "HELO h.test" "STARTTLS" "EHLO h.test" "STARTTLS now" "MAIL FROM:<a@example.org>" "STARTTLS" "QUIT" 2>&1)
mapfile -t r <<<"$out"
like "${r[1]}" "^503 5\.5\.1 send EHLO first" "STARTTLS before EHLO: 503"
like "${r[3]}" "^503 5\.5\.1 send EHLO first" "STARTTLS after HELO (no ESMTP): 503"
like "${r[5]}" "^501 5\.5\.4 " "STARTTLS with an argument: 501"
like "${r[7]}" "^503 5\.5\.1 mail transaction" "STARTTLS inside a transaction: 503"
like "${r[8]}" "^221 " "the plain session goes on after each refusal"
check "STARTTLS with an argument: refused reason=syntax, command logged" match 'smtpd refused stage=starttls reason=syntax command'

# --- PIPELINING inside TLS, and a 2 MB message through the relay
out=$($CL pipeline "$port" 2>&1)
mapfile -t r <<<"$out"
is "${r[0]}|${r[1]}|${r[2]}" "250 2.1.0 Ok|250 2.1.5 Ok|250 2.1.5 Ok" "inside TLS: MAIL RCPT RCPT pipelined in one record, each answered"
like "${r[3]}" "^354 " "inside TLS: DATA pipelined behind them: 354"
like "${r[4]}" "^250 2\.0\.0 .*queued as" "inside TLS: a 2 MB message relayed whole: 250"
like "${r[5]}" "^221 " "inside TLS: QUIT in the same write as the message's end"
wait_until 5 match 'smtpd accepted rcpts=2 size=2000025 tls' && ok "its accepted line: 2 recipients, every byte (size=2000025), tls=" || nok "2 MB accepted line ($(grep 'rcpts=2' "$L" | tail -1))"

# --- a TLS record that does not decrypt, mid-session
n0=$(count "reason=protocol")
out=$($CL badrecord "$port" 2>&1)
is "$out" "closed" "a forged record inside TLS: the connection ends"
wait_until 5 match 'tls tls-failed client=127.0.0.1 reason=protocol detail' && ok "forged record: tls-failed reason=protocol with OpenSSL's detail" || nok "forged record: tls-failed reason=protocol"
is "$(count "reason=protocol")" $((n0 + 1)) "forged record: one line"

# --- a client that speaks no TLS after 220, one that vanishes, a reset after QUIT
n0=$(count "reason=tls-failed")
out=$($CL garbage "$port" 2>&1)
is "$out" "closed" "non-TLS bytes after 220: the server hangs up"
wait_until 5 match 'tls tls-failed client=127.0.0.1 reason=handshake detail' && ok "non-TLS bytes: tls-failed reason=handshake with OpenSSL's detail" || nok "garbage: tls-failed line"
wait_until 5 sh -c "[ \$(grep -c 'reason=tls-failed' '$L') -ge $((n0 + 1)) ]" && ok "and disconnect reason=tls-failed" || nok "garbage: disconnect reason=tls-failed"
unlike "$(cat "$L")" "not-tls@example" "non-TLS bytes: nothing of them executed or logged"
out=$($CL vanish "$port" 2>&1)
wait_until 5 match 'tls tls-failed reason=eof' && ok "client gone mid-handshake: tls-failed reason=eof" || nok "vanish: tls-failed reason=eof ($(grep tls-failed "$L" | tail -1))"
nf=$(count "mxhold-tls: info: tls-failed")
nq=$(count "reason=quit")
out=$($CL quitreset "$port" 2>&1)
like "$out" "^quit 221 " "QUIT inside TLS: 221"
wait_until 5 sh -c "[ \$(grep -c 'reason=quit' '$L') -gt $nq ]" && ok "reset after QUIT: disconnect reason=quit" || nok "reset after QUIT: disconnect"
# the session's mxhold-tls has exited when smtpd has (smtpd waits for it)
wait_until 5 sh -c "! pgrep -x mxhold-tls -P \$(pgrep -d, -x mxhold-smtpd || echo 1) >/dev/null"
is "$(count "mxhold-tls: info: tls-failed")" "$nf" "reset after QUIT: no tls-failed line (a clean end)"
nq=$(count "reason=quit")
out=$($CL quitreset "$port" "$L" $((nq + 1)) 2>&1)
like "$out" "^quit 221 " "QUIT inside TLS, the reset only after smtpd's disconnect line: 221"
wait_until 5 sh -c "[ \$(grep -c 'reason=quit' '$L') -gt $nq ]"
wait_until 5 sh -c "! pgrep -x mxhold-tls -P \$(pgrep -d, -x mxhold-smtpd || echo 1) >/dev/null"
is "$(count "mxhold-tls: info: tls-failed")" "$nf" "reset after smtpd closed: still no tls-failed line"

# --- handshake timeout (timeout_command 2)
C2=$T/conf2
mkconf -q "$C/q" "$C2" timeout_command 2 || exit 1
cp -r "$C/tls" "$C2/tls"
port2=$(free_port)
smtp_server "$port2" "$C2"
L2=$T/smtpd.$port2.log
start=$(date +%s)
out=$($PY - "$port2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 20)
s.settimeout(20)
f = s.makefile("rb")
f.readline()
s.sendall(b"EHLO t.test\r\n")
while f.readline()[3:4] == b"-": pass
s.sendall(b"STARTTLS\r\n")
print(f.readline().decode().strip())
print("eof" if s.recv(100) == b"" else "data")
PY
)
like "$out" "^220 2\.0\.0 " "timeout: 220"
like "$out" "eof$" "timeout: silent client is hung up on"
between $(( $(date +%s) - start )) 1 10 "timeout: within timeout_command (2 s) and a margin"
wait_until 5 grep -q 'mxhold-tls: info: tls-failed .*reason=timeout' "$L2" && ok "timeout: tls-failed reason=timeout" || nok "timeout: tls-failed reason=timeout"

# --- a client that never reads smtpd's replies (timeout_command 2)
start=$(date +%s)
out=$($CL deaf "$port2" 2>&1)
is "$out" "ended" "a client that reads nothing inside TLS: hung up on"
between $(( $(date +%s) - start )) 0 30 "a client that reads nothing: within the write timeouts and a margin"
wait_until 10 sh -c "[ \$(grep -c ' disconnect ' '$L2') -ge 3 ]" && ok "a client that reads nothing: disconnect logged" || nok "deaf client: disconnect line ($(tail -2 "$L2"))"

# --- every line in the grammar
out=$($PY "$TOP/tests/log_grammar.py" "$L" "$L2")
like "$out" "^ok - " "log lines in doc/log.md's grammar"
exit 0
