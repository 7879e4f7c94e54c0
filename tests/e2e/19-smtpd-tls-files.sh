#!/bin/bash
# STARTTLS and the files tls/cert.pem, tls/key.pem of the config directory:
# no tls/ folder (no TLS, no line), a missing, empty or broken pair (one
# clear line, plain SMTP goes on), a key that is not the certificate's,
# and a pair replaced on disk between two connections (the next one is
# served the new certificate, no restart).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/certs.sh"
for p in mxhold-smtpd mxhold-tls mxhold-queue; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
CL="$PY $TOP/tests/e2e/18-tls-client.py"
C=$T/conf P=$T/pki
make_certs "$P" || { nok "make_certs: $(tail -3 "$P/openssl.log")"; exit 1; }
mkconf "$C" || exit 1
port=$(free_port)
smtp_server "$port" "$C"
L=$T/smtpd.$port.log
match () { $PY "$TOP/tests/log_grammar.py" --match "$1" "$L" >/dev/null; }
count () { grep -c -- "$1" "$L"; }
# session: EHLO, STARTTLS, then a whole plain message: the replies
session () {
  $CL raw "$port" "EHLO files.test" "STARTTLS" "EHLO files.test" "MAIL FROM:<f@example.org>" "RCPT TO:<u@example.com>" "DATA" \
    "Subject: plain after all\r\n\r\nbody\r\n." "QUIT" 2>&1
}
wait_quit () { wait_until 5 sh -c "[ \$(grep -c 'reason=quit' '$L') -ge $1 ]"; }

# --- no tls/ folder: TLS is not configured; no line about it
mapfile -t r < <(session)
unlike "${r[1]}" "STARTTLS" "no tls/ folder: STARTTLS not offered"
like "${r[2]}" "^502 5\.5\.1 " "no tls/ folder: STARTTLS is 502 (not implemented here)"
like "${r[7]}" "^250 2\.0\.0 " "no tls/ folder: plain mail accepted"
wait_quit 1
is "$(count "warning: tls-unavailable")" 0 "no tls/ folder: no tls-unavailable line"

# --- tls/ with the key missing
mkdir "$C/tls"
cp "$P/chain.pem" "$C/tls/cert.pem"
mapfile -t r < <(session)
unlike "${r[1]}" "STARTTLS" "key missing: STARTTLS not offered"
like "${r[2]}" "^454 4\.7\.0 " "key missing: STARTTLS anyway is 454"
like "${r[7]}" "^250 2\.0\.0 " "key missing: plain mail accepted"
wait_quit 2
check "key missing: one warning tls-unavailable reason=missing with the path" \
  match "smtpd tls-unavailable client=127.0.0.1 path=$C/tls/key.pem reason=missing error"
is "$(count "warning: tls-unavailable")" 1 "key missing: one line for the connection"
# a refused STARTTLS is a refused command: `errors` (10) of them in a row end
# the session, as any other (a client cannot loop on 454 for ever)
cmds=("EHLO files.test"); for i in $(seq 10); do cmds+=("STARTTLS"); done; cmds+=("NOOP")
mapfile -t r < <($CL raw "$port" "${cmds[@]}" 2>&1)
like "${r[11]}" "^454 4\.7\.0 " "key missing: the 10th STARTTLS in a row is 454 too"
like "${r[12]:-}" "^421 4\.7\.0 too many errors" "and then 421: refused STARTTLS count as errors"
wait_until 5 grep -q "reason=too-many-errors" "$L"
check "the end is logged: disconnect reason=too-many-errors" match "smtpd disconnect reason=too-many-errors"

# --- an empty certificate
: >"$C/tls/cert.pem"
cp "$P/server.key" "$C/tls/key.pem"
mapfile -t r < <(session)
unlike "${r[1]}" "STARTTLS" "empty cert.pem: STARTTLS not offered"
wait_quit 3
check "empty cert.pem: tls-unavailable reason=empty" match "smtpd tls-unavailable path=$C/tls/cert.pem reason=empty"

# --- a certificate file that is not PEM: only OpenSSL (mxhold-tls) can tell
echo "this is not a certificate" >"$C/tls/cert.pem"
mapfile -t r < <(session)
like "${r[1]}" "250-STARTTLS" "garbage cert.pem (non-empty): STARTTLS offered"
like "${r[2]}" "^454 4\.7\.0 " "garbage cert.pem: STARTTLS is 454"
unlike "${r[3]}" "STARTTLS" "garbage cert.pem: not offered again in that session"
like "${r[7]}" "^250 2\.0\.0 " "garbage cert.pem: the session goes on, plain mail accepted"
wait_quit 4
check "garbage cert.pem: mxhold-tls says tls-unavailable reason=cert with OpenSSL's detail" \
  match "tls tls-unavailable client=127.0.0.1 path=$C/tls/cert.pem reason=cert detail"
check "garbage cert.pem: smtpd's refusal reason=tls-unavailable" match "smtpd refused stage=starttls reason=tls-unavailable"

# --- a key that is not the certificate's
cp "$P/chain.pem" "$C/tls/cert.pem"
cp "$P/self.key" "$C/tls/key.pem"
mapfile -t r < <(session)
like "${r[2]}" "^454 4\.7\.0 " "key of another certificate: 454"
like "${r[7]}" "^250 2\.0\.0 " "key of another certificate: plain mail accepted"
wait_quit 5
check "key of another certificate: tls-unavailable reason=mismatch" match "tls tls-unavailable reason=mismatch"
check "no crash: as many disconnect lines as connect lines" \
  sh -c "[ \$(grep -c ' connect ' '$L') = \$(grep -c ' disconnect ' '$L') ]"

# --- the pair replaced on disk between two connections
fp () { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
cp "$P/server.key" "$C/tls/key.pem"
one=$($CL cert "$port" 2>&1)
is "$one" "$(fp "$P/server.pem")" "first connection: served server.pem"
cp "$P/self.pem" "$C/tls/cert.pem.new" && cp "$P/self.key" "$C/tls/key.pem.new"
mv "$C/tls/key.pem.new" "$C/tls/key.pem" && mv "$C/tls/cert.pem.new" "$C/tls/cert.pem"
two=$($CL cert "$port" 2>&1)
is "$two" "$(fp "$P/self.pem")" "after the swap on disk: the next connection is served the new certificate"
check "the same tcpserver throughout (no restart)" alive "$LASTPID"

# --- mxhold-tls not in $PATH: 454 with the errno, plain goes on
port3=$(free_port)
L3=$T/smtpd.$port3.log
MXHOLD_CONF=$C bg env PATH=/usr/bin:/bin tcpserver -HRl0 127.0.0.1 "$port3" "$BIN/mxhold-smtpd" "$BIN/mxhold-queue" 2>>"$L3"
wait_until 10 port_open "$port3" || nok "tcpserver on $port3 did not start"
mapfile -t r < <(port=$port3 session)
like "${r[2]}" "^454 4\.7\.0 " "no mxhold-tls in \$PATH: 454"
like "${r[7]}" "^250 2\.0\.0 " "no mxhold-tls in \$PATH: plain mail accepted"
wait_until 5 grep -q 'reason=quit' "$L3"
check "no mxhold-tls in \$PATH: refused reason=tls-unavailable with error=" \
  $PY "$TOP/tests/log_grammar.py" --match "smtpd refused stage=starttls reason=tls-unavailable error" "$L3"

# --- mxhold-tls alone: its usage
mxhold-tls 2>"$T/usage.log"; rc=$?
is "$rc" 100 "mxhold-tls without a config directory: exit 100"
mxhold-tls -t 0 "$C" 2>>"$T/usage.log"; rc=$?
is "$rc" 100 "mxhold-tls -t 0: exit 100"
check "usage lines: fatal usage, the bad option named" \
  $PY "$TOP/tests/log_grammar.py" --match "tls usage option=t value=0" "$T/usage.log"

out=$($PY "$TOP/tests/log_grammar.py" "$L" "$L3" "$T/usage.log")
like "$out" "^ok - " "log lines in doc/log.md's grammar"
exit 0
